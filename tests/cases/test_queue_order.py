"""The queue's ordering rule: an estimated date never outranks a firm date that can still be met.

The clock is Friday 2026-11-20 09:14 in Stockholm (tests/cases/conftest.py).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from app.cases import service
from app.cases.models import NO_DEADLINE, Case
from app.deadlines.models import Deadline
from tests.support.people import personnummer

SENT_FOUR_WEEKS_AGO = "2026-10-23"  # unknown service: estimated end 2026-11-13, a week ago
SERVED_THREE_WEEKS_AGO = "2026-10-30"  # firm end: today, 2026-11-20
ARREARS = {"amount_sek": 4200.00, "due_date": "2026-09-30", "monthly_rent_sek": 8450.00,
           "payment_instructions": "Bankgiro 123-4567"}


def _due_today(notice_body, n: int = 0):
    return notice_body(sent_on=SERVED_THREE_WEEKS_AGO, tenant_served_on=SERVED_THREE_WEEKS_AGO, arrears=ARREARS,
                       tenants=[{"name": "Dagmar Idag", "personal_identity_number": personnummer(date(1980, 1, 1), f"7{n}1")}],
                       apartment=f"90{n:02d}")


def _passed_estimate(notice_body, n: int):
    return notice_body(sent_on=SENT_FOUR_WEEKS_AGO, tenant_served_on=None, arrears=ARREARS,
                       tenants=[{"name": f"Esti Mat {n}", "personal_identity_number": personnummer(date(1981, 2, n + 1), "1" + f"{n:02d}")}],
                       apartment=f"10{n:02d}")


def _walk(client, headers, **params):
    items, cursor = [], None
    while True:
        answer = client.get("/api/v1/queue", headers=headers, params=params | ({"cursor": cursor} if cursor else {}))
        assert answer.status_code == 200, answer.text
        items += answer.json()["items"]
        cursor = answer.json()["next_cursor"]
        if cursor is None:
            return items


def test_a_firm_date_today_comes_before_every_estimate_that_seems_passed(client, staff_headers, notice_body, send):
    estimated = [send(_passed_estimate(notice_body, n))["id"] for n in range(5)]
    today = send(_due_today(notice_body))["id"]
    handler = staff_headers("h1", "handler", "sodermalm")

    items = _walk(client, handler, limit=2)
    assert [i["notice_ids"][0] for i in items][0] == today
    assert {i["priority"] for i in items} == {"normal"}  # the same priority: the deadlines decide
    first = items[0]
    assert first["next_deadline"] | {"due_at": None} == {"kind": "redemption_period_end", "date": "2026-11-20",
                                                          "estimated": False, "due_at": None}
    # The estimates still have a firm first-contact deadline: that is what they sort by, and show.
    later = {i["notice_ids"][0]: i["next_deadline"] for i in items[1:]}
    assert set(later) == set(estimated)
    assert {(d["kind"], d["estimated"]) for d in later.values()} == {("first_contact", False)}
    # One page or pages of two: the same order (the keyset cursor carries the new column).
    assert [i["case_id"] for i in _walk(client, handler, limit=100)] == [i["case_id"] for i in items]


def test_a_case_with_only_an_estimate_left_comes_after_firm_dates(client, staff_headers, notice_body, send, db):
    only_estimate = send(_passed_estimate(notice_body, 1))["id"]
    firm_later = send(notice_body(tenant_served_on="2026-11-19", sent_on="2026-11-19",
                                  tenants=[{"name": "Fast Datum"}], apartment="5001"))["id"]
    handler = staff_headers("h1", "handler", "sodermalm")
    case_id = client.get("/api/v1/queue", headers=handler).json()["items"]
    case_id = next(i["case_id"] for i in case_id if i["notice_ids"][0] == only_estimate)
    answer = client.post(f"/api/v1/cases/{case_id}/contacts", headers=handler,
                         json={"channel": "phone", "reached": True})
    assert answer.status_code == 201
    items = client.get("/api/v1/queue", headers=handler).json()["items"]
    assert [i["notice_ids"][0] for i in items] == [firm_later, only_estimate]
    assert items[1]["next_deadline"]["estimated"] is True
    assert items[1]["next_deadline"]["date"] == "2026-11-13"
    with db() as session:
        case = session.get(Case, uuid.UUID(case_id))
        assert case.next_firm_due_at == NO_DEADLINE
        assert case.next_due_at < datetime(2026, 11, 14, tzinfo=timezone.utc)


def test_overdue_since_follows_missed_deadlines(client, staff_headers, notice_body, send, db, pinned_clock):
    send(notice_body(tenants=[{"name": "Sen Kontakt"}]))
    with db() as session:
        case = session.scalar(select(Case))
        first = next(d for d in case.deadlines if d.kind == "first_contact")
        assert case.overdue_since is None
        service.declare_missed(session, case, first, pinned_clock + timedelta(days=5))
        assert case.overdue_since == first.due_at
        assert case.next_firm_due_at != first.due_at  # no longer pending: the next firm date takes over
    handler = staff_headers("h1", "handler", "sodermalm")
    case_id = client.get("/api/v1/queue", headers=handler).json()["items"][0]["case_id"]
    # Reaching the household late settles the missed first contact.
    client.post(f"/api/v1/cases/{case_id}/contacts", headers=handler, json={"channel": "phone", "reached": True})
    with db() as session:
        assert session.scalar(select(Case)).overdue_since is None
        assert session.scalar(select(Deadline.status).where(Deadline.kind == "first_contact")) == "missed"
