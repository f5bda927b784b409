"""The pool's liveness check (`app/db.py: ping_when_idle`): asked of a connection that lay idle, not of
one handed back a moment ago; a dead idle connection is replaced before anyone uses it, and one that
dies between two requests fails only the request that got it, as a 503 to send again."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from app import db as db_module
from app.db import make_engine
from app.errors import is_contention
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL

needs_postgres = pytest.mark.skipif(not IS_POSTGRES, reason="a PostgreSQL backend to terminate")


@pytest.fixture
def small_engine():
    engine = make_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0)
    yield engine
    engine.dispose()


def _backend(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar()


def _terminate(pid: int) -> None:
    url = TEST_DATABASE_URL.replace("postgresql+psycopg", "postgresql")
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s, 5000)", (pid,))


@pytest.fixture
def pings(small_engine, monkeypatch):
    counted: list[object] = []
    ping = small_engine.dialect.do_ping
    monkeypatch.setattr(small_engine.dialect, "do_ping", lambda connection: counted.append(connection) or ping(connection))
    return counted


@needs_postgres
def test_a_connection_handed_back_a_moment_ago_is_lent_without_a_ping(small_engine, pings, monkeypatch):
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING_SECONDS", 3600)
    first, second = _backend(small_engine), _backend(small_engine)
    assert first == second  # the pool's one connection, lent twice
    assert pings == []


@needs_postgres
def test_a_connection_that_lay_idle_is_pinged_and_a_dead_one_replaced_before_use(small_engine, pings, monkeypatch):
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING_SECONDS", 0)
    first = _backend(small_engine)
    _terminate(first)  # PostgreSQL restarted, a firewall's idle timeout …: while it lay in the pool

    second = _backend(small_engine)  # no error: found dead at checkout and replaced

    assert second != first
    assert len(pings) >= 1


@needs_postgres
def test_a_connection_that_dies_between_two_requests_fails_one_request_as_busy(small_engine, monkeypatch):
    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING_SECONDS", 3600)
    first = _backend(small_engine)
    _terminate(first)

    with pytest.raises(DBAPIError) as failed, small_engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    assert failed.value.connection_invalidated
    assert is_contention(failed.value)  # answered 503 with Retry-After: nothing was stored

    assert _backend(small_engine) != first  # the pool let go of the dead one: the next request works


def test_a_lost_connection_is_an_error_to_send_again_and_other_errors_are_not():
    lost = OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                            connection_invalidated=True)
    assert is_contention(lost)
    assert not is_contention(OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly")))
