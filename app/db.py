"""Database foundation: the declarative base, portable column types, engines and sessions.

Rule of the house: services never commit. A request (``session_scope`` via the
``SessionDep`` dependency) or a job run owns the transaction and commits once
at the end, or rolls back on any error.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime, timezone
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy import JSON, DateTime, MetaData, Uuid, create_engine, event
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker
from sqlalchemy.types import TypeDecorator

from app.db_loop import LoopSafeQueuePool, connect_for_loop
from app.ids import new_id

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_N_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always timezone-aware UTC in Python.

    SQLite has no timezone type, so values are stored as naive UTC there and
    made aware again on the way out. Naive datetimes are refused on the way in:
    a naive value is a bug (whose local time?), never something to guess.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: use an aware datetime (UTC)")
        value = value.astimezone(timezone.utc)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


PortableJSON = JSON().with_variant(JSONB(), "postgresql")


_CLOCK: ContextVar[datetime | None] = ContextVar("varsel_clock", default=None)


def utcnow() -> datetime:
    """Now, in UTC — or the moment `clock_at` set (only the demo's history, made in the past, sets one)."""
    return _CLOCK.get() or datetime.now(timezone.utc)


@contextmanager
def clock_at(moment: datetime) -> Iterator[None]:
    """Within this block `utcnow()` (and every column default that uses it) answers `moment`, so that
    what the demo's history does at a past moment is recorded at that moment (`app/demo_history.py`)."""
    token = _CLOCK.set(moment.astimezone(timezone.utc))
    try:
        yield
    finally:
        _CLOCK.reset(token)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        datetime: UTCDateTime,
        uuid.UUID: Uuid,
        dict[str, Any]: PortableJSON,
        list[str]: PortableJSON,
    }


class IdMixin:
    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)


class CreatedAtMixin:
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the scheduler write while requests read; foreign keys are off by
    # default in SQLite; the busy timeout turns brief lock waits into waits, not errors.
    # The driver's own transaction handling is switched off (isolation_level=None)
    # so that SQLAlchemy's BEGIN and SAVEPOINT work as documented.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()
    # SQLite's lower() folds only ASCII; searches fold "Åsa" and "åsa" alike (app/sql.py: casefold).
    dbapi_connection.create_function("varsel_casefold", 1, _casefold, deterministic=True)


def _casefold(value: Any) -> Any:
    return value.lower() if isinstance(value, str) else value


def _sqlite_begin_immediate(connection: Any) -> None:
    # A deferred transaction that reads and then writes can fail at once with
    # SQLITE_BUSY when another writer got there first; taking the write lock at
    # BEGIN makes concurrent units of work wait their turn (busy_timeout) instead.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str, **kwargs: Any) -> Engine:
    # A failed statement's error would otherwise carry its parameters — tenants' names, identity
    # numbers, phone numbers, addresses — into every log line and traceback that shows the error.
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 10)
    # Its connections can wait for PostgreSQL on the event loop too (`app/db_loop.py`).
    kwargs.setdefault("poolclass", LoopSafeQueuePool)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "do_connect", connect_for_loop)
    if not kwargs.get("pool_pre_ping"):
        ping_when_idle(engine)
    return engine


# A pooled connection that lay idle at least this long is asked whether it is still alive before
# it is lent out (`ping_when_idle`); one handed back a moment ago is lent as it is.
IDLE_BEFORE_PING_SECONDS = 2.0


def ping_when_idle(engine: Engine) -> None:
    """The pool's liveness check (a `SELECT 1` round trip) only for a connection that lay idle.

    SQLAlchemy's `pool_pre_ping` asks before every checkout: under load, a round trip of every
    request's seven, for connections handed back milliseconds before. What kills a pooled connection
    — PostgreSQL restarted, a failover, a firewall's idle timeout, `idle_session_timeout` — strikes
    while it lies idle, and those are still checked; a dead one is replaced before the request sees it
    (the pool retries the checkout). A connection that dies in the moment between two requests fails
    the one request that gets it (a 503, `app/errors.py`), and the pool then drops every connection
    made before (SQLAlchemy invalidates the pool on a disconnect), so the next requests get new ones."""

    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_BEFORE_PING_SECONDS:
            return  # just made, or just handed back
        try:
            engine.dialect.do_ping(dbapi_connection)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise sa_exc.DisconnectionError("a pooled connection was found dead; replaced") from exc


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, autoflush=True)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit at the end, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
