"""Kronofogden's eviction notice: the same-day acknowledgement names the handler and meets the deadline."""

from __future__ import annotations

from datetime import date, datetime, timezone

from sqlalchemy import select

from app.jobs.channels import AFTER_SENT, KronofogdenChannel
from app.cases.models import EvictionNotice
from app.deadlines.models import Deadline
from app.security import service as accounts
from integrations.kronofogden.http import HttpKronofogdenClient
from notifications import outbox
from notifications.models import OutboxMessage
from tests.support.httpserver import LocalHTTPServer, Reply
from tests.support.people import personnummer

NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)
PIN = personnummer(date(1985, 4, 12))


def _kronofogden_notice(client, db, settings) -> dict:
    with db() as session:
        _authority, issued = accounts.create_authority(session, settings, name="Kronofogden")
    answer = client.post(
        "/api/v1/kronofogden/eviction-notices", headers={"Authorization": f"Bearer {issued.plaintext}"},
        json={"reference": "KFM-2026-1", "eviction_at": "2027-01-14T09:00:00+01:00",
              "tenant": {"name": "Anna Andersson", "personal_identity_number": PIN},
              "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm",
                           "apartment_number": "1102"},
              "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"}})
    assert answer.status_code == 201, answer.text
    return answer.json()


def test_without_a_handler_the_managers_are_told_and_nothing_goes_to_kronofogden(app, client, db, settings, make_user):
    app.state.clock = lambda: NOW
    make_user("chef", "manager", "sodermalm", email="chef@stad.example")
    _kronofogden_notice(client, db, settings)
    with db() as session:
        messages = session.scalars(select(OutboxMessage)).all()
        assert [(m.template, m.recipient) for m in messages] == [("kronofogden_unassigned", "chef@stad.example")]


def test_assigning_a_handler_sends_the_acknowledgement_naming_them(app, client, db, settings, sessions,
                                                                   staff_headers, make_user):
    app.state.clock = lambda: NOW
    manager = staff_headers("chef", "manager", "sodermalm")
    make_user("sara", "handler", "sodermalm")
    with db() as session:
        from app.security.models import User

        user = session.scalar(select(User).where(User.username == "sara"))
        user.full_name, user.phone = "Sara Handläggare", "08-508 12 345"
    _kronofogden_notice(client, db, settings)
    [item] = client.get("/api/v1/queue", headers=manager).json()["items"]
    assert item["priority"] == "critical"
    assert client.post(f"/api/v1/cases/{item['case_id']}/assign", headers=manager,
                       json={"username": "sara"}).status_code == 200

    def kronofogden(request):
        assert request.path == "/v1/eviction-notices/KFM-2026-1/acknowledgements"
        return Reply(201, {"authority_reference": "KFM-ACK-77", "accepted_at": "2026-11-20T10:00:00+01:00"})

    with LocalHTTPServer(kronofogden) as server:
        channel = KronofogdenChannel(settings, sessions, HttpKronofogdenClient(server.url, "kf-key", retries=0))
        result = outbox.dispatch(sessions, {"kronofogden": channel, "email": _Ignore(), "letter": _Ignore()},
                                 after_sent=AFTER_SENT)
        [request] = server.requests
    assert result.sent >= 1
    sent = request.json()
    assert sent["responsible_handler_name"] == "Sara Handläggare"
    assert sent["responsible_handler_phone"] == "08-508 12 345"
    assert sent["district_name"] == "Södermalm"
    assert request.headers["idempotency-key"]
    assert PIN.replace("-", "") not in request.body.decode()
    with db() as session:
        ack = session.scalar(select(Deadline).where(Deadline.kind == "kronofogden_acknowledgement"))
        assert ack.status == "met"
        record = session.scalar(select(EvictionNotice))
        assert record.acknowledgement_reference == "KFM-ACK-77"
        copy = session.scalar(select(OutboxMessage).where(OutboxMessage.template == "kronofogden_copy"))
        assert copy is not None and copy.channel == "letter"
    case = client.get(f"/api/v1/cases/{item['case_id']}", headers=manager).json()
    assert "kronofogden_acknowledged" in [e["type"] for e in case["timeline"]]
    assert case["priority"] == "high"  # a handler is responsible now; eviction still scheduled


class _Ignore:
    def send(self, message):
        return "ignored"
