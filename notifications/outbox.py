"""Enqueue in the caller's transaction; dispatch after commit, exactly once per dedup key.

`enqueue` adds a row in the same transaction as the change that causes it, so
a rollback sends nothing. `dispatch` claims due rows atomically (FOR UPDATE
SKIP LOCKED on PostgreSQL; a conditional UPDATE on SQLite), sends each outside
any transaction, and records the outcome: sent, retried later with
exponential backoff, or — after `max_attempts`, or at once when the channel
says a retry cannot help (`PermanentFailure`) — `failed`, visible to admins.
Each failure is stored with its kind (`app/vocabulary_records.py: DeliveryFailure`,
as ``[kind] detail`` in `last_error`; the delivery record keeps the detail), so the admin page says it in Swedish and
offers a retry only where one can help (`retry_failed` refuses the rest). A row left `sending` by a process that died is reclaimed
after `STALE_CLAIM`; the channels carry the outbox id as an idempotency key
(Message-ID, Idempotency-Key, file name) so a reclaimed send is not a
duplicate at the receiving end.
"""

from __future__ import annotations

import functools
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

import structlog
from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from app.db import transaction, utcnow
from app.ids import new_id
from app.logging import describe_exception
from app.vocabulary_records import DeliveryFailure
from integrations.errors import IntegrationUnavailable
from notifications.models import Delivery, OutboxMessage

log = structlog.get_logger("varsel.outbox")

STALE_CLAIM = timedelta(minutes=10)
BASE_BACKOFF = timedelta(seconds=30)
MAX_BACKOFF = timedelta(hours=1)


class PermanentFailure(Exception):
    """The channel refused the message for good (bad address, rejected by the receiver): do not retry.

    `kind` is one of the permanent `DeliveryFailure`s; the message is English, fixed and free of
    personal data (it is stored and logged).
    """

    def __init__(self, message: str, kind: DeliveryFailure = DeliveryFailure.REJECTED) -> None:
        assert kind.permanent, kind
        super().__init__(message)
        self.kind = kind


class RetryLater(Exception):
    """The message cannot go yet for a known reason (`kind`) that may change: retried as usual."""

    def __init__(self, message: str, kind: DeliveryFailure) -> None:
        super().__init__(message)
        self.kind = kind


class Channel(Protocol):
    def send(self, message: OutboxMessage) -> str | None: ...


# What a successful send of a template changes (e.g. the Kronofogden acknowledgement meets its deadline).
AfterSent = Callable[[Session, OutboxMessage, datetime], None]


def enqueue(
    session: Session,
    *,
    channel: str,
    template: str,
    dedup_key: str,
    recipient: str | None = None,
    recipient_user_id: uuid.UUID | None = None,
    case_id: uuid.UUID | None = None,
    district_id: uuid.UUID | None = None,
    payload: dict[str, Any] | None = None,
    not_before: datetime | None = None,
) -> uuid.UUID | None:
    """Add a message unless one with this dedup key exists. Returns the new message's id, or None."""
    added = enqueue_many(session, [{
        "channel": channel, "template": template, "dedup_key": dedup_key, "recipient": recipient,
        "recipient_user_id": recipient_user_id, "case_id": case_id, "district_id": district_id,
        "payload": payload, "not_before": not_before,
    }])
    return added[0] if added else None


def enqueue_many(session: Session, messages: Sequence[Mapping[str, Any]]) -> list[uuid.UUID]:
    """`enqueue` for several messages (each a dict of its arguments). Returns the ids of those added.

    The unique dedup key decides, in one statement for all of them (INSERT … ON CONFLICT
    DO NOTHING): no look-up first and no savepoint. A concurrent transaction that enqueued
    the same key first is waited for, and then that message is not added.
    """
    if not messages:
        return []
    # A message may name rows of this unit of work (its case): those are stored first.
    session.flush()
    now = utcnow()
    rows = [message_values(m, now) for m in messages]
    return list(session.scalars(_insert_new_keys(session.get_bind().dialect.name), rows))


def message_values(message: Mapping[str, Any], now: datetime | None = None) -> dict[str, Any]:
    """The outbox row of one message (`enqueue`'s arguments as a dict)."""
    return {"id": new_id(), "channel": message["channel"], "template": message["template"],
            "dedup_key": message["dedup_key"], "recipient": message.get("recipient"),
            "recipient_user_id": message.get("recipient_user_id"), "case_id": message.get("case_id"),
            "district_id": message.get("district_id"), "payload": message.get("payload") or {},
            "next_attempt_at": message.get("not_before") or now or utcnow()}


@functools.cache
def _insert_new_keys(dialect: str) -> Any:
    """INSERT … ON CONFLICT (dedup_key) DO NOTHING RETURNING id, built once per database.

    The rows are passed as parameters (one statement for all of them), so the
    compiled statement is cached; rows inlined with .values() would be compiled anew each time.
    """
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = OutboxMessage.__table__
    return insert(table).on_conflict_do_nothing(index_elements=[table.c.dedup_key]).returning(table.c.id)


def backoff(attempt: int) -> timedelta:
    return min(MAX_BACKOFF, BASE_BACKOFF * (2 ** max(0, attempt - 1)))


@dataclass
class DispatchResult:
    sent: int = 0
    retried: int = 0
    failed: int = 0

    def __str__(self) -> str:
        return f"sent {self.sent}, retry later {self.retried}, failed {self.failed}"

    @property
    def idle(self) -> bool:
        return not (self.sent or self.retried or self.failed)


def _claim(session: Session, now: datetime, limit: int) -> list[OutboxMessage]:
    due = or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.claimed_at < now - STALE_CLAIM),
    )
    query = select(OutboxMessage).where(due).order_by(OutboxMessage.next_attempt_at).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        rows = list(session.scalars(query.with_for_update(skip_locked=True)))
        for row in rows:
            row.status = "sending"
            row.claimed_at = now
        return rows
    claimed = []
    for row in session.scalars(query):
        # SQLite: a conditional update; only one claimer sees rowcount 1.
        result = session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == row.id, OutboxMessage.status == row.status,
                   or_(OutboxMessage.claimed_at.is_(None), OutboxMessage.claimed_at == row.claimed_at))
            .values(status="sending", claimed_at=now)
            .execution_options(synchronize_session="fetch")
        )
        if result.rowcount == 1:
            claimed.append(row)
    return claimed


def dispatch(
    sessions: sessionmaker[Session],
    channels: Mapping[str, Channel],
    *,
    now: Callable[[], datetime] = utcnow,
    limit: int = 100,
    after_sent: Mapping[str, AfterSent] | None = None,
) -> DispatchResult:
    """Send what is due. `after_sent`: per template, what a successful send changes (run in the
    transaction that marks the message sent, so the change and the record of the send are one)."""
    result = DispatchResult()
    with transaction(sessions) as session:
        claimed = [(m.id, m.channel) for m in _claim(session, now(), limit)]
    for message_id, channel_name in claimed:
        # Read, then send with no transaction open: an outside system's slowness never holds a lock.
        with transaction(sessions) as session:
            snapshot = session.get(OutboxMessage, message_id)
            assert snapshot is not None
            session.expunge(snapshot)
        channel = channels.get(channel_name)
        attempt = snapshot.attempts + 1
        error: str | None = None
        kind = DeliveryFailure.UNKNOWN
        outcome: str | None = None
        try:
            if channel is None:
                raise RetryLater(f"no channel configured for {channel_name!r}", DeliveryFailure.NO_CHANNEL)
            outcome = channel.send(snapshot)
        except PermanentFailure as exc:
            error, kind = str(exc), exc.kind
        except Exception as exc:  # noqa: BLE001 - any failure of an outside system is retried
            error, kind = _describe(exc), _kind_of(exc)
        with transaction(sessions) as session:
            message = session.get(OutboxMessage, message_id)
            assert message is not None
            if error is None:
                _sent(session, message, attempt, outcome, now())
                hook = (after_sent or {}).get(message.template)
                if hook is not None:
                    hook(session, message, now())
                result.sent += 1
            elif kind.permanent or attempt >= message.max_attempts:
                _fail(session, message, attempt, kind, error, now())
                result.failed += 1
            else:
                _retry(session, message, attempt, kind, error, now())
                result.retried += 1
    return result


def _sent(session: Session, message: OutboxMessage, attempt: int, outcome: str | None, at: datetime) -> None:
    message.status = "sent"
    message.attempts = attempt
    message.sent_at = at
    message.result = (outcome or "")[:500] or None
    message.last_error = None
    session.add(Delivery(outbox_id=message.id, attempt=attempt, outcome="sent", detail=message.result, at=at))


def _retry(session: Session, message: OutboxMessage, attempt: int, kind: DeliveryFailure, error: str,
           at: datetime) -> None:
    message.status = "pending"
    message.attempts = attempt
    message.last_error = _recorded(kind, error)
    message.next_attempt_at = at + backoff(attempt)
    message.claimed_at = None
    session.add(Delivery(outbox_id=message.id, attempt=attempt, outcome="retry", detail=error, at=at))
    log.warning("outbox_retry", outbox_id=str(message.id), channel=message.channel, attempt=attempt,
                kind=kind.value, error=error)


def _fail(session: Session, message: OutboxMessage, attempt: int, kind: DeliveryFailure, error: str,
          at: datetime) -> None:
    message.status = "failed"
    message.attempts = attempt
    message.last_error = _recorded(kind, error)
    message.claimed_at = None
    session.add(Delivery(outbox_id=message.id, attempt=attempt, outcome="failed", detail=error, at=at))
    log.error("outbox_failed", outbox_id=str(message.id), channel=message.channel, attempts=attempt,
              kind=kind.value, error=error)


def _describe(exc: Exception) -> str:
    # Exceptions of our channels never carry personal data (see each channel), but a channel's
    # database error would quote its row: describe_exception withholds those. Short either way.
    return describe_exception(exc)[:500]


def _kind_of(exc: Exception) -> DeliveryFailure:
    if isinstance(exc, RetryLater):
        return exc.kind
    kind = getattr(exc, "failure_kind", None)  # e.g. notifications.pdf.PdfUnavailable
    if kind is not None:
        return DeliveryFailure(kind)
    if isinstance(exc, (IntegrationUnavailable, OSError)):  # network, timeouts, smtplib's errors
        return DeliveryFailure.UNAVAILABLE
    return DeliveryFailure.UNKNOWN


def _recorded(kind: DeliveryFailure, detail: str) -> str:
    return f"[{kind.value}] {detail}"


_RECORDED = re.compile(r"\[([a-z_]+)\] ")


def failure_of(message: OutboxMessage) -> DeliveryFailure | None:
    """The kind of the message's last failure (None: it has not failed); `UNKNOWN` for one stored
    before the kinds were (retried as before)."""
    if not message.last_error:
        return None
    recorded = _RECORDED.match(message.last_error)
    try:
        return DeliveryFailure(recorded.group(1)) if recorded else DeliveryFailure.UNKNOWN
    except ValueError:
        return DeliveryFailure.UNKNOWN


def failure_detail(message: OutboxMessage) -> str:
    """The technical detail of the last failure, without its kind (English, no personal data)."""
    text = message.last_error or ""
    recorded = _RECORDED.match(text)
    return text[recorded.end():] if recorded else text


class NotRetryable(Exception):
    """The message failed for good (`kind`): sending it again would fail the same way."""

    def __init__(self, kind: DeliveryFailure) -> None:
        super().__init__(kind.value)
        self.kind = kind


def retry_failed(session: Session, message_id: uuid.UUID) -> bool:
    """An admin's retry of a failed message: back to pending, with a fresh set of attempts.

    False when there is no such failed message; `NotRetryable` when it failed for good.
    """
    message = session.get(OutboxMessage, message_id)
    if message is None or message.status != "failed":
        return False
    kind = failure_of(message)
    if kind is not None and kind.permanent:
        raise NotRetryable(kind)
    message.status = "pending"
    message.attempts = 0
    message.next_attempt_at = utcnow()
    message.claimed_at = None
    return True
