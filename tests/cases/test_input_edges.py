"""The staff API's and Kronofogden's bodies at the edges: money, control characters, dates (issue #11, 8–10)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from app.cases.models import EvictionNotice, PaymentCommitment
from app.security import service as accounts
from tests.support.people import personnummer

PROBLEM = "application/problem+json"
OUT_OF_RANGE = "must lie in the years 1900–2199"


def _errors(answer) -> list[dict[str, str]]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    assert answer.json()["request_id"]
    return answer.json()["errors"]


@pytest.fixture
def case_id(client, staff_headers, notice_body, send):
    headers = staff_headers("sara", "handler", "sodermalm")
    send(notice_body(tenants=[{"name": "Anna", "personal_identity_number": personnummer(date(1985, 4, 12))}]))
    return client.get("/api/v1/queue", headers=headers).json()["items"][0]["case_id"], headers


def _commitments(db) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(PaymentCommitment))


@pytest.mark.parametrize(("amount", "message"), [
    (1e26, "must not be more than 99999999.99 (SEK)"),
    (-1e300, "Input should be greater than 0"),
    ("NaN", "must be a finite number"),
    ("Infinity", "must be a finite number"),
    ("1e30", "must not be more than 99999999.99 (SEK)"),
    ("16900.001", "at most two decimals"),
])
def test_payment_commitment_amounts_at_the_edges(client, case_id, db, amount, message):
    case, headers = case_id
    answer = client.post(f"/api/v1/cases/{case}/payment-commitment", headers=headers,
                         json={"amount_sek": amount, "covers_until": "2026-12-31", "decided_on": "2026-11-20"})
    errors = _errors(answer)
    assert [e["field"] for e in errors] == ["amount_sek"]
    assert errors[0]["message"] in (message, "Input should be a finite number")
    assert _commitments(db) == 0


@pytest.mark.parametrize(("field", "value"), [("covers_until", "9999-12-31"), ("decided_on", "0001-01-01")])
def test_payment_commitment_dates_at_the_edges(client, case_id, db, field, value):
    case, headers = case_id
    body = {"amount_sek": 16900, "covers_until": "2026-12-31", "decided_on": "2026-11-20", field: value}
    answer = client.post(f"/api/v1/cases/{case}/payment-commitment", headers=headers, json=body)
    assert _errors(answer) == [{"field": field, "message": OUT_OF_RANGE}]
    assert _commitments(db) == 0


@pytest.mark.parametrize(("path", "body", "field"), [
    ("contacts", {"channel": "phone", "reached": True, "note": "Ringde\u0000"}, "note"),
    ("payment-commitment", {"amount_sek": 1, "covers_until": "2026-12-31", "decided_on": "2026-11-20",
                            "note": "\u0000"}, "note"),
    ("close", {"outcome": "other", "note": "a\u0000"}, "note"),
    ("assign", {"username": "sara\u0000"}, "username"),
    ("assign", {"username": "sara\n"}, "username"),
])
def test_control_characters_in_staff_bodies_are_a_422(client, case_id, path, body, field):
    case, headers = case_id
    answer = client.post(f"/api/v1/cases/{case}/{path}", headers=headers, json=body)
    assert [e["field"] for e in _errors(answer)] == [field]


def test_a_note_keeps_its_line_breaks(client, case_id):
    case, headers = case_id
    answer = client.post(f"/api/v1/cases/{case}/contacts", headers=headers,
                         json={"channel": "phone", "reached": True, "note": "Rad ett\r\nRad två\tslut"})
    assert answer.status_code == 201, answer.text


def test_manual_routing_body_refuses_nul(client, staff_headers):
    headers = staff_headers("ivar", "intake")
    answer = client.post("/api/v1/intake/00000000-0000-0000-0000-000000000000/route", headers=headers,
                         json={"district": "sodermalm\u0000"})
    assert [e["field"] for e in _errors(answer)] == ["district"]


# --------------------------------------------------------------------------- Kronofogden

def _kronofogden(client, db, settings, **changes):
    with db() as session:
        _authority, issued = accounts.create_authority(session, settings, name="Kronofogden")
    body = {"reference": "KFM-2026-1", "eviction_at": "2027-01-14T09:00:00+01:00",
            "tenant": {"name": "Anna Andersson", "personal_identity_number": personnummer(date(1985, 4, 12))},
            "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm"},
            "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"}}
    for path, value in changes.items():
        target = body
        *parents, last = path.split("__")
        for part in parents:
            target = target[part]
        target[last] = value
    return client.post("/api/v1/kronofogden/eviction-notices", headers={"Authorization": f"Bearer {issued.plaintext}"},
                       json=body)


def _eviction_notices(db) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(EvictionNotice))


@pytest.mark.parametrize("eviction_at", ["9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00",
                                         "2200-01-01T00:00:00+00:00"])
def test_kronofogden_eviction_at_at_the_edges(client, db, settings, eviction_at):
    answer = _kronofogden(client, db, settings, eviction_at=eviction_at)
    assert _errors(answer) == [{"field": "eviction_at", "message": OUT_OF_RANGE}]
    assert _eviction_notices(db) == 0


@pytest.mark.parametrize(("path", "field"), [
    ("reference", "reference"), ("tenant__name", "tenant.name"), ("landlord__name", "landlord.name"),
    ("property__street_address", "property.street_address"), ("property__city", "property.city"),
])
def test_kronofogden_text_with_nul(client, db, settings, path, field):
    answer = _kronofogden(client, db, settings, **{path: "KFM\u0000x"})
    assert field in [e["field"] for e in _errors(answer)]
    assert _eviction_notices(db) == 0
