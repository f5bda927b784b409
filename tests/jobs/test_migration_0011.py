"""Migration 0011: the "missed" timers go; each deadline records whether the sweep still has to
look at it once passed (`passed_checked_at`), exactly as its timer said; the downgrade plans the
timers again for the deadlines still to be looked at."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.db import make_engine
from app.deadlines.models import Deadline, DeadlineAlert
from tests.support.migrations import alembic_config, bound, scratch_database

NOW = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)


@pytest.fixture
def scratch_url(tmp_path):
    with scratch_database(tmp_path, "mig0011") as url:
        yield url


def test_missed_timers_become_the_deadlines_own_mark_and_come_back_on_downgrade(scratch_url):
    config = alembic_config(scratch_url)
    command.upgrade(config, "0010")
    engine = make_engine(scratch_url)
    b = lambda value: bound(scratch_url, value)  # noqa: E731
    case_id = uuid.uuid4()
    to_look, estimated, missed, info = (uuid.uuid4() for _ in range(4))
    fired_estimated, fired_missed = NOW - timedelta(days=2), NOW - timedelta(days=1)
    deadlines = [(to_look, "first_contact", "pending", False, NOW + timedelta(days=1)),
                 (estimated, "redemption_period_end", "pending", True, NOW - timedelta(days=2, minutes=1)),
                 (missed, "budget_advice_offer", "missed", False, NOW - timedelta(days=1, minutes=1)),
                 (info, "eviction_decision_earliest", "info", False, NOW + timedelta(days=5))]
    timers = [(to_look, "reminder", NOW, "pending", None), (to_look, "missed", NOW + timedelta(days=1, minutes=1),
                                                             "pending", None),
              (estimated, "missed", NOW - timedelta(days=2), "skipped", fired_estimated),
              (missed, "missed", NOW - timedelta(days=1), "done", fired_missed)]
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO cases (id, number, status, opened_at, priority, priority_rank, explanation, flags, household, "
            "joint_assessment_units, next_due_at, next_firm_due_at, last_activity_at) VALUES "
            "(:id, '2026-000001', 'open', :now, 'normal', 2, '{}', '[]', '{}', '[]', :now, :now, :now)"),
            {"id": b(case_id), "now": b(NOW)})
        for deadline_id, kind, status, is_estimated, due_at in deadlines:
            connection.execute(text(
                "INSERT INTO deadlines (id, case_id, kind, due_on, due_at, legal_basis, estimated, status, "
                "computed_from, created_at) VALUES (:id, :case, :kind, :day, :due, 'x', :estimated, :status, '{}', :now)"),
                {"id": b(deadline_id), "case": b(case_id), "kind": kind, "day": due_at.date().isoformat(),
                 "due": b(due_at), "estimated": is_estimated, "status": status, "now": b(NOW)})
        for deadline_id, kind, fire_at, status, done_at in timers:
            connection.execute(text(
                "INSERT INTO deadline_alerts (id, deadline_id, kind, fire_at, status, done_at) "
                "VALUES (:id, :deadline, :kind, :fire, :status, :done)"),
                {"id": b(uuid.uuid4()), "deadline": b(deadline_id), "kind": kind, "fire": b(fire_at),
                 "status": status, "done": b(done_at)})

    command.upgrade(config, "0011")
    with Session(engine) as session:
        marks = dict(session.execute(select(Deadline.id, Deadline.passed_checked_at)).all())
        left = session.execute(select(DeadlineAlert.deadline_id, DeadlineAlert.kind)).all()
    assert marks[to_look] is None  # its timer was still to fire: the sweep is to look at it
    assert marks[estimated] == fired_estimated and marks[missed] == fired_missed  # looked at, when
    assert marks[info] is not None  # never to be looked at
    assert left == [(to_look, "reminder")]

    command.downgrade(config, "0010")
    with engine.connect() as connection:
        timers_now = connection.execute(text("SELECT deadline_id, kind, fire_at, status FROM deadline_alerts "
                                             "ORDER BY kind")).all()
    assert [(uuid.UUID(str(row[0])), row[1], row[3]) for row in timers_now] == [
        (to_look, "missed", "pending"), (to_look, "reminder", "pending")]
    with Session(engine) as session:  # (the timers' table is as it was: the ORM reads it)
        assert session.scalar(select(DeadlineAlert.fire_at).where(DeadlineAlert.kind == "missed")) == \
            NOW + timedelta(days=1, minutes=1)
    command.upgrade(config, "head")
    engine.dispose()
