"""Migration 0007 fills the queue's new columns of existing cases from their deadlines.

Runs on a scratch database of its own: a SQLite file, or on PostgreSQL (when the
tests run there) a schema of its own in the test database, dropped afterwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.cases.models import NO_DEADLINE, Case
from app.db import make_engine
from tests.support.migrations import alembic_config, bound, scratch_database

NOW = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)


@pytest.fixture
def scratch_url(tmp_path):
    with scratch_database(tmp_path, "mig0007") as url:
        yield url


def test_existing_cases_get_their_firm_deadline_and_overdue_time(scratch_url):
    config = alembic_config(scratch_url)
    command.upgrade(config, "0006")
    engine = make_engine(scratch_url)
    estimate_only, mixed, reached = (uuid.uuid4() for _ in range(3))
    cases = [(estimate_only, None), (mixed, None), (reached, NOW)]
    deadlines = [
        (estimate_only, "redemption_period_end", "pending", True, NOW - timedelta(days=7)),
        (mixed, "redemption_period_end", "pending", True, NOW - timedelta(days=7)),
        (mixed, "first_contact", "pending", False, NOW + timedelta(days=2)),
        (mixed, "budget_advice_offer", "missed", False, NOW - timedelta(days=3)),
        (reached, "first_contact", "missed", False, NOW - timedelta(days=4)),  # the household was reached later
    ]
    b = lambda value: bound(scratch_url, value)  # noqa: E731
    with engine.begin() as connection:
        for number, (case_id, first_contact_at) in enumerate(cases):
            connection.execute(text(
                "INSERT INTO cases (id, number, status, opened_at, priority, priority_rank, explanation, flags, "
                "household, joint_assessment_units, next_due_at, last_activity_at, first_contact_at) VALUES "
                "(:id, :number, 'open', :now, 'normal', 2, '{}', '[]', '{}', '[]', :now, :now, :contact)"),
                {"id": b(case_id), "number": f"2026-{number:06d}", "now": b(NOW), "contact": b(first_contact_at)})
        for case_id, kind, status, estimated, due_at in deadlines:
            connection.execute(text(
                "INSERT INTO deadlines (id, case_id, kind, due_at, legal_basis, estimated, status, computed_from, "
                "created_at) VALUES (:id, :case, :kind, :due, 'x', :estimated, :status, '{}', :now)"),
                {"id": b(uuid.uuid4()), "case": b(case_id), "kind": kind, "due": b(due_at), "estimated": estimated,
                 "status": status, "now": b(NOW)})
    command.upgrade(config, "0007")

    with Session(engine) as session:
        found = {row.id: (row.next_firm_due_at, row.overdue_since)
                 for row in session.execute(select(Case.id, Case.next_firm_due_at, Case.overdue_since))}
    assert found[estimate_only] == (NO_DEADLINE, None)
    assert found[mixed] == (NOW + timedelta(days=2), NOW - timedelta(days=3))
    assert found[reached] == (NO_DEADLINE, None)
    command.downgrade(config, "0006")
    engine.dispose()
