"""A unit of work on the event loop (`app/db_loop.py`): its waits for PostgreSQL are awaited there, and
nothing it waits for can stop the loop — a lock another greenlet holds across such a wait, a pool
whose every connection is lent out, a cancelled request."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import await_

from app.db import make_engine
from app.db_loop import LoopConnection, holding, run_unit, waiting_off_loop
from tests.conftest import TEST_DATABASE_URL

postgres_only = pytest.mark.postgres_only


async def _ticks_while(awaitable, every: float = 0.01) -> tuple[object, int]:
    """The awaitable's result, and how often a task on the same loop ran meanwhile."""
    ticks = 0
    stop = asyncio.Event()

    async def tick():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1
            await asyncio.sleep(every)

    ticker = asyncio.create_task(tick())
    try:
        return await awaitable, ticks
    finally:
        stop.set()
        await ticker


def _run_within(seconds: float, main) -> object:
    """asyncio.run(main()) in a thread of its own: a loop that stops for ever fails the test instead
    of hanging the run, and a loop the suite left running in the main thread (the browser tests')
    is not in the way."""
    outcome: dict[str, object] = {}

    def run():
        try:
            outcome["result"] = asyncio.run(main())
        except BaseException as exc:  # noqa: BLE001 - handed to the test
            outcome["error"] = exc

    runner = threading.Thread(target=run, daemon=True)
    runner.start()
    runner.join(seconds)
    assert not runner.is_alive(), f"the event loop stopped: still running after {seconds} s"
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome.get("result")


@pytest.fixture
def small_engine():
    """One connection, none more: the second unit of work must wait for the first's."""
    engine = make_engine(TEST_DATABASE_URL, pool_size=1, max_overflow=0, pool_timeout=10)
    yield engine
    engine.dispose()


@postgres_only
def test_a_wait_for_postgresql_lets_the_loop_go_on(small_engine):
    def sleep_in_postgresql(session: Session) -> type:
        session.execute(text("SELECT pg_sleep(0.3)"))
        return type(session.connection().connection.driver_connection)

    async def main():
        with Session(small_engine) as session:
            return await _ticks_while(run_unit(session, sleep_in_postgresql, session))

    connection_type, ticks = _run_within(20, main)
    assert connection_type is LoopConnection
    assert ticks >= 10  # about 30 while PostgreSQL slept; a loop blocked by the wait would tick once


@postgres_only
def test_units_of_work_waiting_for_the_only_connection_take_turns_without_stopping_the_loop(small_engine):
    """The pool's one connection is lent to a greenlet that waits on the loop; the other greenlets'
    checkouts wait in threads. A checkout that waited on the loop would wait for ever (to the pool's
    timeout): the connection is handed back only when the loop runs its holder on."""
    order: list[int] = []

    def unit(number: int) -> None:
        with Session(small_engine) as session:
            session.execute(text("SELECT pg_sleep(0.1)"))
            order.append(number)
            session.commit()

    async def main():
        with Session(small_engine) as session:
            started = time.monotonic()
            units = asyncio.gather(*(run_unit(session, unit, number) for number in range(3)))
            await _ticks_while(units)
            return time.monotonic() - started

    elapsed = _run_within(20, main)
    assert sorted(order) == [0, 1, 2]
    assert elapsed < 5


@postgres_only
def test_a_lock_held_across_a_wait_for_postgresql_is_waited_for_off_the_loop(small_engine, engine):
    """The routing data's reload holds its lock while it reads the database (`app/routing/service.py`);
    a second unit on the loop that wants the lock meanwhile must not stop the loop the first one needs."""
    lock = threading.Lock()
    held_by: list[int] = []

    def unit(number: int) -> None:
        with Session(engine) as session, holding(lock):
            held_by.append(number)
            session.execute(text("SELECT pg_sleep(0.1)"))
            held_by.append(number)
            session.rollback()

    async def main():
        with Session(engine) as session:
            await asyncio.gather(*(run_unit(session, unit, n) for n in range(3)))

    _run_within(10, main)
    assert len(held_by) == 6
    assert all(held_by[i] == held_by[i + 1] for i in range(0, 6, 2)), held_by  # one holder at a time
    assert not lock.locked()


def test_outside_a_unit_of_work_the_helpers_wait_as_they_always_did():
    lock = threading.Lock()
    with holding(lock):
        assert lock.locked()
    assert not lock.locked()
    assert waiting_off_loop(lambda x: x + 1, 1) == 2


@postgres_only
def test_a_cancelled_request_does_not_stop_its_unit_of_work_halfway(engine):
    """Cancelled while PostgreSQL works (a client gone, the server stopping), the unit of work still
    ends as it would have — here, committed — and only then is the cancellation delivered: no
    statement is left half-sent on a pooled connection, as none is by a thread."""
    with Session(engine) as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS loop_cancel_probe (n int)"))
        session.execute(text("DELETE FROM loop_cancel_probe"))
        session.commit()

    def unit(session: Session) -> None:
        session.execute(text("SELECT pg_sleep(0.3)"))
        session.execute(text("INSERT INTO loop_cancel_probe VALUES (1)"))
        session.commit()

    async def main():
        with Session(engine) as session:
            task = asyncio.create_task(run_unit(session, unit, session))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            # the session's connection is usable again at once: nothing was left half-done on it
            return await run_unit(session, lambda: session.execute(text("SELECT 1")).scalar())

    try:
        assert _run_within(20, main) == 1
        with Session(engine) as session:
            assert session.execute(text("SELECT count(*) FROM loop_cancel_probe")).scalar() == 1
    finally:
        with Session(engine) as session:
            session.execute(text("DROP TABLE loop_cancel_probe"))
            session.commit()


def test_on_sqlite_a_unit_of_work_runs_in_the_thread_pool(engine):
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's path")

    def unit() -> threading.Thread | None:
        try:
            await_(asyncio.sleep(0))
        except Exception:  # noqa: BLE001 - outside a greenlet: MissingGreenlet
            return threading.current_thread()
        return None

    async def main():
        with Session(engine) as session:
            return threading.current_thread(), await run_unit(session, unit)

    loop_thread, unit_thread = _run_within(10, main)
    assert unit_thread is not None and unit_thread is not loop_thread


# --------------------------------------------------------------------------- round trips folded away

@pytest.fixture
def probe_table(engine):
    with Session(engine) as session:
        session.execute(text("CREATE TABLE IF NOT EXISTS loop_commit_probe (n int)"))
        session.execute(text("DELETE FROM loop_commit_probe"))
        session.commit()
    yield "loop_commit_probe"
    with Session(engine) as session:
        session.execute(text("DROP TABLE loop_commit_probe"))
        session.commit()


def _probe_rows(engine) -> list[int]:
    with Session(engine) as session:
        return list(session.execute(text("SELECT n FROM loop_commit_probe ORDER BY n")).scalars())


@postgres_only
def test_the_audit_rows_go_with_the_commit_in_one_message(engine, monkeypatch):
    from app.config import get_settings
    from app.security import audit
    from app.security.actors import SYSTEM
    from tests.support.round_trips import count_round_trips

    with Session(engine) as session:
        session.execute(text("SELECT 1"))
        trips = count_round_trips(monkeypatch)
        audit.record(session, SYSTEM, "loop.commit_probe")
        session.commit()
        # the chain's head (its lock), then the row and the COMMIT together; psycopg sent no COMMIT of its own
        assert trips == ["BaseCursor._execute_gen", "BaseCursor._execute_gen"]
    with Session(engine) as session:
        stored = session.execute(text("SELECT count(*) FROM audit_events WHERE action = 'loop.commit_probe'")).scalar()
        assert stored == 1
        report = audit.verify_chain(session, audit.chain_key(get_settings().secret_key))
    assert report.intact, report


@postgres_only
def test_what_goes_with_a_commit_fails_with_it_and_nothing_of_the_transaction_is_kept(engine, probe_table):
    from sqlalchemy.exc import DataError

    with Session(engine) as session:
        session.execute(text("INSERT INTO loop_commit_probe VALUES (1)"))
        session.connection().connection.driver_connection.send_with_commit("SELECT 1 / 0")
        with pytest.raises(DataError):
            session.commit()
        session.rollback()
        session.execute(text("INSERT INTO loop_commit_probe VALUES (2)"))  # the connection works on
        session.commit()
    assert _probe_rows(engine) == [2]


@postgres_only
def test_a_rollback_drops_what_was_to_go_with_the_commit(engine, small_engine, probe_table):
    with Session(small_engine) as session:  # its one connection: the next transaction's is the same
        session.execute(text("SELECT 1"))
        driver = session.connection().connection.driver_connection
        driver.send_with_commit("INSERT INTO loop_commit_probe VALUES (1)")
        session.rollback()
        session.execute(text("INSERT INTO loop_commit_probe VALUES (2)"))
        assert session.connection().connection.driver_connection is driver  # the same connection, a new transaction
        session.commit()
    assert _probe_rows(engine) == [2]


@postgres_only
def test_the_first_message_of_a_transaction_begins_it(engine, monkeypatch):
    """`app/sql.py: fetch_together`'s one message carries the BEGIN psycopg would have sent on its own."""
    from sqlalchemy import select

    from app.sql import fetch_together, planned_each_time
    from tests.support.round_trips import count_round_trips

    one = planned_each_time(select(text("1 AS n")))
    with Session(engine) as session:
        trips = count_round_trips(monkeypatch)
        first, second = fetch_together(session, [(one, {}), (one, {})])
        assert [r.n for r in first] == [1] and [r.n for r in second] == [1]
        assert trips == ["BaseCursor._execute_gen"]
        driver = session.connection().connection.driver_connection
        # begun by that message (no BEGIN of psycopg's was counted), and still open
        assert driver.info.transaction_status.name == "INTRANS"
        session.rollback()


@postgres_only
def test_a_transaction_with_an_isolation_level_is_begun_by_psycopg_as_it_asks(engine, monkeypatch):
    """The fold is a plain BEGIN: a transaction that asks for more gets psycopg's own BEGIN, which says it."""
    from sqlalchemy import select

    from app.sql import fetch_together, planned_each_time
    from tests.support.round_trips import count_round_trips

    one = planned_each_time(select(text("1 AS n")))
    with Session(engine.execution_options(isolation_level="SERIALIZABLE")) as session:
        trips = count_round_trips(monkeypatch)
        fetch_together(session, [(one, {}), (one, {})])
        assert sorted(trips) == ["BEGIN ISOLATION LEVEL SERIALIZABLE", "BaseCursor._execute_gen"], trips
        assert session.execute(text("SHOW transaction_isolation")).scalar() == "serializable"
        session.rollback()


@postgres_only
def test_a_failed_commit_leaves_no_failed_transaction_on_a_pooled_connection(engine, small_engine, probe_table):
    """PostgreSQL skips the COMMIT after the statement sent with it fails; the connection must not go
    back to the pool inside that failed transaction (`with Session(…)` hands it back without a rollback)."""
    from sqlalchemy.exc import DataError

    with Session(small_engine) as session:
        session.execute(text("INSERT INTO loop_commit_probe VALUES (1)"))
        session.connection().connection.driver_connection.send_with_commit("SELECT 1 / 0")
        with pytest.raises(DataError):
            session.commit()
    with Session(small_engine) as session:  # the pool's one connection again
        session.execute(text("INSERT INTO loop_commit_probe VALUES (2)"))
        session.commit()
    assert _probe_rows(engine) == [2]


@postgres_only
def test_a_connection_reopened_on_the_loop_is_opened_in_a_thread(small_engine, monkeypatch):
    """A pooled connection found dead (a disconnect, a failed idle ping, a recycle) is reopened at its
    checkout, inside the greenlet: psycopg's connect would wait on the loop's own thread."""
    import psycopg

    opened_in: list[threading.Thread] = []
    connect = psycopg.Connection.connect.__func__

    def recording(cls, *args, **kwargs):
        opened_in.append(threading.current_thread())
        return connect(cls, *args, **kwargs)

    monkeypatch.setattr(psycopg.Connection, "connect", classmethod(recording))

    def unit(session: Session) -> None:
        session.execute(text("SELECT 1"))
        session.connection().invalidate()  # as a disconnect does: the pool opens a new one when next lent
        session.rollback()
        session.execute(text("SELECT 1"))
        session.rollback()

    async def main():
        with Session(small_engine) as session:
            await run_unit(session, unit, session)
        return threading.current_thread()

    loop_thread = _run_within(20, main)
    assert len(opened_in) == 2 and loop_thread not in opened_in, (opened_in, loop_thread)


@postgres_only
def test_a_unit_under_an_anyio_cancel_scope_is_waited_for_without_spinning(engine, monkeypatch):
    """anyio delivers a scope's cancellation again at every turn of the loop: `run_unit` must wait for
    its unit under anyio's shield, not catch each delivery and go round again."""
    import anyio

    shields = 0
    shield = asyncio.shield

    def counting(awaitable):
        nonlocal shields
        shields += 1
        return shield(awaitable)

    monkeypatch.setattr(asyncio, "shield", counting)

    def unit(session: Session) -> int:
        value = session.execute(text("SELECT 1 FROM pg_sleep(0.3)")).scalar()
        session.rollback()
        return value

    async def main():
        with Session(engine) as session:
            with anyio.move_on_after(0.05):
                await run_unit(session, unit, session)
            return await run_unit(session, lambda: session.execute(text("SELECT 1")).scalar())

    assert _run_within(10, main) == 1
    assert shields <= 3, shields
