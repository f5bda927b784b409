"""A unit of work run on the event loop, its waits for PostgreSQL awaited there instead of in a thread.

Why: a notice sent alone is a few milliseconds of Python around five waits for PostgreSQL. Run in
anyio's thread pool, four busy threads spent about a fifth of the server's CPU handing the GIL and
the sockets over to each other (`perf`: 30 % of the samples in the kernel's task switch, against
16 % with one thread). On the event loop the same notice cost 12 % less CPU and the server answered
16 % more of them (the twelfth pass's experiment); with the two round trips below also saved, the
server answered 37 % more in alternating runs (docs/performance.md, the thirteenth pass).

How: the sync code (`app/notices`, the ORM, `app/sql.py`'s driver-level statements) is unchanged.
It runs in a greenlet (SQLAlchemy's `greenlet_spawn`, as its own asyncio extension does), and
psycopg's connection, whose every wait for the server goes through `Connection.wait`, awaits that
wait on the loop when it is called from such a greenlet (`LoopConnection`); called from a thread
(every other endpoint, the scheduler, the CLI) it waits as psycopg always does.

What must never happen on the loop is a wait for something that only the loop can bring about:
the whole process would stop, not one thread. (CPU work still runs on the loop, as in any async
endpoint: the unit's own Python, a rebuild of the routing data, writing log lines.) Three such
waits are kept off it:

- a pool checkout when every connection is lent out (`LoopSafeQueuePool`: done in a thread; the
  connections the loop's greenlets hold are handed back on the loop);
- opening a connection (`LoopConnection.connect`: in a thread, psycopg's connect does not wait
  through `Connection.wait`);
- a `threading.Lock` held by another greenlet across a wait for PostgreSQL (`holding`: the
  routing data's reload, `app/routing/service.py`).

A unit of work on the loop is not cancelled halfway (`run_unit`), as one in a thread is not: a
client that goes away, or a server that stops, does not leave a statement half-sent on a pooled
connection or a transaction half-done.
SQLite has no waits to hand over (its calls block in C, briefly): there the unit runs in a thread.

The same connection saves two round trips of every transaction that records an audit event, on
the loop or in a thread: psycopg's own BEGIN, sent and answered before the first statement, goes
in the first message instead (`LoopConnection.beginning_in_message`), and the audit chain's rows
go with the COMMIT (`LoopConnection.send_with_commit`).
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import anyio.to_thread
import psycopg
from psycopg import waiting
from psycopg.pq import TransactionStatus
from sqlalchemy.orm import Session
from sqlalchemy.pool import QueuePool
from sqlalchemy.util import queue as pool_queue
from sqlalchemy.util.concurrency import await_, greenlet_spawn, in_greenlet
from starlette.concurrency import run_in_threadpool

T = TypeVar("T")
IDLE = TransactionStatus.IDLE


class LoopConnection(psycopg.Connection):  # type: ignore[type-arg]
    """psycopg's connection as Varsel's PostgreSQL engines make it: inside `run_unit`'s greenlet it
    waits on the event loop; anywhere, a transaction's first message begins it and the audit rows go
    with its COMMIT, two round trips fewer per request.

    It reads and sets a few of psycopg's own attributes (`_autocommit`, `_pipeline`,
    `_num_transactions`, `_tpc`): psycopg is pinned (pyproject.toml), and `tests/test_db_loop.py` fails if
    they change meaning."""

    @classmethod
    def connect(cls, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        if in_greenlet():
            return await_(anyio.to_thread.run_sync(functools.partial(super().connect, *args, **kwargs)))
        return super().connect(*args, **kwargs)

    _sent_with_commit: str | None = None

    def send_with_commit(self, statement: str) -> None:
        """`statement` (its values already in its text) sent with this transaction's COMMIT, in one
        message: the audit chain's rows (`app/security/audit.py`), which are the transaction's last
        write, save the round trip of their own. A rollback drops it, with the transaction."""
        assert self._sent_with_commit is None, "one statement goes with a commit"
        self._sent_with_commit = statement

    def commit(self) -> None:
        if self._sent_with_commit is None or self._num_transactions or self._tpc:
            # psycopg's own commit, or its refusal (inside its `transaction()`, two-phase): then the
            # statement stays with the transaction, for its commit or its rollback
            super().commit()
            return
        statement, self._sent_with_commit = self._sent_with_commit, None
        try:
            psycopg.ClientCursor(self).execute(f"{statement};\nCOMMIT")
        except BaseException:
            # The statement failed, so PostgreSQL skipped the COMMIT: the transaction is left failed,
            # where psycopg's own failed COMMIT always ends it. End it here too, or a connection
            # handed back without a rollback (`with Session(…)` closes without one) would go to the
            # next user still failed.
            if self.pgconn.transaction_status != IDLE:
                super().rollback()
            raise
        super().commit()  # committed already: psycopg's checks, and nothing to send

    def rollback(self) -> None:
        self._sent_with_commit = None
        super().rollback()

    @contextmanager
    def beginning_in_message(self) -> Iterator[bool]:
        """Around one simple-protocol message (`app/sql.py: _in_one_message`): True if it is the
        transaction's first, and then the message must begin the transaction itself ("BEGIN; …").

        psycopg begins a transaction with a BEGIN of its own, sent and answered before the first
        statement: a round trip of every request's. Here psycopg is told, for this one message, not
        to (its `autocommit` is only whether it sends that BEGIN; the server knows nothing of it).
        Only for a plain BEGIN: with an isolation level, read-only or deferrable set, psycopg's own."""
        folds = (not self._autocommit and self._pipeline is None and self.pgconn.transaction_status == IDLE
                 and self.isolation_level is None and self.read_only is None and self.deferrable is None)
        if not folds:
            yield False
            return
        self._autocommit = True
        try:
            yield True
        finally:
            self._autocommit = False

    def wait(self, gen: Any, interval: float = 0.1, timeout: float | None = None) -> Any:
        if in_greenlet():
            return await_(waiting.wait_async(gen, self.pgconn.socket, interval=interval, timeout=timeout))
        return super().wait(gen, interval, timeout)


class LoopSafeQueuePool(QueuePool):
    """SQLAlchemy's queue pool, whose checkout from a greenlet on the loop never blocks the loop:
    a connection lying ready is taken at once; otherwise (open one, or wait until one is handed
    back) the checkout runs in a thread while the loop goes on."""

    _sqla_logger_namespace = "sqlalchemy.pool.impl.QueuePool"  # its log lines where they always were

    def _do_get(self) -> Any:
        if not in_greenlet():
            return super()._do_get()
        try:
            return self._pool.get(False)
        except pool_queue.Empty:
            pass
        return await_(anyio.to_thread.run_sync(super()._do_get))


def connect_for_loop(_dialect: Any, _record: Any, cargs: Any, cparams: Any) -> Any:
    """A PostgreSQL engine's `do_connect` listener (`app/db.py: make_engine`): its connections are
    `LoopConnection`s."""
    return LoopConnection.connect(*cargs, **cparams)


async def run_unit(session: Session, work: Callable[..., T], *args: Any) -> T:
    """`work(*args)`, sync code using `session`: on PostgreSQL on the event loop (above), on SQLite
    in the thread pool. Not cancelled halfway, in either."""
    if session.get_bind().dialect.name != "postgresql":
        return await run_in_threadpool(work, *args)
    # A task of its own, shielded: cancelling the request (a client gone, the server stopping) waits
    # for the unit to end, as it waits for a thread, and is delivered then. anyio's cancellation (a
    # cancel scope, a task group) is held off by its shield, which it would otherwise deliver again
    # at every turn of the loop; asyncio's own `task.cancel()` reaches through it, once per call.
    unit = asyncio.ensure_future(greenlet_spawn(work, *args))
    with anyio.CancelScope(shield=True):
        try:
            return await asyncio.shield(unit)
        except asyncio.CancelledError:
            while not unit.done():
                try:
                    await asyncio.shield(unit)
                except asyncio.CancelledError:
                    continue
                except Exception:  # noqa: BLE001 - the unit's own failure; the cancellation goes on below
                    break
            raise


def waiting_off_loop(wait: Callable[..., T], *args: Any) -> T:
    """`wait(*args)`, a call that waits for another unit of work (a lock, a barrier): inside
    `run_unit`'s greenlet in a thread, since the other may be a greenlet that goes on only when the
    loop does; elsewhere as it is."""
    if in_greenlet():
        return await_(anyio.to_thread.run_sync(functools.partial(wait, *args)))
    return wait(*args)


@contextmanager
def holding(lock: threading.Lock) -> Iterator[None]:
    """`with lock:`, whose wait for the lock, if it is held, is `waiting_off_loop`."""
    if not lock.acquire(blocking=False):
        waiting_off_loop(lock.acquire)
    try:
        yield
    finally:
        lock.release()
