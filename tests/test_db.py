from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select
from sqlalchemy.exc import StatementError

from app.security.models import Authority


def test_timestamps_come_back_aware_utc(db):
    stamp = datetime(2026, 11, 20, 9, 14, 3, tzinfo=timezone(timedelta(hours=1)))
    with db() as session:
        session.add(Authority(name="Kronofogden", created_at=stamp))
    with db() as session:
        stored = session.scalar(select(Authority.created_at))
    assert stored == stamp
    assert stored.tzinfo is not None and stored.utcoffset() == timedelta(0)
    assert stored.hour == 8  # 09:14 at +01:00 is 08:14 UTC


def test_naive_timestamps_are_refused(db):
    with pytest.raises(StatementError, match="naive datetime refused"):
        with db() as session:
            session.add(Authority(name="Kronofogden", created_at=datetime(2026, 11, 20, 9, 0)))
            session.flush()


def test_sqlite_pragmas(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000
