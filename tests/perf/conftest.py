"""Helpers for the intake-cost tests: call the intake service directly and count its SQL and flushes.

Counts, not timings: speed is measured by `bench/`, never by a timed test. What
these tests pin down is the work per notice that made ingest slow (SQL
statements, ORM flushes, per-notice look-ups that do not depend on the notice),
so that it does not creep back.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from app.notices import service
from app.notices.schemas import NoticeIn
from app.routing.service import RouterProvider
from app.security.actors import Actor
from tests.notices.conftest import NOW, notice_body


@dataclass
class Work:
    """What the database saw while a block ran."""

    statements: list[str] = field(default_factory=list)
    flushes: int = 0

    def matching(self, prefix: str) -> list[str]:
        return [s for s in self.statements if s.upper().startswith(prefix)]


@pytest.fixture
def counted(engine: Engine) -> Callable[[], Any]:
    """`with counted() as work:` — the SQL statements and the ORM flushes that did something."""

    @contextmanager
    def count() -> Iterator[Work]:
        work = Work()

        def on_execute(_conn, _cursor, statement, *_args) -> None:
            work.statements.append(" ".join(statement.split()))

        def on_flush(_session, _context) -> None:
            work.flushes += 1

        event.listen(engine, "before_cursor_execute", on_execute)
        event.listen(Session, "after_flush", on_flush)
        try:
            yield work
        finally:
            event.remove(engine, "before_cursor_execute", on_execute)
            event.remove(Session, "after_flush", on_flush)

    return count


@pytest.fixture
def intake(settings, landlord, db) -> Callable[[], service.IntakeContext]:
    """A new intake context (one per unit of work, as the API makes one per request)."""
    routers = RouterProvider(settings.municipality)
    with db() as session:
        routers.get(session)  # built once per process, not per notice: not part of what is counted
    actor = Actor(kind="landlord", id=landlord.id, name="Bostadsbolaget AB", ip="127.0.0.1")
    return lambda: service.IntakeContext(settings=settings, routers=routers, actor=actor, now=NOW)


def bench_notice(external_id: str | None = None) -> NoticeIn:
    """The benchmark's notice (bench/notice.lua): rent arrears, no identity number, no coordinates."""
    return NoticeIn.model_validate(notice_body({
        "property.coordinates": None,
        "tenants": [{"name": "Anna Andersson", "phone": "+46701234567"}],
        "household": None,
    }, external_id=external_id or f"PERF-{uuid.uuid4().hex[:12]}"))


def person_notice(pin: str, external_id: str | None = None, apartment: str = "1102") -> NoticeIn:
    """The spec's example notice (identity number, two children with consent) for a given person."""
    return NoticeIn.model_validate(notice_body({
        "tenants[0].personal_identity_number": pin,
        "property.apartment_number": apartment,
    }, external_id=external_id or f"PERF-{uuid.uuid4().hex[:12]}"))
