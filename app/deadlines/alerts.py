"""When each deadline reminds, escalates and is declared missed (pure planning).

Times are computed once, when the deadline is created or moved, and stored as
`DeadlineAlert` rows; the sweep only reads rows that are due.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from app.calendar import STOCKHOLM, is_vardag
from app.deadlines.policy import DeadlinePolicy
from app.vocabulary import DeadlineKind

MORNING = time(8, 0)  # reminders arrive at the start of the working day
AFTER_DUE = timedelta(minutes=1)


@dataclass(frozen=True)
class PlannedAlert:
    kind: str
    fire_at: datetime


@functools.lru_cache(maxsize=4096)  # pure; a batch's timers count back from the same few days
def vardagar_before(day: date, n: int) -> date:
    """The day on which `n` vardagar remain until `day` (counting `day` itself, not the returned day)."""
    current = day
    remaining = n
    while remaining > 0:
        current -= timedelta(days=1)
        if is_vardag(current):
            remaining -= 1
    # `current` is the n-th vardag before `day`; from it, n vardagar remain up to and including `day`.
    return current


def _morning(day: date) -> datetime:
    return datetime.combine(day, MORNING, tzinfo=STOCKHOLM)


def plan(kind: str, due_on: date | None, due_at: datetime, created_at: datetime,
         policy: DeadlinePolicy) -> list[PlannedAlert]:
    missed = PlannedAlert("missed", due_at + AFTER_DUE)
    if kind == DeadlineKind.REDEMPTION_PERIOD_END and due_on is not None:
        return [
            PlannedAlert("reminder", _morning(vardagar_before(due_on, policy.redemption_reminder_vardagar))),
            PlannedAlert("escalation", _morning(vardagar_before(due_on, policy.redemption_escalation_vardagar))),
            missed,
        ]
    if kind == DeadlineKind.BUDGET_ADVICE_OFFER and due_on is not None:
        return [PlannedAlert("reminder", _morning(vardagar_before(due_on, 1))), missed]
    if kind == DeadlineKind.FIRST_CONTACT:
        return [missed]
    if kind == DeadlineKind.KRONOFOGDEN_ACKNOWLEDGEMENT:
        alerts = []
        step = timedelta(minutes=policy.kronofogden_reminder_minutes)
        at = created_at + step
        while at < due_at:
            alerts.append(PlannedAlert("reminder", at))
            at += step
        escalation = due_at - timedelta(hours=policy.kronofogden_escalation_hours_before)
        alerts.append(PlannedAlert("escalation", max(escalation, created_at)))
        alerts.append(missed)
        return alerts
    return []
