"""Case work through the staff API: every action, every role, the timeline and the audit log."""

from __future__ import annotations

import pytest

from datetime import date

from sqlalchemy import select

from app.security.models import AuditEvent
from tests.support.people import personnummer


def _case(client, send, notice_body, headers) -> str:
    send(notice_body(tenants=[{"name": "Anna", "personal_identity_number": personnummer(date(1985, 4, 12))}]))
    return client.get("/api/v1/queue", headers=headers).json()["items"][0]["case_id"]


def test_a_handler_works_a_case_from_first_contact_to_closed(client, staff_headers, notice_body, send, db):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    assert client.post(f"/api/v1/cases/{case_id}/assign", headers=handler, json={"username": "sara"}).status_code == 200
    answer = client.post(f"/api/v1/cases/{case_id}/contacts", headers=handler,
                         json={"channel": "phone", "reached": False, "note": "Inget svar"})
    assert answer.status_code == 201
    first = next(d for d in answer.json()["deadlines"] if d["kind"] == "first_contact")
    assert first["status"] == "pending"  # one unanswered attempt is not a contact
    answer = client.post(f"/api/v1/cases/{case_id}/contacts", headers=handler,
                         json={"channel": "letter", "reached": False})
    first = next(d for d in answer.json()["deadlines"] if d["kind"] == "first_contact")
    assert (first["status"], first["resolution"]) == ("met", "two_attempts")
    answer = client.post(f"/api/v1/cases/{case_id}/payment-commitment", headers=handler,
                         json={"amount_sek": 16900, "covers_until": "2026-12-31", "decided_on": "2026-11-20"})
    assert answer.status_code == 201, answer.text
    case = answer.json()
    [commitment] = case["payment_commitments"]
    assert commitment["statutory"] is True
    redemption = next(d for d in case["deadlines"] if d["kind"] == "redemption_period_end")
    assert (redemption["status"], redemption["resolution"]) == ("met", "payment_commitment")
    closed = client.post(f"/api/v1/cases/{case_id}/close", headers=handler,
                         json={"outcome": "payment_commitment", "note": "Åtagande lämnat"}).json()
    assert closed["status"] == "closed"
    assert closed["outcome"] == {"outcome": "payment_commitment", "note": "Åtagande lämnat"}
    assert all(d["status"] != "pending" for d in closed["deadlines"])
    types = [e["type"] for e in closed["timeline"]]
    assert {"assigned", "contact_attempt", "payment_commitment", "case_closed"} <= set(types)
    assert client.post(f"/api/v1/cases/{case_id}/contacts", headers=handler,
                       json={"channel": "phone", "reached": True}).status_code == 409
    with db() as session:
        actions = [a.action for a in session.scalars(select(AuditEvent).where(AuditEvent.object_id == case_id))]
    assert {"case.view", "case.assign", "case.contact", "case.payment_commitment", "case.close"} <= set(actions)


def test_a_commitment_after_the_redemption_end_is_recorded_but_not_statutory(client, staff_headers, notice_body, send,
                                                                              app):
    from datetime import datetime, timezone

    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    app.state.clock = lambda: datetime(2026, 12, 20, 9, 0, tzinfo=timezone.utc)
    answer = client.post(f"/api/v1/cases/{case_id}/payment-commitment", headers=handler,
                         json={"amount_sek": 16900, "covers_until": "2026-12-31", "decided_on": "2026-12-18"})
    assert answer.status_code == 201
    [commitment] = answer.json()["payment_commitments"]
    assert commitment["statutory"] is False
    assert "efter att återvinningsfristen löpte ut 2026-12-11" in commitment["statutory_reason"]


@pytest.mark.parametrize(("days", "statutory"), [(-1, False), (0, True)])
def test_a_commitment_dated_before_the_notice_was_sent_is_not_taken_as_within_the_period(
        client, staff_headers, notice_body, send, days, statutory):
    """The day the notice was sent is the earliest a commitment answers it; a day before, it answers
    no termination of this case (most likely a typing slip), and the redemption deadline stays open."""
    from datetime import timedelta

    handler = staff_headers("sara", "handler", "sodermalm")
    body = notice_body()
    send(body)
    case_id = client.get("/api/v1/queue", headers=handler).json()["items"][0]["case_id"]
    decided = date.fromisoformat(body["sent_on"]) + timedelta(days=days)
    answer = client.post(f"/api/v1/cases/{case_id}/payment-commitment", headers=handler,
                         json={"amount_sek": 16900, "covers_until": "2026-12-31", "decided_on": decided.isoformat()})
    assert answer.status_code == 201, answer.text
    [commitment] = answer.json()["payment_commitments"]
    assert commitment["statutory"] is statutory
    redemption = next(d for d in answer.json()["deadlines"] if d["kind"] == "redemption_period_end")
    assert redemption["status"] == ("met" if statutory else "pending")
    if not statutory:
        assert f"innan underrättelsen skickades {body['sent_on']}" in commitment["statutory_reason"]


def test_the_full_identity_number_is_shown_on_request_and_audited(client, staff_headers, notice_body, send, db):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    case = client.get(f"/api/v1/cases/{case_id}", headers=handler).json()
    tenant = case["tenants"][0]
    assert tenant["personal_identity_number"] == "19850412-****"
    answer = client.post(f"/api/v1/cases/{case_id}/tenants/{tenant['id']}/identity-number", headers=handler)
    assert answer.json() == {"personal_identity_number": personnummer(date(1985, 4, 12))}
    with db() as session:
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "tenant.pin.reveal")) is not None


def test_roles_that_do_not_work_cases_cannot_act(client, staff_headers, notice_body, send):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    assessor = staff_headers("barn", "joint_assessor", "sodermalm", unit="children_families")
    manager = staff_headers("chef", "manager", "sodermalm")
    other = staff_headers("leila", "handler", "jarva")
    body = {"channel": "phone", "reached": True}
    assert client.post(f"/api/v1/cases/{case_id}/contacts", headers=assessor, json=body).status_code == 404
    assert client.post(f"/api/v1/cases/{case_id}/contacts", headers=other, json=body).status_code == 404
    assert client.post(f"/api/v1/cases/{case_id}/contacts", headers=manager, json=body).status_code == 201
    assert client.post(f"/api/v1/cases/{case_id}/assign", headers=manager,
                       json={"username": "leila"}).status_code == 422  # not of this district


def test_bad_bodies_are_problems(client, staff_headers, notice_body, send):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    answer = client.post(f"/api/v1/cases/{case_id}/contacts", headers=handler, json={"channel": "pigeon"})
    assert answer.status_code == 422
    assert {e["field"] for e in answer.json()["errors"]} == {"channel", "reached"}
    answer = client.post(f"/api/v1/cases/{case_id}/close", headers=handler, json={"outcome": "vanished"})
    assert answer.status_code == 422
    assert client.get("/api/v1/queue", headers=handler, params={"cursor": "not-a-cursor"}).status_code == 422
