"""Gallring also empties the free text the timeline keeps: the closing note and the reason for reopening."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from app.cases.models import TimelineEvent
from app.jobs.purge import purge_expired
from tests.jobs.conftest import at, notice


def test_closing_notes_and_reopen_reasons_are_purged_with_the_case(app, client, landlord, staff_headers, sessions,
                                                                   settings, db):
    app.state.clock = lambda: at(2025, 3, 3, 9, 0)
    answer = client.post("/api/v1/notices", headers=landlord.headers,
                         json=notice("NOTE-1", sent_on="2025-03-01", tenant_served_on="2025-03-01",
                                     termination_on="2025-02-28",
                                     arrears={"amount_sek": 9000, "due_date": "2025-02-01",
                                              "payment_instructions": "Bankgiro 123-4567"}))
    assert answer.status_code == 201, answer.text
    handler = staff_headers("h1", "handler", "sodermalm")
    case_id = client.get("/api/v1/queue", headers=handler).json()["items"][0]["case_id"]
    for path, body in (("close", {"outcome": "other", "note": "Anna ringde från sjukhuset."}),
                       ("reopen", {"reason": "Anna bad om hjälp igen."}),
                       ("close", {"outcome": "rent_paid", "note": "Betalt enligt Anna."})):
        assert client.post(f"/api/v1/cases/{case_id}/{path}", headers=handler, json=body).status_code == 200

    def notes() -> list[str]:
        with db() as session:
            events = session.scalars(select(TimelineEvent).where(
                TimelineEvent.type.in_(("case_closed", "case_reopened"))).order_by(TimelineEvent.id))
            return [e.data.get("note") or e.data.get("reason") for e in events]

    assert notes() == ["Anna ringde från sjukhuset.", "Anna bad om hjälp igen.", "Betalt enligt Anna."]
    purge_expired(sessions, settings, now=at(2025, 3, 3, 9, 0) + timedelta(days=400))
    assert notes() == [None, None, None]
    with db() as session:  # what happened stays (the outcome), only the text goes
        closed = session.scalars(select(TimelineEvent).where(TimelineEvent.type == "case_closed")).all()
        assert [e.data["outcome"] for e in closed] == ["other", "rent_paid"]
