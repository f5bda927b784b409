"""The retry fingerprint is keyed (the body holds identity numbers); rows from before still replay."""

from __future__ import annotations

import hashlib
from datetime import date, datetime, timezone

from sqlalchemy import text

from app.notices.schemas import EventIn, NoticeIn
from app.security import service as accounts
from app.security.crypto import matching_hash
from tests.notices.conftest import NOTICES, assert_problem, notice_body, personnummer

PIN = personnummer(date(1985, 4, 12))


def _unkeyed(model) -> str:
    return hashlib.sha256(model.model_dump_json().encode()).hexdigest()


def _stored(db, table: str, column: str = "body_hash") -> str:
    with db() as session:
        return session.execute(text(f"SELECT {column} FROM {table}")).scalar_one()


def _make_legacy(db, table: str, digest: str) -> None:
    with db() as session:
        session.execute(text(f"UPDATE {table} SET body_hash = :h"), {"h": digest})


def test_the_stored_fingerprint_is_keyed_not_a_plain_sha256_of_the_body(client, landlord, db, settings):
    body = notice_body({"tenants[0].personal_identity_number": PIN})
    assert client.post(NOTICES, json=body, headers=landlord.headers).status_code == 201
    model = NoticeIn.model_validate(body)

    stored = _stored(db, "notices")

    # Anyone could compute the plain digest of a guessed body (and so confirm an identity number).
    assert stored != _unkeyed(model)
    assert stored == matching_hash(settings.data_key, "body:" + model.model_dump_json())


def test_a_notice_stored_before_the_key_still_replays_and_a_changed_body_is_still_409(client, landlord, db):
    body = notice_body({"tenants[0].personal_identity_number": PIN})
    first = client.post(NOTICES, json=body, headers=landlord.headers)
    assert first.status_code == 201
    _make_legacy(db, "notices", _unkeyed(NoticeIn.model_validate(body)))

    again = client.post(NOTICES, json=body, headers=landlord.headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()

    changed = notice_body({"tenants[0].personal_identity_number": PIN, "tenants[0].name": "Someone Else"})
    assert_problem(client.post(NOTICES, json=changed, headers=landlord.headers), 409, "conflict")


def test_an_event_stored_before_the_key_still_replays_by_idempotency_key(client, landlord, db):
    notice = client.post(NOTICES, json=notice_body(), headers=landlord.headers).json()
    event = {"type": "rent_paid", "occurred_on": "2026-11-19"}
    headers = {**landlord.headers, "Idempotency-Key": "event-0001"}
    assert client.post(f"{NOTICES}/{notice['id']}/events", json=event, headers=headers).status_code == 201
    assert _stored(db, "notice_events") != _unkeyed(EventIn.model_validate(event))
    _make_legacy(db, "notice_events", _unkeyed(EventIn.model_validate(event)))

    again = client.post(f"{NOTICES}/{notice['id']}/events", json=event, headers=headers)
    assert again.status_code == 200, again.text

    other = {"type": "rent_paid", "occurred_on": "2026-11-18"}
    assert client.post(f"{NOTICES}/{notice['id']}/events", json=other, headers=headers).status_code == 409


def test_kronofogden_notices_are_keyed_too_and_old_ones_replay(app, client, db, settings):
    app.state.clock = lambda: datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)
    with db() as session:
        _authority, issued = accounts.create_authority(session, settings, name="Kronofogden")
    headers = {"Authorization": f"Bearer {issued.plaintext}"}
    body = {"reference": "KFM-2026-1", "eviction_at": "2027-01-14T09:00:00+01:00",
            "tenant": {"name": "Anna Andersson", "personal_identity_number": PIN},
            "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm",
                         "apartment_number": "1102"},
            "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"}}
    first = client.post("/api/v1/kronofogden/eviction-notices", json=body, headers=headers)
    assert first.status_code == 201, first.text
    from app.notices.kronofogden import EvictionNoticeIn

    model = EvictionNoticeIn.model_validate(body)
    assert _stored(db, "eviction_notices") != _unkeyed(model)
    _make_legacy(db, "eviction_notices", _unkeyed(model))

    again = client.post("/api/v1/kronofogden/eviction-notices", json=body, headers=headers)
    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]
    changed = {**body, "eviction_at": "2027-01-15T09:00:00+01:00"}
    assert client.post("/api/v1/kronofogden/eviction-notices", json=changed, headers=headers).status_code == 409
