"""Rows that cheaper intake writes differently must still be written exactly as before.

- A new deadline's timers (DeadlineAlert) wait until the flush that stores the
  deadline and are then written in one INSERT: every pending deadline gets its
  planned timers once, a re-plan before storing keeps only the latest plan, and a
  deadline discarded with its savepoint leaves nothing behind.
- The outbox's unique dedup key decides with INSERT … ON CONFLICT DO NOTHING,
  for one message or many, also against a concurrent transaction.
"""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta

from sqlalchemy import func, select

from app.cases import transitions
from app.deadlines import alerts, rules
from app.deadlines import service as deadline_rows
from app.deadlines.models import Deadline, DeadlineAlert
from app.deadlines.policy import DEFAULT_POLICY
from app.notices import service
from app.routing.districts import district_by_code
from app.security.actors import SYSTEM
from app.vocabulary import DeadlineKind
from notifications import outbox
from notifications.models import OutboxMessage
from tests.notices.conftest import NOW, personnummer
from tests.perf.conftest import bench_notice, person_notice


def _timers_by_deadline(session) -> dict[uuid.UUID, list[tuple[str, object]]]:
    rows = session.execute(select(DeadlineAlert.deadline_id, DeadlineAlert.kind, DeadlineAlert.fire_at)
                           .order_by(DeadlineAlert.fire_at)).all()
    found: dict[uuid.UUID, list[tuple[str, object]]] = {}
    for deadline_id, kind, fire_at in rows:
        found.setdefault(deadline_id, []).append((kind, fire_at))
    return found


def _assert_each_pending_deadline_has_its_plan(session) -> None:
    timers = _timers_by_deadline(session)
    deadlines = session.scalars(select(Deadline)).all()
    assert deadlines
    for deadline in deadlines:
        if deadline.status != "pending":
            assert deadline.id not in timers
            continue
        planned = alerts.plan(deadline.kind, deadline.due_on, deadline.due_at, NOW, DEFAULT_POLICY)
        assert [kind for kind, _ in timers.get(deadline.id, [])] == [p.kind for p in planned], deadline.kind
        assert [at for _, at in timers.get(deadline.id, [])] == [p.fire_at for p in planned], deadline.kind
    assert set(timers) <= {d.id for d in deadlines}


def _new_deadline(due_on: date) -> rules.ComputedDeadline:
    due_at = NOW.replace(year=due_on.year, month=due_on.month, day=due_on.day)
    return rules.ComputedDeadline(kind=DeadlineKind.BUDGET_ADVICE_OFFER, due_on=due_on, due_at=due_at,
                                  legal_basis="test", estimated=False, informational=False,
                                  computed_from={"test": "yes"})


def test_a_new_case_stores_every_timer_of_its_deadlines(db, intake):
    with db() as session:
        _notice, created = service.receive(session, intake(), person_notice(personnummer(date(1985, 4, 12))), None)
    assert created
    with db() as session:
        _assert_each_pending_deadline_has_its_plan(session)


def test_a_notice_joining_an_open_case_stores_the_timers_of_its_own_deadlines(db, intake):
    pin = personnummer(date(1985, 4, 12))
    with db() as session:
        first, _ = service.receive(session, intake(), person_notice(pin, apartment="1102"), None)
    with db() as session:
        second, _ = service.receive(session, intake(), person_notice(pin, apartment="1203"), None)
    assert second.case_id == first.case_id
    with db() as session:
        _assert_each_pending_deadline_has_its_plan(session)
        own = session.scalars(select(Deadline.id).where(Deadline.notice_id == second.id,
                                                        Deadline.status == "pending")).all()
        assert own and all(deadline_id in _timers_by_deadline(session) for deadline_id in own)


def test_a_batch_of_notices_stores_each_timer_once(db, intake):
    with db() as session:
        context = intake()
        for i in range(5):
            service.receive(session, context, bench_notice(f"PERF-TIMERS-{i}"), None)
    with db() as session:
        _assert_each_pending_deadline_has_its_plan(session)


def _open_case(session):
    district = district_by_code(session, "sodermalm")
    return transitions.open_case(session, district_id=district.id, actor=SYSTEM, now=NOW)


def test_a_deadline_replanned_before_it_is_stored_keeps_only_the_latest_timers(db):
    with db() as session:
        case = _open_case(session)
        with session.no_autoflush:
            deadline = deadline_rows.add(session, case, None, _new_deadline(date(2026, 12, 1)))
            deadline.due_on = date(2026, 12, 8)
            deadline.due_at = deadline.due_at + timedelta(days=7)
            deadline_rows.plan_alerts(session, case, deadline)
    with db() as session:
        timers = _timers_by_deadline(session)
        planned = alerts.plan(DeadlineKind.BUDGET_ADVICE_OFFER, date(2026, 12, 8), deadline.due_at, NOW, DEFAULT_POLICY)
        assert [at for _, at in timers[deadline.id]] == [p.fire_at for p in planned]


def test_a_stored_deadline_that_moves_gets_new_timers_in_place_of_the_old(db):
    with db() as session:
        case = _open_case(session)
        deadline = deadline_rows.add(session, case, None, _new_deadline(date(2026, 12, 1)))
    with db() as session:
        deadline = session.get(Deadline, deadline.id)
        deadline.due_on = date(2026, 12, 8)
        deadline.due_at = deadline.due_at + timedelta(days=7)
        deadline_rows.plan_alerts(session, deadline.case, deadline)
    with db() as session:
        planned = alerts.plan(DeadlineKind.BUDGET_ADVICE_OFFER, date(2026, 12, 8), deadline.due_at, NOW, DEFAULT_POLICY)
        assert [at for _, at in _timers_by_deadline(session)[deadline.id]] == [p.fire_at for p in planned]


def test_a_deadline_rolled_back_with_its_savepoint_leaves_no_timers(db):
    with db() as session:
        case = _open_case(session)
        savepoint = session.begin_nested()
        discarded = deadline_rows.add(session, case, None, _new_deadline(date(2026, 12, 1)))
        savepoint.rollback()
        kept = deadline_rows.add(session, case, None, _new_deadline(date(2026, 12, 15)))
    with db() as session:
        timers = _timers_by_deadline(session)
        assert discarded.id not in timers
        assert kept.id in timers
        assert session.scalar(select(func.count()).select_from(Deadline)) == 1


def _message(key: str) -> dict:
    return {"channel": "email", "template": "new_cases_digest", "dedup_key": key,
            "recipient": f"{key}@stad.example", "payload": {"district_name": "Södermalm", "path": "/ko"}}


def test_enqueue_many_adds_each_new_key_once_in_one_statement(db, counted):
    with db() as session:
        assert outbox.enqueue(session, **_message("a")) is not None
    with db() as session:
        with counted() as work:
            added = outbox.enqueue_many(session, [_message("a"), _message("b"), _message("c")])
        assert len(work.matching("INSERT INTO OUTBOX")) == 1
        assert len(added) == 2
        assert outbox.enqueue(session, **_message("b")) is None
    with db() as session:
        rows = session.scalars(select(OutboxMessage).order_by(OutboxMessage.dedup_key)).all()
        assert [(m.dedup_key, m.status, m.attempts) for m in rows] == [("a", "pending", 0), ("b", "pending", 0),
                                                                        ("c", "pending", 0)]
        assert {m.id for m in rows if m.dedup_key != "a"} == set(added)


def test_a_key_enqueued_by_a_concurrent_transaction_is_waited_for_and_not_added_again(db, sessions):
    first = sessions()
    assert outbox.enqueue(first, **_message("same")) is not None  # not committed yet
    outcome: list[object] = []
    second_started = threading.Event()

    def second() -> None:
        with db() as session:
            second_started.set()
            outcome.append(outbox.enqueue(session, **_message("same")))

    thread = threading.Thread(target=second)
    thread.start()
    second_started.wait(5)
    thread.join(0.5)
    assert thread.is_alive()  # it waits for the first transaction's key
    first.commit()
    first.close()
    thread.join(10)
    assert outcome == [None]
    with db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 1
