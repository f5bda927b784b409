"""The sweep: timers claimed atomically, each reminder recorded once — also with two sweepers at once."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, literal, select

from app.cases.models import Case
from app.db import utcnow
from app.deadlines.alerts import declared_missed, passed_at, plan, vardagar_before
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
    ]
    # Declared missed by its own due time, not by a timer of its own: 00:00 in Stockholm, the day after.
    assert passed_at(redemption.due_at).isoformat() == "2026-12-11T23:00:00+00:00"


def test_the_kinds_declared_missed_once_passed_are_those_that_had_a_timer_for_it(engine):
    """`declared_missed` (the sweep's condition, in SQL) names the kinds, with or without a day, that
    had a "missed" timer before it went; migration 0011 keeps the same list."""
    from datetime import date

    from sqlalchemy import Date, String

    day = date(2026, 12, 11)
    expected = {("redemption_period_end", day): True, ("redemption_period_end", None): False,
                ("budget_advice_offer", day): True, ("budget_advice_offer", None): False,
                ("first_contact", day): True, ("first_contact", None): True,
                ("kronofogden_acknowledgement", None): True, ("eviction_decision_earliest", day): False,
                ("eviction", day): False}
    with engine.connect() as connection:
        for (kind, due_on), declared in expected.items():
            row = select(literal(kind, String()).label("kind"), literal(due_on, Date()).label("due_on")).subquery()
            found = connection.execute(select(row.c.kind).where(declared_missed(row.c.kind, row.c.due_on))).first()
            assert (found is not None) is declared, (kind, due_on)


def test_districts_may_tighten_the_policy_but_never_loosen_it():
    policy = policy_for({"first_contact_vardagar": 1, "redemption_reminder_vardagar": 3,
                         "redemption_escalation_vardagar": 4, "kronofogden_reminder_minutes": "5"})
    assert policy.first_contact_vardagar == 1  # stricter: taken
    assert policy.redemption_reminder_vardagar == 5  # looser (3 < 5): ignored
    assert policy.redemption_escalation_vardagar == 4  # earlier escalation: taken
    assert policy.kronofogden_reminder_minutes == 60  # not a number: ignored


def _many_due_timers(engine, n: int, *, passed: bool = False) -> None:
    """n open cases in Södermalm, each with a pending deadline whose escalation timer is due; or,
    `passed`, whose own due time has passed (no timer: it is declared missed by its due time)."""
    now = utcnow()
    due_at = now - timedelta(minutes=2) if passed else now + timedelta(days=3)
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
                              "due_on": due_at.date(), "due_at": due_at,
                              "legal_basis": "x", "estimated": False, "status": "pending", "computed_from": {},
                              "created_at": now})
            if not passed:
                alerts.append({"id": uuid.uuid4(), "deadline_id": deadline_id, "kind": "escalation",
                               "fire_at": now - timedelta(minutes=1), "status": "pending"})
        connection.execute(insert(Case), cases)
        connection.execute(insert(Deadline), deadlines)
        if alerts:
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


def test_a_sweep_declares_each_passed_deadline_missed_once(engine, sessions, db):
    _managers(db, 2)
    _many_due_timers(engine, 30, passed=True)
    result = sweep(sessions, batch=7)  # several batches
    assert (result.processed, result.missed, result.messages) == (30, 30, 60)
    again = sweep(sessions)
    assert (again.processed, again.skipped) == (0, 0)
    with db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 60
        assert session.scalar(select(func.count(func.distinct(OutboxMessage.dedup_key)))) == 60
        assert set(session.scalars(select(Deadline.status))) == {"missed"}
        assert session.scalar(select(func.count()).where(Deadline.passed_checked_at.is_(None))) == 0
        assert session.scalar(select(func.count()).select_from(DeadlineAlert)) == 0


@pytest.mark.postgres_only
def test_a_sweeper_skips_a_passed_deadline_whose_case_is_held_and_takes_it_next_time(engine, sessions, db):
    """A staff action or a batch holds the case (and then changes its deadlines): the sweeper does not
    wait for it, holding the deadline meanwhile (two transactions waiting on each other), but leaves
    it for its next run."""
    _managers(db, 1)
    _many_due_timers(engine, 3, passed=True)
    with db() as holder:
        held = holder.scalars(select(Case.id).order_by(Case.number).limit(1).with_for_update()).one()
        result = sweep(sessions)
        assert result.missed == 2
        holder.rollback()
    assert sweep(sessions).missed == 1
    with db() as session:
        assert session.get(Deadline, session.scalar(select(Deadline.id).where(Deadline.case_id == held))
                           ).status == "missed"


@pytest.mark.postgres_only
@pytest.mark.parametrize("passed", [False, True], ids=["timers", "passed-deadlines"])
def test_two_sweepers_at_once_over_thousands_of_due_rows_send_each_reminder_once(engine, sessions, db, passed):
    _managers(db, 1)
    _many_due_timers(engine, 3000, passed=passed)
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
        assert set(session.scalars(select(Deadline.status))) == {"missed" if passed else "pending"}
