"""Statements sent straight through the driver (`app/sql.py: send, fetch_together`, the batch
writer's pipeline in `app/notices/bulk_write.py`, the audit chain's head in `app/security/audit.py`):
after a failure in a pipeline the pooled connection is usable again (out of pipeline mode, its
transaction ended); a busy database is a 503 whichever way the statement went; the engine's
listeners see the statements.

The PostgreSQL tests run the app on an engine of one connection, so the request after a failure
gets the very connection that failed, and give up on a lock after 200 ms.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from fastapi.testclient import TestClient
from psycopg.pq import PipelineStatus, TransactionStatus
from sqlalchemy import bindparam, create_engine, event, select, text
from sqlalchemy.exc import DataError

from app.db import make_engine
from app.main import create_app
from app.notices import bulk
from app.routing.models import District
from app.security.audit import CHAIN_LOCK_KEY, HEAD_FUNCTION
from app.sql import fetch_together
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL
from tests.notices.conftest import BATCH, NOTICES, NOW, Clock, break_batch_rows_of, count_rows, notice_body


def _items(*external_ids: str) -> list[dict]:
    return [notice_body({"tenants[0].personal_identity_number": None}, external_id=e) for e in external_ids]


@pytest.fixture
def one_connection(settings, engine) -> Iterator[tuple[TestClient, object]]:
    """The app on an engine of one pooled connection that waits 200 ms for a lock."""
    own = make_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0)

    def short_waits(dbapi_connection, _record) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("SET lock_timeout = '200ms'")
        cursor.close()
        dbapi_connection.commit()

    event.listen(own, "connect", short_waits)
    app = create_app(settings, engine=own)
    app.state.clock = Clock(NOW)
    with TestClient(app) as client:
        yield client, own
    own.dispose()


def _assert_clean(own) -> None:
    """The pool's connection: out of pipeline mode, no transaction left open or failed."""
    with own.connect() as connection:
        driver = connection.connection.driver_connection
        assert driver.pgconn.pipeline_status == PipelineStatus.OFF
        assert driver.info.transaction_status == TransactionStatus.IDLE
        assert driver._pipeline is None


@contextmanager
def _held(statement: str) -> Iterator[None]:
    """Another connection holds a lock (table or advisory) the request needs."""
    holder = create_engine(TEST_DATABASE_URL)
    with holder.connect() as other:
        other.execute(text(statement))
        yield
        other.rollback()
    holder.dispose()


# --------------------------------------------------------------------------- a failed pipeline, then the next request

@pytest.mark.postgres_only
def test_a_batch_part_failing_in_the_pipeline_leaves_the_pooled_connection_usable(one_connection, landlord, db,
                                                                                 monkeypatch):
    client, own = one_connection
    break_batch_rows_of(monkeypatch, "R-002")
    # 160 items: three parts, the broken row in the first, found while the second is planned.
    answer = client.post(BATCH, json={"notices": _items(*[f"R-{i:03}" for i in range(160)])}, headers=landlord.headers)
    assert answer.status_code == 200, answer.text
    # The writer gave the chunk back; the one-notice path (without the fault) stored every item.
    assert {r["status"] for r in answer.json()["results"]} == {201}
    _assert_clean(own)
    monkeypatch.undo()
    again = client.post(BATCH, json={"notices": _items("R-NEXT-1", "R-NEXT-2")}, headers=landlord.headers)
    assert [r["status"] for r in again.json()["results"]] == [201, 201]
    assert count_rows(db, "notices")["notices"] == 162


@pytest.mark.postgres_only
def test_a_single_notice_failing_in_the_pipeline_leaves_the_pooled_connection_usable(one_connection, landlord,
                                                                                    monkeypatch):
    client, own = one_connection
    break_batch_rows_of(monkeypatch, "S-1")
    answer = client.post(NOTICES, json=_items("S-1")[0], headers=landlord.headers)
    assert answer.status_code == 201, answer.text  # taken again by the one-notice path
    _assert_clean(own)
    monkeypatch.undo()
    assert client.post(NOTICES, json=_items("S-2")[0], headers=landlord.headers).status_code == 201
    assert client.post(NOTICES, json=_items("S-1")[0], headers=landlord.headers).status_code == 200
    _assert_clean(own)


@pytest.mark.postgres_only
def test_the_planner_failing_while_a_part_is_in_flight_leaves_the_pooled_connection_usable(one_connection, landlord,
                                                                                          db, monkeypatch):
    client, own = one_connection
    break_batch_rows_of(monkeypatch, "F-010")  # the part in flight fails too: `Writer.close` must end it all the same
    take = bulk._take

    def failing(session, ctx, batch, writer, index, *rest):
        if index == 70:  # the first part (about 50 items) was sent and is not waited for
            assert writer._pipeline is not None
            raise RuntimeError("the planner failed")
        return take(session, ctx, batch, writer, index, *rest)

    monkeypatch.setattr(bulk, "_take", failing)
    answer = client.post(BATCH, json={"notices": _items(*[f"F-{i:03}" for i in range(120)])}, headers=landlord.headers)
    assert answer.status_code == 200, answer.text
    assert {r["status"] for r in answer.json()["results"]} == {201}  # every item by the one-notice path
    _assert_clean(own)
    monkeypatch.undo()
    assert client.post(NOTICES, json=_items("F-NEXT")[0], headers=landlord.headers).status_code == 201
    assert count_rows(db, "notices")["notices"] == 121


@pytest.mark.postgres_only
def test_a_failing_look_up_in_fetch_together_leaves_the_connection_usable(sessions):
    codes = select(District.code).where(District.code == bindparam("code"))
    with sessions() as session:
        with pytest.raises(DataError) as raised:
            fetch_together(session, [(codes, {"code": "sodermalm"}), (text("SELECT 1 / 0"), {}),
                                     (codes, {"code": "kungsholmen"})])
        assert isinstance(raised.value.orig, psycopg.errors.DivisionByZero)  # the first error, not "pipeline aborted"
        driver = session.connection().connection.driver_connection
        assert driver.pgconn.pipeline_status == PipelineStatus.OFF
        assert driver.info.transaction_status == TransactionStatus.INERROR
        session.rollback()
        assert fetch_together(session, [(codes, {"code": "sodermalm"})]) == [[("sodermalm",)]]


# --------------------------------------------------------------------------- a busy database: 503, either way

def _assert_busy(answer) -> None:
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"] == "2"
    assert answer.json()["type"].endswith("/unavailable")


@pytest.mark.postgres_only
def test_a_lock_timeout_in_the_writers_insert_is_503_and_nothing_is_stored(one_connection, landlord, db):
    client, own = one_connection
    # EXCLUSIVE lets the look-ups read tenants but not the writer's INSERT write them.
    with _held("LOCK TABLE tenants IN EXCLUSIVE MODE"):
        batch = client.post(BATCH, json={"notices": _items("L-1", "L-2")}, headers=landlord.headers)
        alone = client.post(NOTICES, json=_items("L-3")[0], headers=landlord.headers)
    _assert_busy(batch)
    _assert_busy(alone)
    assert count_rows(db, "notices", "cases", "audit_events") == {"notices": 0, "cases": 0, "audit_events": 0}
    _assert_clean(own)
    again = client.post(BATCH, json={"notices": _items("L-1", "L-2")}, headers=landlord.headers)
    assert [r["status"] for r in again.json()["results"]] == [201, 201]


@pytest.mark.postgres_only
def test_a_lock_timeout_taking_the_audit_chain_at_commit_is_503_and_nothing_is_stored(one_connection, landlord, db):
    client, own = one_connection
    with _held(f"SELECT pg_advisory_xact_lock({CHAIN_LOCK_KEY})"):
        alone = client.post(NOTICES, json=_items("C-1")[0], headers=landlord.headers)
        batch = client.post(BATCH, json={"notices": _items("C-2", "C-3")}, headers=landlord.headers)
    _assert_busy(alone)
    _assert_busy(batch)
    assert count_rows(db, "notices", "audit_events") == {"notices": 0, "audit_events": 0}
    _assert_clean(own)
    assert client.post(NOTICES, json=_items("C-1")[0], headers=landlord.headers).status_code == 201


# --------------------------------------------------------------------------- the engine's listeners

def test_the_listeners_see_the_writers_insert_and_the_audit_chain_head(client, app, engine, landlord):
    app.state.clock = Clock(NOW)
    seen: list[str] = []

    def on_execute(_conn, _cursor, statement, *_args) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", on_execute)
    try:
        answer = client.post(BATCH, json={"notices": _items("E-1", "E-2")}, headers=landlord.headers)
    finally:
        event.remove(engine, "before_cursor_execute", on_execute)
    assert [r["status"] for r in answer.json()["results"]] == [201, 201]
    if IS_POSTGRES:
        inserts = [s for s in seen if s.startswith("WITH t0 AS (INSERT INTO cases")]
        assert len(inserts) == 1 and "INSERT INTO notices" in inserts[0] and "INSERT INTO outbox" in inserts[0]
        assert f"SELECT {HEAD_FUNCTION}()" in seen
        assert any(s.startswith("INSERT INTO case_numbers") for s in seen)
    else:
        assert any(s.startswith("INSERT INTO notices") for s in seen)
        assert any(s.startswith("SELECT row_hash, id FROM audit_events") for s in seen)
    assert any(s.startswith("INSERT INTO audit_events") for s in seen)
