"""The audit log: append-only, one row per read of personal data and per action.

Written in the caller's transaction, so an action that rolls back leaves no
audit row claiming it happened — except reads, which the caller records even
when the request fails afterwards (see `record`'s users).

Each row is chained to the row before it: `row_hash` is an HMAC, under a key
derived from VARSEL_SECRET_KEY, over the row's content and the previous row's
`row_hash` (kept in `prev_hash`). Changing or removing a row breaks the chain at
that row, and without the key nobody can compute a new chain to hide it
(`varsel audit verify`, `app/security/audit_cli.py`). On PostgreSQL a trigger
also refuses UPDATE and DELETE outright (migration 0006).

The chain needs one appender at a time, so rows join it at commit: `record`
keeps the event with the session, and just before the transaction commits its
events are hashed onto the chain head and inserted. The head is read with one
statement — on PostgreSQL a function that first takes a transaction-level
advisory lock (held until that commit, so two transactions cannot fork the
chain) and then reads the head with a fresh snapshot; SQLite has a single
writer already (BEGIN IMMEDIATE). The lock is taken after the transaction's other
changes are flushed and held only for the commit, not for the request. Rows keep
the order of their ids, which are given at that insert. On PostgreSQL that insert
goes with the COMMIT, in its message (`app/db_loop.py: LoopConnection.send_with_commit`):
the lock is held for the one round trip.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import timezone
from functools import lru_cache
from types import SimpleNamespace
from typing import Any

import orjson
import psycopg
from sqlalchemy import event, select, text
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session, SessionTransaction

from app.config import get_settings
from app.db import utcnow
from app.logging import current_request_id
from app.security.actors import Actor
from app.security.models import AuditEvent
from app.sql import as_sqlalchemy_errors, send

_PENDING = "varsel.audit.pending"
HEAD_FUNCTION = "varsel_audit_chain_head"  # PostgreSQL, created by migration 0006
CHAIN_LOCK_KEY = 0x4155_4454  # "AUDT"


@dataclass(frozen=True)
class Origin:
    """Who did it and in which request, for an event recorded while answering another request
    (notices sent alone and written together: `app/notices/groups.py`)."""

    actor: Actor  # with that request's client address
    request_id: str | None


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: uuid.UUID | str | None = None,
    district_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
    request_id: str | None = None,
) -> SimpleNamespace:
    """The event, pending until the transaction commits (`_append_pending`). Plain data, not an
    ORM row: a 500-notice batch records 500 of them, and only SQLite's commit needs ORM rows.

    `request_id`: the request the event belongs to; by default the one being answered (the logging
    context's). Notices sent alone but written together (`app/notices/groups.py`) each name their own."""
    audit_event = SimpleNamespace(
        at=utcnow(),
        actor_kind=actor.kind,
        actor_id=str(actor.id) if actor.id else None,
        actor_name=actor.name,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        district_id=district_id,
        ip=actor.ip,
        request_id=current_request_id() if request_id is None else request_id,
        details=details,
        note=None,
        prev_hash=None,
        row_hash=None,
    )
    # With the savepoint it was recorded in: if that rolls back, so does the event.
    session.info.setdefault(_PENDING, []).append((audit_event, session.get_nested_transaction()))
    return audit_event


def pending(session: Session) -> bool:
    """Events recorded in this session that its commit is still to write."""
    return bool(session.info.get(_PENDING))


# --------------------------------------------------------------------------- the chain

@lru_cache(maxsize=4)
def chain_key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"varsel:audit-chain:v1", hashlib.sha256).digest()


def content(row: Any) -> bytes:
    """The row's fields in one canonical form, the same before the insert and after reading it back."""
    fields = [
        row.at.astimezone(timezone.utc).isoformat(timespec="microseconds"),
        row.actor_kind, row.actor_id, row.actor_name, row.action, row.object_type, row.object_id,
        str(row.district_id) if row.district_id is not None else None,
        row.ip, row.request_id, row.details, row.note,
    ]
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def row_hash(key: bytes, prev_hash: str | None, row: Any) -> str:
    return hmac.new(key, (prev_hash or "").encode() + b"\n" + content(row), hashlib.sha256).hexdigest()


def chain_head(connection: Connection) -> str | None:
    """The newest row's hash; on PostgreSQL after taking the chain's lock for this transaction."""
    if connection.dialect.name == "postgresql":
        # Straight through the driver: the statement of every commit that records an event, and
        # SQLAlchemy's execution of it cost several times the driver's.
        with as_sqlalchemy_errors():
            return send_chain_head(connection).fetchone()[0]
    return connection.execute(text("SELECT row_hash FROM audit_events ORDER BY id DESC LIMIT 1")).scalar()


def send_chain_head(connection: Connection) -> Any:
    """PostgreSQL: the chain's lock taken and its head read (`chain_head`); the cursor, whose one row
    is the head (in a pipeline: once the pipeline is read)."""
    return send(connection, f"SELECT {HEAD_FUNCTION}()", {}, {})


def took_head(session: Session, head: str | None) -> None:
    """The chain's head, read with its lock by the transaction's last write in that write's own round
    trip (a notice sent alone: `app/notices/bulk_write.py: Writer.execute`): the commit chains its
    rows to it without reading it again. The write must be the transaction's last: the chain's lock
    is to be the last lock a transaction takes (`_append_pending`). From here until the transaction
    ends its connection runs the audit rows' statement and no other (`_only_the_audit_rows`)."""
    session.info[_HEAD] = head
    # On the transaction's own Connection, which the session closes when the transaction ends: the
    # guard cannot outlive it, whichever way it ends.
    event.listen(session.connection(), "before_cursor_execute", _only_the_audit_rows)


def _only_the_audit_rows(connection: Connection, cursor: Any, statement: str, *_: Any) -> None:
    """Every statement after the chain's head was read early: ORM, Core or straight through the
    driver (`app/sql.py: send` dispatches this event too). Anything but the audit rows could take a
    lock after the chain's, and two transactions could wait on each other."""
    if statement != _INSERT_IN_ORDER:
        raise RuntimeError("the audit chain's lock was taken before this statement; the head may be read "
                           "early (audit.took_head) only by the transaction's last write")


_HEAD = "varsel.audit.head"
_NOT_TAKEN = object()


@event.listens_for(Session, "before_commit")
def _append_pending(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint's release: the events wait for the transaction's own commit
    if not session.info.get(_PENDING):
        return
    # The transaction's own changes first: then the chain's lock is the last lock it takes, and a
    # transaction holding it never waits for a row another transaction holds while waiting for it.
    # (Before the events are taken: a flush refused after a head read early, `took_head`, leaves
    # them pending, and nothing is committed without them.)
    session.flush()
    pending = session.info.pop(_PENDING)
    taken = session.info.pop(_HEAD, _NOT_TAKEN)
    key = chain_key(get_settings().secret_key)
    connection = session.connection()
    next_id = None
    if connection.dialect.name == "postgresql":
        # Its sequence numbers the rows, all in one statement.
        previous = chain_head(connection) if taken is _NOT_TAKEN else taken
    else:
        # SQLite (one writer) numbers the rows here, so that they go in one executemany: with ids
        # to fetch, each row would be an INSERT of its own.
        head = connection.execute(text("SELECT row_hash, id FROM audit_events ORDER BY id DESC LIMIT 1")).first()
        previous, next_id = (head[0], head[1] + 1) if head is not None else (None, 1)
    for audit_event, _ in pending:
        audit_event.prev_hash = previous
        audit_event.row_hash = previous = row_hash(key, previous, audit_event)
        if next_id is not None:
            audit_event.id = next_id
            next_id += 1
    if next_id is None:
        _insert_in_order(connection, [audit_event for audit_event, _ in pending])
    else:
        # inserted by the commit's flush, in order
        session.add_all([AuditEvent(**vars(audit_event)) for audit_event, _ in pending])


_COLUMNS = ("at", "actor_kind", "actor_id", "actor_name", "action", "object_type", "object_id", "district_id", "ip",
            "request_id", "details", "note", "prev_hash", "row_hash")
# PostgreSQL: the rows as one JSON parameter, inserted in the chain's order (the sequence numbers
# them as they arrive); a batch's hundreds of rows are one short statement, not thousands of
# placeholders. `details` None is JSON null, as the ORM writes it. Straight through the driver and
# encoded by orjson (in C, timestamps to the microsecond as RFC 3339): a batch's 500 rows cost
# ~10 ms with the standard library's encoder and SQLAlchemy's execution. The hash is not computed
# from this text (`content` is), so the encoding here need not be canonical.
_SELECTED = ", ".join("COALESCE(details, 'null'::jsonb)" if c == "details" else c for c in _COLUMNS)
_INSERT_IN_ORDER = (
    f"INSERT INTO audit_events ({', '.join(_COLUMNS)}) SELECT {_SELECTED} "
    "FROM json_populate_recordset(NULL::audit_events, CAST(%(rows)s AS json)) WITH ORDINALITY AS r "
    "ORDER BY r.ordinality"
)


def _insert_in_order(connection: Connection, events: list[Any]) -> None:
    rows = [{column: getattr(event, column) for column in _COLUMNS} for event in events]
    parameters = {"rows": orjson.dumps(rows, default=str, option=orjson.OPT_NON_STR_KEYS).decode()}
    driver = connection.connection.driver_connection
    with as_sqlalchemy_errors():
        if hasattr(driver, "send_with_commit"):
            # With the COMMIT, in its message (`app/db_loop.py`): the chain's lock is then held for
            # one round trip, not two, and every transaction that records an event saves one. Its
            # values are in its text, which PostgreSQL's log shows if the statement fails: an audit
            # row holds ids, the actor's name and address, never a tenant's details.
            cursor = psycopg.ClientCursor(driver)
            connection.dispatch.before_cursor_execute(connection, cursor, _INSERT_IN_ORDER, parameters, None, False)
            driver.send_with_commit(cursor.mogrify(_INSERT_IN_ORDER, parameters))
        else:
            send(connection, _INSERT_IN_ORDER, {}, parameters)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    pending = session.info.get(_PENDING)
    if not pending:
        return
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)
        return
    session.info[_PENDING] = [(e, t) for e, t in pending if not _within(t, previous_transaction)]


@event.listens_for(Session, "after_transaction_end")
def _forget_at_end(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:  # closed without a commit: nothing recorded survives it
        session.info.pop(_PENDING, None)
        session.info.pop(_HEAD, None)  # nor the lock the head was read under


# --------------------------------------------------------------------------- verification

@dataclass(frozen=True)
class ChainReport:
    chained: int  # rows checked and found in order
    older: int  # rows written before the chain began (no hash)
    last_id: int | None = None  # the newest intact row: note it with its hash, to notice a cut-off tail later
    last_hash: str | None = None
    broken_id: int | None = None
    problem: str | None = None

    @property
    def intact(self) -> bool:
        return self.broken_id is None


def verify_chain(session: Session, key: bytes, *, from_id: int | None = None) -> ChainReport:
    """Walk the chain in id order; stop at the first row that does not hold.

    `from_id` starts at that row and trusts its link backwards (after a key rotation, or to check
    only what was added since the last verification).
    """
    table = AuditEvent.__table__
    query = select(table).order_by(table.c.id)
    if from_id is not None:
        query = query.where(table.c.id >= from_id)
    chained = older = 0
    last_id: int | None = None
    last_hash: str | None = None

    def broken(row_id: int, problem: str) -> ChainReport:
        return ChainReport(chained, older, last_id, last_hash, row_id, problem)

    for row in session.execute(query.execution_options(yield_per=1000)):
        if row.row_hash is None:
            if last_id is not None:
                return broken(row.id, "it has no hash though the rows before it are chained "
                                      "(written around the chain, or its hash was removed)")
            older += 1
            continue
        if last_id is None:
            if from_id is None and row.prev_hash is not None:
                return broken(row.id, "it links to a row before it that is not there (rows were removed)")
        elif row.prev_hash != last_hash:
            return broken(row.id, f"it does not link to row {last_id}, the row before it (a row between "
                                  "them was removed, or this row's link was changed)")
        if not hmac.compare_digest(row.row_hash, row_hash(key, row.prev_hash, row)):
            return broken(row.id, "its content does not match its hash (it was changed after it was written)")
        chained += 1
        last_id, last_hash = row.id, row.row_hash
    return ChainReport(chained, older, last_id, last_hash)


def _within(transaction: SessionTransaction | None, ancestor: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ancestor:
            return True
        transaction = transaction.parent
    return False
