"""The deadline sweep: claim due timers, remind, escalate, declare missed — each exactly once.

Due `DeadlineAlert` rows are claimed and processed in one transaction per
batch: on PostgreSQL with `FOR UPDATE SKIP LOCKED` (two sweepers take disjoint
rows), on SQLite under the database's single writer lock. What a timer sends
goes into the outbox under the timer's id as dedup key, so even a timer
processed twice would send once.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from app.calendar import STOCKHOLM, local_today, vardagar_until
from app.cases import notify, service
from app.cases.models import Case
from app.db import transaction, utcnow
from app.jobs.base import JobContext
from app.deadlines.models import Deadline, DeadlineAlert

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
    if alert.kind in ("reminder", "escalation") and now > deadline.due_at:
        # Downtime or a late notice: the deadline itself has passed, and its own "missed" alert speaks now.
        alert.status, alert.outcome = "skipped", "superseded: the deadline has passed"
        result.skipped += 1
        return
    contacted = case.first_contact_at is not None
    if alert.kind in ("reminder", "escalation") and deadline.kind == "redemption_period_end" and contacted:
        alert.status, alert.outcome = "skipped", "the household has been contacted"
        result.skipped += 1
        return
    if alert.kind == "missed":
        if deadline.estimated:
            # The estimated end is the earliest possible one; the real end may be later.
            alert.status, alert.outcome = "skipped", "estimated date: not declared missed"
            result.skipped += 1
            return
        service.declare_missed(session, case, deadline, now)
        result.missed += 1
    left = None
    if deadline.due_on is not None:
        left = vardagar_until(local_today(now), deadline.due_on)
    sent = notify.deadline_alert(session, case, alert_id=alert.id, alert_kind=alert.kind, deadline_kind=deadline.kind,
                                 due_text=_due_text(deadline), vardagar_left=left)
    if alert.kind == "escalation" or alert.kind == "missed":
        service.alert_sent(session, case, alert_kind=alert.kind, deadline_kind=deadline.kind, recipients=sent, now=now)
    alert.status, alert.outcome = "done", f"{sent} messages"
    result.processed += 1
    result.messages += sent


def process_due(session: Session, at: datetime, result: SweepResult, batch: int = 200) -> int:
    """Claim and process up to `batch` timers due at `at`, in the caller's transaction. Returns how many."""
    claimed = _claim(session, at, batch)
    for alert in claimed:
        _process(session, alert, at, result)
    return len(claimed)


def sweep(sessions: sessionmaker[Session], *, now: Callable[[], datetime] = utcnow, batch: int = 200) -> SweepResult:
    result = SweepResult()
    while True:
        with transaction(sessions) as session:
            claimed = process_due(session, now(), result, batch)
        if claimed < batch:
            return result


def run(context: JobContext) -> SweepResult:
    """The `sweep-deadlines` job."""
    return sweep(context.sessions, now=context.now)
