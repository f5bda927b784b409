"""The audit log is a keyed hash chain; `varsel audit verify` names the first row that does not hold.

On PostgreSQL the database itself refuses UPDATE and DELETE of audit rows; to
tamper anyway, these tests switch the trigger off as an owner could.
"""

from __future__ import annotations

import threading
import time
import uuid
from contextlib import contextmanager

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import DBAPIError
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.db import transaction
from app.security import audit
from app.security.actors import SYSTEM, Actor
from app.security.models import AuditEvent
from tests.conftest import IS_POSTGRES

runner = CliRunner()
SARA = Actor(kind="staff", id=uuid.uuid4(), name="sara", role="handler", ip="10.0.0.7")


def key() -> bytes:
    return audit.chain_key(get_settings().secret_key)


def record_each_in_its_own_transaction(sessions, count: int, action: str = "case.view") -> None:
    for number in range(count):
        with transaction(sessions) as session:
            audit.record(session, SARA, action, object_type="case", object_id=uuid.uuid4(),
                         details={"number": number, "note": "Åsa öppnade ärendet", "nested": {"b": 1, "a": [1.5]}})


def rows(db) -> list[AuditEvent]:
    with db() as session:
        return list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))


@contextmanager
def tampering(engine):
    """A connection that may change audit rows: on PostgreSQL only with the trigger switched off."""
    with engine.begin() as connection:
        if IS_POSTGRES:
            connection.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
        yield connection
        if IS_POSTGRES:
            connection.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))


def verify() -> tuple[int, str, str]:
    result = runner.invoke(cli, ["audit", "verify"])
    return result.exit_code, result.stdout, result.stderr


def test_each_row_links_to_the_one_before_and_verify_finds_the_chain_intact(sessions, db, env_settings):
    record_each_in_its_own_transaction(sessions, 5)
    chain = rows(db)
    assert chain[0].prev_hash is None
    assert [row.prev_hash for row in chain[1:]] == [row.row_hash for row in chain[:-1]]
    assert all(row.row_hash == audit.row_hash(key(), row.prev_hash, row) for row in chain)

    code, out, err = verify()
    assert code == 0, err
    assert out.splitlines() == ["5 rows, chain intact", f"last row {chain[-1].id}, hash {chain[-1].row_hash}"]


def test_a_changed_row_is_named(sessions, db, engine, env_settings):
    record_each_in_its_own_transaction(sessions, 5)
    victim = rows(db)[2]
    with tampering(engine) as connection:
        connection.execute(text("UPDATE audit_events SET actor_name = 'someone else' WHERE id = :id"),
                           {"id": victim.id})

    code, _out, err = verify()

    assert code == 1
    assert f"row {victim.id}: its content does not match its hash" in err
    assert "The 2 rows before it are intact" in err


def test_a_removed_row_is_named_by_the_row_after_it(sessions, db, engine, env_settings):
    record_each_in_its_own_transaction(sessions, 5)
    chain = rows(db)
    with tampering(engine) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": chain[2].id})

    code, _out, err = verify()

    assert code == 1
    assert f"row {chain[3].id}: it does not link to row {chain[1].id}" in err


def test_a_recomputed_hash_without_the_key_does_not_help(sessions, db, engine, env_settings):
    record_each_in_its_own_transaction(sessions, 3)
    victim = rows(db)[1]
    victim.action = "case.nothing"
    forged = audit.row_hash(audit.chain_key("a guess at the secret key"), victim.prev_hash, victim)
    with tampering(engine) as connection:
        connection.execute(text("UPDATE audit_events SET action = 'case.nothing', row_hash = :h WHERE id = :id"),
                           {"h": forged, "id": victim.id})
    code, _out, err = verify()
    assert code == 1 and f"row {victim.id}: its content does not match its hash" in err


def test_rows_older_than_the_chain_are_counted_and_a_row_written_around_it_is_named(sessions, db, engine,
                                                                                     env_settings):
    insert = text("INSERT INTO audit_events (at, actor_kind, action) VALUES (CURRENT_TIMESTAMP, 'system', 'old')")
    with engine.begin() as connection:
        connection.execute(insert)
        connection.execute(insert)
    record_each_in_its_own_transaction(sessions, 2)
    code, out, _err = verify()
    assert code == 0 and out.startswith("2 rows, chain intact; 2 earlier rows predate the chain")

    with engine.begin() as connection:
        connection.execute(insert)  # straight into the table, past the chain
    code, _out, err = verify()
    assert code == 1 and f"row {rows(db)[-1].id}: it has no hash" in err


def test_verify_from_a_row_trusts_its_link_backwards(sessions, db, engine, env_settings):
    record_each_in_its_own_transaction(sessions, 4)
    chain = rows(db)
    with tampering(engine) as connection:
        connection.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": chain[0].id})
    assert verify()[0] == 1
    result = runner.invoke(cli, ["audit", "verify", "--from-id", str(chain[1].id)])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("3 rows, chain intact")


def test_many_rows_in_one_transaction_keep_the_chain_in_id_order(sessions, db):
    with transaction(sessions) as session:
        for number in range(60):
            audit.record(session, SYSTEM, "purge.case", object_type="case", object_id=uuid.uuid4(),
                         details={"number": number})
    chain = rows(db)
    assert [row.details["number"] for row in chain] == list(range(60))
    with db() as session:
        assert audit.verify_chain(session, key()).chained == 60


def test_what_a_rolled_back_savepoint_or_transaction_recorded_is_not_written(sessions, db):
    with transaction(sessions) as session:
        audit.record(session, SARA, "kept.before")
        savepoint = session.begin_nested()
        audit.record(session, SARA, "dropped.inside")
        savepoint.rollback()
        savepoint = session.begin_nested()
        audit.record(session, SARA, "kept.released")
        savepoint.commit()
    with pytest.raises(RuntimeError):
        with transaction(sessions) as session:
            audit.record(session, SARA, "dropped.rolled_back")
            raise RuntimeError("the request failed")
    assert [row.action for row in rows(db)] == ["kept.before", "kept.released"]
    with db() as session:
        assert audit.verify_chain(session, key()).intact


def test_appenders_at_the_same_moment_do_not_fork_the_chain(sessions, db):
    threads, each = 6, 5
    barrier = threading.Barrier(threads, timeout=30)
    failures: list[BaseException] = []

    def append(worker: int) -> None:
        try:
            for number in range(each):
                with transaction(sessions) as session:
                    audit.record(session, SARA, "case.view", details={"worker": worker, "number": number})
                    barrier.wait()  # everyone commits, and so reads the chain head, at once
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
            barrier.abort()

    workers = [threading.Thread(target=append, args=(worker,)) for worker in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=120)

    assert failures == []
    chain = rows(db)
    assert len(chain) == threads * each
    assert len({row.prev_hash for row in chain}) == len(chain)  # a fork would share a predecessor
    with db() as session:
        report = audit.verify_chain(session, key())
    assert report.intact, report.problem
    assert report.chained == threads * each


@pytest.mark.postgres_only
@pytest.mark.parametrize("statement", ["UPDATE audit_events SET action = 'x'", "DELETE FROM audit_events"])
def test_postgresql_refuses_to_change_or_remove_audit_rows(sessions, engine, statement: str):
    record_each_in_its_own_transaction(sessions, 1)
    with pytest.raises(DBAPIError) as refused:
        with engine.begin() as connection:
            connection.execute(text(statement))
    assert "audit_events is append-only" in str(refused.value.orig)
    assert refused.value.orig.sqlstate == "42501"


def test_recording_costs_one_statement_per_transaction_not_per_row(sessions, engine):
    statements: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    from sqlalchemy import event

    event.listen(engine, "before_cursor_execute", count)
    try:
        with transaction(sessions) as session:
            for _ in range(3):
                audit.record(session, SARA, "case.view")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    reads = [s for s in statements if "audit_chain_head" in s or s.lstrip().upper().startswith("SELECT")]
    inserts = [s for s in statements if s.lstrip().upper().startswith("INSERT INTO AUDIT_EVENTS")]
    assert len(reads) == 1, statements
    assert "FROM audit_events ORDER BY id DESC LIMIT 1" in reads[0] or "varsel_audit_chain_head" in reads[0]
    # The three rows in one statement: PostgreSQL numbers them by its sequence, SQLite (one writer) by the head's id.
    assert len(inserts) == 1



@pytest.mark.postgres_only
def test_a_commit_waiting_for_a_row_does_not_hold_the_chain(sessions, db):
    # A locks a row and commits after B began committing; B changed that row without flushing it yet.
    # Were B to take the chain's lock before flushing, each would wait for the other (a deadlock).
    from app.routing.models import District

    with db() as session:
        district_id = session.scalar(select(District.id).where(District.code == "sodermalm"))
    a_locked, failures = threading.Event(), []

    def a() -> None:
        try:
            with transaction(sessions) as session:
                session.execute(select(District).where(District.id == district_id).with_for_update())
                audit.record(session, SARA, "a.holds.the.row")
                a_locked.set()
                time.sleep(0.5)  # B is now committing, waiting for the row
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    def b() -> None:
        a_locked.wait(10)
        try:
            with transaction(sessions) as session:
                district = session.get(District, district_id)
                district.contact_phone = "08-508 00 000"
                audit.record(session, SARA, "b.changes.the.row")
        except BaseException as exc:  # noqa: BLE001
            failures.append(exc)

    workers = [threading.Thread(target=a), threading.Thread(target=b)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert failures == []
    assert sorted(row.action for row in rows(db)) == ["a.holds.the.row", "b.changes.the.row"]


@pytest.mark.skipif(not IS_POSTGRES, reason="the chain's lock and head are PostgreSQL's")
def test_a_head_read_with_the_last_write_chains_the_rows_and_no_change_may_follow_it(sessions, db):
    """A notice sent alone reads the chain's head (taking its lock) in its rows' round trip
    (`app/notices/bulk_write.py: Writer.execute`); the commit chains to that head without reading it
    again. A change after it would take a lock after the chain's: the commit refuses it."""
    from app.cases.models import CaseNumber

    record_each_in_its_own_transaction(sessions, 2)
    with transaction(sessions) as session:
        audit.record(session, SARA, "notice.create")
        audit.took_head(session, audit.send_chain_head(session.connection()).fetchone()[0])
    with pytest.raises(RuntimeError, match="lock was taken before"):
        with transaction(sessions) as session:
            audit.record(session, SARA, "dropped.late_change")
            audit.took_head(session, audit.send_chain_head(session.connection()).fetchone()[0])
            session.add(CaseNumber())
    with transaction(sessions) as session:
        audit.record(session, SARA, "case.view")  # read again: nothing left over from the refused one
        assert audit._HEAD not in session.info
    assert [row.action for row in rows(db)][-2:] == ["notice.create", "case.view"]
    with db() as session:
        report = audit.verify_chain(session, key())
    assert report.intact, report.problem
    assert report.chained == 4


def _late_core(session) -> None:
    session.execute(text("SELECT 1 FROM case_numbers FOR UPDATE"))


def _late_driver(session) -> None:
    from app.sql import send
    send(session.connection(), "SELECT 1 FROM case_numbers FOR UPDATE", {}, {})


def _late_orm(session) -> None:
    from app.cases.models import CaseNumber
    session.add(CaseNumber())
    session.flush()


@pytest.mark.skipif(not IS_POSTGRES, reason="the chain's lock and head are PostgreSQL's")
@pytest.mark.parametrize("late", [_late_core, _late_driver, _late_orm], ids=["core", "driver", "orm"])
def test_after_a_head_read_early_no_statement_but_the_audit_rows_runs(sessions, db, late):
    """The guard is on the connection, not on the session's changes: a statement run any way after the
    head was read early (SQLAlchemy Core, straight through the driver, an ORM flush) is refused before
    it reaches PostgreSQL, where it could take a lock after the chain's. The audit rows still may."""
    record_each_in_its_own_transaction(sessions, 1)
    with pytest.raises(RuntimeError, match="lock was taken before this statement"):
        with transaction(sessions) as session:
            audit.record(session, SARA, "dropped.late_statement")
            audit.took_head(session, audit.send_chain_head(session.connection()).fetchone()[0])
            late(session)
    with transaction(sessions) as session:  # the next transaction's connection is not guarded
        session.execute(text("SELECT 1 FROM case_numbers FOR UPDATE"))
        audit.record(session, SARA, "notice.create")
        audit.took_head(session, audit.send_chain_head(session.connection()).fetchone()[0])
    assert [row.action for row in rows(db)] == ["case.view", "notice.create"]
    with db() as session:
        report = audit.verify_chain(session, key())
    assert report.intact, report.problem


@pytest.mark.skipif(not IS_POSTGRES, reason="the chain's lock and head are PostgreSQL's")
def test_a_head_read_early_serves_only_its_own_transaction(sessions, db):
    """A head read by a transaction that then rolls back, or that commits, is not used by the next
    transaction of the same session: the chain moves on meanwhile, and a stale head would fork it."""
    session = sessions()
    try:
        audit.record(session, SARA, "rolled.back")
        audit.took_head(session, audit.send_chain_head(session.connection()).fetchone()[0])
        session.rollback()
        record_each_in_its_own_transaction(sessions, 1, "other")  # the chain moves on meanwhile
        audit.record(session, SARA, "first")
        session.commit()
        audit.record(session, SARA, "second")
        audit.took_head(session, audit.send_chain_head(session.connection()).fetchone()[0])
        session.commit()
        record_each_in_its_own_transaction(sessions, 1, "another")
        audit.record(session, SARA, "third")
        session.commit()
        assert audit._HEAD not in session.info
    finally:
        session.close()
    with db() as checking:
        report = audit.verify_chain(checking, key())
    assert report.intact, report.problem
    assert [row.action for row in rows(db)] == ["other", "first", "second", "another", "third"]
