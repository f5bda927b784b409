"""The sweep: timers claimed atomically, each reminder recorded once — also with two sweepers at once."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from app.cases.models import Case
from app.db import utcnow
from app.deadlines.alerts import plan, vardagar_before
from app.deadlines.models import Deadline, DeadlineAlert
from app.deadlines.policy import DEFAULT_POLICY, policy_for
from app.jobs.sweep import sweep
from app.routing.models import District
from app.security import service as accounts
from notifications.models import OutboxMessage
from tests.conftest import TEST_PASSWORD
from tests.jobs.conftest import at


def test_vardagar_before_counts_working_days_back():
    from datetime import date

    assert vardagar_before(date(2026, 12, 11), 5) == date(2026, 12, 4)
    assert vardagar_before(date(2026, 12, 11), 2) == date(2026, 12, 9)
    # across Christmas: 2026-12-28 (Mon) minus 2 vardagar skips 24-27 December
    assert vardagar_before(date(2026, 12, 28), 2) == date(2026, 12, 22)


def test_redemption_timers_follow_the_policy():
    from datetime import date

    from app.deadlines.rules import statutory_deadlines

    [redemption, _] = statutory_deadlines("rent_arrears", date(2026, 11, 20), date(2026, 11, 19))
    alerts = plan(redemption.kind, redemption.due_on, redemption.due_at, at(2026, 11, 20, 8), DEFAULT_POLICY)
    assert [(a.kind, a.fire_at.isoformat()) for a in alerts] == [
        ("reminder", "2026-12-04T08:00:00+01:00"),
        ("escalation", "2026-12-09T08:00:00+01:00"),
        ("missed", "2026-12-11T23:00:00+00:00"),  # 00:00 in Stockholm, the day after
    ]


def test_districts_may_tighten_the_policy_but_never_loosen_it():
    policy = policy_for({"first_contact_vardagar": 1, "redemption_reminder_vardagar": 3,
                         "redemption_escalation_vardagar": 4, "kronofogden_reminder_minutes": "5"})
    assert policy.first_contact_vardagar == 1  # stricter: taken
    assert policy.redemption_reminder_vardagar == 5  # looser (3 < 5): ignored
    assert policy.redemption_escalation_vardagar == 4  # earlier escalation: taken
    assert policy.kronofogden_reminder_minutes == 60  # not a number: ignored


def _many_due_timers(engine, n: int) -> None:
    """n open cases in Södermalm, each with a pending deadline whose escalation timer is due."""
    now = utcnow()
    with engine.begin() as connection:
        district_id = connection.execute(select(District.id).where(District.code == "sodermalm")).scalar()
        cases, deadlines, alerts = [], [], []
        for i in range(n):
            case_id, deadline_id = uuid.uuid4(), uuid.uuid4()
            cases.append({"id": case_id, "number": f"T-{i:06d}", "district_id": district_id, "status": "open",
                          "opened_at": now, "priority": "normal", "priority_rank": 2, "explanation": {},
                          "flags": [], "household": {}, "joint_assessment_units": [], "next_due_at": now,
                          "last_activity_at": now})
            deadlines.append({"id": deadline_id, "case_id": case_id, "kind": "redemption_period_end",
                              "due_on": (now + timedelta(days=3)).date(), "due_at": now + timedelta(days=3),
                              "legal_basis": "x", "estimated": False, "status": "pending", "computed_from": {},
                              "created_at": now})
            alerts.append({"id": uuid.uuid4(), "deadline_id": deadline_id, "kind": "escalation",
                           "fire_at": now - timedelta(minutes=1), "status": "pending"})
        connection.execute(insert(Case), cases)
        connection.execute(insert(Deadline), deadlines)
        connection.execute(insert(DeadlineAlert), alerts)


def _managers(db, count: int) -> None:
    with db() as session:
        for i in range(count):
            accounts.create_user(session, username=f"chef{i}", role="manager", password=TEST_PASSWORD,
                                 district_code="sodermalm", email=f"chef{i}@stad.example")


def test_a_sweep_escalates_each_due_timer_once(engine, sessions, db):
    _managers(db, 2)
    _many_due_timers(engine, 30)
    result = sweep(sessions)
    assert (result.processed, result.messages) == (30, 60)
    assert sweep(sessions).processed == 0
    with db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 60
        assert session.scalar(select(func.count()).select_from(DeadlineAlert)
                              .where(DeadlineAlert.status == "done")) == 30


@pytest.mark.postgres_only
def test_two_sweepers_at_once_over_thousands_of_due_rows_send_each_reminder_once(engine, sessions, db):
    _managers(db, 1)
    _many_due_timers(engine, 3000)
    results = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(sweep(sessions, batch=100))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.processed for r in results) == 3000
    assert all(r.processed > 0 for r in results), "both sweepers took part"
    with db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3000
        assert session.scalar(select(func.count(func.distinct(OutboxMessage.dedup_key)))) == 3000
        assert session.scalar(select(func.count()).select_from(DeadlineAlert)
                              .where(DeadlineAlert.status != "done")) == 0
