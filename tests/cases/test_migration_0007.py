"""Migration 0007 fills the queue's new columns of existing cases from their deadlines.

Runs on a scratch database of its own: a SQLite file, or on PostgreSQL (when the
tests run there) a schema of its own in the test database, dropped afterwards.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from app.cases.models import NO_DEADLINE, Case
from app.db import make_engine
from tests.conftest import IS_POSTGRES, REPO, TEST_DATABASE_URL

NOW = datetime(2026, 11, 20, 10, tzinfo=timezone.utc)


@pytest.fixture
def scratch_url(tmp_path):
    if not IS_POSTGRES:
        yield f"sqlite:///{tmp_path}/migration.db"
        return
    schema = f"mig0007_{uuid.uuid4().hex[:8]}"
    engine = make_engine(TEST_DATABASE_URL)
    with engine.begin() as connection:
        connection.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in TEST_DATABASE_URL else "?"
    yield f"{TEST_DATABASE_URL}{separator}options=-csearch_path%3D{schema}"
    with engine.begin() as connection:
        connection.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    engine.dispose()


def _bind(url: str, value):
    if url.startswith("sqlite"):
        if isinstance(value, uuid.UUID):
            return value.hex
        if isinstance(value, datetime):
            return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return value


def test_existing_cases_get_their_firm_deadline_and_overdue_time(scratch_url):
    config = Config(str(REPO / "alembic.ini"))
    config.set_main_option("sqlalchemy.url", scratch_url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
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
    b = lambda value: _bind(scratch_url, value)  # noqa: E731
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
