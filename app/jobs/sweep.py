"""The deadline sweep: claim due timers, remind, escalate, declare missed — each exactly once.

Due `DeadlineAlert` rows (reminders, escalations) and passed deadlines not yet looked at
(`Deadline.passed_checked_at`, `alerts.declared_missed`) are claimed and processed in one
transaction per batch: on PostgreSQL with `FOR UPDATE SKIP LOCKED` (two sweepers take disjoint
rows), on SQLite under the database's single writer lock. What a timer sends goes into the outbox
under the timer's id as dedup key (a missed deadline's: the deadline's id), so even a timer
processed twice would send once.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.attributes import set_committed_value

from app.calendar import STOCKHOLM, local_today, vardagar_until
from app.cases import notify, service
from app.cases.models import Case
from app.db import transaction, utcnow
from app.deadlines import alerts
from app.deadlines.models import Deadline, DeadlineAlert
from app.jobs.base import JobContext

log = structlog.get_logger("varsel.sweep")


@dataclass
class SweepResult:
    processed: int = 0
    messages: int = 0
    missed: int = 0
    skipped: int = 0

    def __str__(self) -> str:
        return (f"{self.processed} timers processed: {self.messages} messages queued, "
                f"{self.missed} deadlines missed, {self.skipped} no longer needed")

    @property
    def idle(self) -> bool:
        return not (self.processed or self.skipped)


def _claim(session: Session, now: datetime, limit: int) -> list[DeadlineAlert]:
    query = (select(DeadlineAlert).where(DeadlineAlert.status == "pending", DeadlineAlert.fire_at <= now)
             .order_by(DeadlineAlert.fire_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        return list(session.scalars(query.with_for_update(skip_locked=True)))
    claimed = []
    for alert in session.scalars(query):
        done = session.execute(update(DeadlineAlert).where(DeadlineAlert.id == alert.id,
                                                           DeadlineAlert.status == "pending")
                               .values(status="claimed").execution_options(synchronize_session=False))
        if done.rowcount == 1:
            claimed.append(alert)
    return claimed


def _claim_passed(session: Session, now: datetime, limit: int) -> list[tuple[Deadline, Case]]:
    """The pending deadlines whose time has passed and which the sweep has not looked at since they
    were last planned, each with its case; marked as looked at."""
    query = (select(Deadline, Case).join(Case, Case.id == Deadline.case_id)
             .where(Deadline.status == "pending", Deadline.due_at <= now - alerts.AFTER_DUE,
                    Deadline.passed_checked_at.is_(None), alerts.declared_missed(Deadline.kind, Deadline.due_on))
             .order_by(Deadline.due_at).limit(limit))
    if session.get_bind().dialect.name == "postgresql":
        # The case locked with its deadline, both skipped if either is held: a staff action or a
        # batch holds the case and then changes its deadlines, so a sweeper holding a deadline
        # while waiting for its case could deadlock with them. NO KEY UPDATE: a notice's rows that
        # only name the case (their foreign keys' checks) do not wait for it.
        claimed = [(deadline, case) for deadline, case in
                   session.execute(query.with_for_update(skip_locked=True, key_share=True, of=(Deadline, Case)))]
        for deadline, _ in claimed:
            deadline.passed_checked_at = now
        return claimed
    claimed = []
    for deadline, case in session.execute(query):
        done = session.execute(update(Deadline).where(Deadline.id == deadline.id, Deadline.passed_checked_at.is_(None))
                               .values(passed_checked_at=now).execution_options(synchronize_session=False))
        if done.rowcount == 1:
            set_committed_value(deadline, "passed_checked_at", now)  # as written: not written again
            claimed.append((deadline, case))
    return claimed


def _due_text(deadline: Deadline) -> str:
    if deadline.kind in ("kronofogden_acknowledgement",):
        return deadline.due_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d kl. %H.%M")
    day = deadline.due_on or deadline.due_at.astimezone(STOCKHOLM).date()
    return day.isoformat()


def _process(session: Session, alert: DeadlineAlert, now: datetime, result: SweepResult) -> None:
    deadline = session.get(Deadline, alert.deadline_id)
    case = session.get(Case, deadline.case_id) if deadline else None
    alert.done_at = now
    if deadline is None or case is None or deadline.status != "pending" or case.status != "open":
        alert.status, alert.outcome = "skipped", "deadline no longer pending"
        result.skipped += 1
        return
    if now > deadline.due_at:
        # Downtime or a late notice: the deadline itself has passed, and its being missed speaks now.
        alert.status, alert.outcome = "skipped", "superseded: the deadline has passed"
        result.skipped += 1
        return
    contacted = case.first_contact_at is not None
    if deadline.kind == "redemption_period_end" and contacted:
        alert.status, alert.outcome = "skipped", "the household has been contacted"
        result.skipped += 1
        return
    sent = _tell(session, case, deadline, alert.id, alert.kind, now, result)
    alert.status, alert.outcome = "done", f"{sent} messages"


def _process_passed(session: Session, deadline: Deadline, case: Case, now: datetime, result: SweepResult) -> None:
    """A pending deadline whose time has passed: declared missed, and the managers told."""
    if case.status != "open":
        result.skipped += 1
        return
    if deadline.estimated:
        # The estimated end is the earliest possible one; the real end may be later. Looked at again
        # if the real date comes (a new plan clears the mark: `deadlines.service.REPLANNED`).
        result.skipped += 1
        return
    service.declare_missed(session, case, deadline, now)
    result.missed += 1
    _tell(session, case, deadline, deadline.id, "missed", now, result)


def _tell(session: Session, case: Case, deadline: Deadline, key_id: uuid.UUID, kind: str, now: datetime,
          result: SweepResult) -> int:
    """The timer's messages (the outbox's dedup key from `key_id`); an escalation and a missed
    deadline also on the timeline."""
    left = None
    if deadline.due_on is not None:
        left = vardagar_until(local_today(now), deadline.due_on)
    sent = notify.deadline_alert(session, case, alert_id=key_id, alert_kind=kind, deadline_kind=deadline.kind,
                                 due_text=_due_text(deadline), vardagar_left=left)
    if kind == "escalation" or kind == "missed":
        service.alert_sent(session, case, alert_kind=kind, deadline_kind=deadline.kind, recipients=sent, now=now)
    result.processed += 1
    result.messages += sent
    return sent


def process_due(session: Session, at: datetime, result: SweepResult, batch: int = 200) -> bool:
    """Claim and process up to `batch` timers due at `at`, and up to `batch` passed deadlines, in the
    caller's transaction (the timers first: a deadline's reminders come before its end). Returns
    whether either filled its batch: more may be waiting."""
    claimed = _claim(session, at, batch)
    for alert in claimed:
        _process(session, alert, at, result)
    passed = _claim_passed(session, at, batch)
    for deadline, case in passed:
        _process_passed(session, deadline, case, at, result)
    return len(claimed) == batch or len(passed) == batch


def next_due(session: Session, until: datetime) -> datetime | None:
    """The first moment up to `until` at which a timer or a passed deadline comes due, or None."""
    timer = session.scalar(select(func.min(DeadlineAlert.fire_at)).where(DeadlineAlert.status == "pending",
                                                                         DeadlineAlert.fire_at <= until))
    deadline = session.scalar(select(func.min(Deadline.due_at)).where(
        Deadline.status == "pending", Deadline.due_at <= until - alerts.AFTER_DUE,
        Deadline.passed_checked_at.is_(None), alerts.declared_missed(Deadline.kind, Deadline.due_on)))
    moments = [m for m in (timer, alerts.passed_at(deadline) if deadline is not None else None) if m is not None]
    return min(moments) if moments else None


def sweep(sessions: sessionmaker[Session], *, now: Callable[[], datetime] = utcnow, batch: int = 200) -> SweepResult:
    result = SweepResult()
    while True:
        with transaction(sessions) as session:
            more = process_due(session, now(), result, batch)
        if not more:
            return result


def run(context: JobContext) -> SweepResult:
    """The `sweep-deadlines` job."""
    return sweep(context.sessions, now=context.now)
