"""A busy database answers 503 with Retry-After, never 500 (issue #11, item 12).

SQLite: another connection holds the write lock past the busy timeout.
PostgreSQL: a lock held elsewhere past the lock timeout (55P03); serialization
failures and deadlocks are classified the same way.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg.errors
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import IntegrityError, OperationalError

from app.db import make_engine
from app.errors import is_contention
from app.main import create_app
from app.notices.schemas import EXAMPLE_NOTICE
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL, TEST_PASSWORD
from tests.notices.conftest import count_rows

PROBLEM = "application/problem+json"


def _assert_busy(answer, what: str = "The database is busy with other work.") -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "2"
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert body["type"] == "https://varsel.example/problems/unavailable"
    assert body["request_id"] == answer.headers["x-request-id"]
    assert body["detail"].startswith(what + " Send the same request again after Retry-After seconds")


@pytest.fixture
def busy_client(settings, engine) -> Iterator[TestClient]:
    """The app on its own engine, whose connections give up on a lock after 50 ms instead of 5 s."""
    own = make_engine(TEST_DATABASE_URL)

    def short_waits(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA busy_timeout=50" if not IS_POSTGRES else "SET lock_timeout = '50ms'")
        cursor.close()
        if IS_POSTGRES:
            dbapi_connection.commit()

    event.listen(own, "connect", short_waits)
    with TestClient(create_app(settings, engine=own)) as client:
        yield client
    own.dispose()


@contextmanager
def lock_held(*tables: str) -> Iterator[None]:
    """Another connection holds what the request needs: SQLite's write lock, or PostgreSQL table locks."""
    if IS_POSTGRES:
        holder = create_engine(TEST_DATABASE_URL)
        with holder.connect() as other:
            other.execute(text(f"LOCK TABLE {', '.join(tables)} IN ACCESS EXCLUSIVE MODE"))
            yield
            other.rollback()
        holder.dispose()
    else:
        other = sqlite3.connect(TEST_DATABASE_URL.removeprefix("sqlite:///"), isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")
            other.close()


def test_a_landlord_request_waiting_for_the_lock_gets_503(busy_client, landlord):
    with lock_held("api_keys"):
        answer = busy_client.get("/api/v1/notices", headers=landlord.headers)
    _assert_busy(answer)


def test_a_notice_refused_for_contention_is_not_stored_and_goes_through_a_moment_later(busy_client, landlord, db):
    with lock_held("api_keys", "notices"):
        answer = busy_client.post("/api/v1/notices", json=EXAMPLE_NOTICE, headers=landlord.headers)
    _assert_busy(answer)
    assert count_rows(db, "notices")["notices"] == 0
    again = busy_client.post("/api/v1/notices", json=EXAMPLE_NOTICE, headers=landlord.headers)
    assert again.status_code == 201, again.text


def test_a_staff_api_request_gets_503(busy_client, make_user):
    make_user("sara", "handler", "sodermalm")
    token = busy_client.post("/api/v1/auth/token", data={"username": "sara", "password": TEST_PASSWORD})
    assert token.status_code == 200, token.text
    with lock_held("users"):
        answer = busy_client.get("/api/v1/queue", headers={"Authorization": f"Bearer {token.json()['access_token']}"})
    _assert_busy(answer)


def test_a_page_request_gets_the_swedish_503_page(busy_client, make_user):
    make_user("sara", "handler", "sodermalm")
    form = busy_client.get("/logga-in", headers={"Accept": "text/html"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    signed_in = busy_client.post("/logga-in", headers={"Accept": "text/html"}, follow_redirects=False,
                                 data={"username": "sara", "password": TEST_PASSWORD, "csrf_token": csrf})
    assert signed_in.status_code == 303
    with lock_held("users"):
        answer = busy_client.get("/ko", headers={"Accept": "text/html"})
    assert answer.status_code == 503, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "Tjänsten svarar inte" in answer.text


LOST = "The connection to the database was lost (it may be restarting)."


@pytest.mark.skipif(not IS_POSTGRES, reason="a PostgreSQL backend to terminate")
def test_a_request_whose_connection_died_in_the_pool_gets_a_503_that_says_so(settings, landlord, monkeypatch):
    """PostgreSQL restarted between two requests, within the pool's idle time: the request that got the
    dead connection answers 503 naming the lost connection, and the next one works."""
    from app import db as db_module

    monkeypatch.setattr(db_module, "IDLE_BEFORE_PING_SECONDS", 3600)  # no liveness check on the way out
    own = make_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0)
    with TestClient(create_app(settings, engine=own)) as client:
        assert client.get("/api/v1/notices", headers=landlord.headers).status_code == 200
        _terminate(own)

        _assert_busy(client.get("/api/v1/notices", headers=landlord.headers), LOST)
        assert client.get("/api/v1/notices", headers=landlord.headers).status_code == 200

        # A notice: its first statements go straight through the driver (`app/sql.py`), not the ORM.
        _terminate(own)
        _assert_busy(client.post("/api/v1/notices", json=EXAMPLE_NOTICE, headers=landlord.headers), LOST)
        assert client.post("/api/v1/notices", json=EXAMPLE_NOTICE, headers=landlord.headers).status_code == 201
    own.dispose()


def _terminate(engine) -> None:
    """PostgreSQL ends the backend of the pool's one connection, as a restart would."""
    with engine.connect() as connection:
        backend = connection.execute(text("SELECT pg_backend_pid()")).scalar()
    admin = create_engine(TEST_DATABASE_URL)
    with admin.connect() as other:
        other.execute(text("SELECT pg_terminate_backend(:pid, 5000)"), {"pid": backend})
    admin.dispose()


def test_a_lost_connection_is_told_apart_from_a_busy_database_on_either_database(settings, engine):
    app = create_app(settings, engine=engine)

    def lost() -> None:
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection unexpectedly"),
                               connection_invalidated=True)

    def busy() -> None:
        raise OperationalError("SELECT 1", {}, sqlite3.OperationalError("database is locked"))

    app.add_api_route("/test-only/lost", lost)
    app.add_api_route("/test-only/busy", busy)
    with TestClient(app) as client:
        _assert_busy(client.get("/test-only/lost"), LOST)
        _assert_busy(client.get("/test-only/busy"))


# --------------------------------------------------------------------------- the classification

def _wrapped(original: BaseException, kind=OperationalError):
    return kind("SELECT 1", {}, original)


@pytest.mark.parametrize("original", [
    sqlite3.OperationalError("database is locked"),
    sqlite3.OperationalError("database table is locked"),
    psycopg.errors.SerializationFailure("could not serialize access"),
    psycopg.errors.DeadlockDetected("deadlock detected"),
    psycopg.errors.LockNotAvailable("canceling statement due to lock timeout"),
], ids=lambda e: type(e).__name__ + ":" + str(e)[:20])
def test_busy_errors_are_contention(original):
    assert is_contention(_wrapped(original))


@pytest.mark.parametrize("error", [
    _wrapped(sqlite3.OperationalError("no such table: x")),
    _wrapped(psycopg.errors.UndefinedTable("relation does not exist")),
    _wrapped(sqlite3.IntegrityError("UNIQUE constraint failed"), IntegrityError),
    RuntimeError("database is locked"),
], ids=["sqlite-no-table", "pg-no-table", "integrity", "not-a-db-error"])
def test_other_errors_are_not(error):
    assert not is_contention(error)
