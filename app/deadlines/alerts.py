"""When each deadline reminds, escalates and is declared missed (pure planning).

Reminders' and escalations' times are computed once, when the deadline is created or moved, and
stored as `DeadlineAlert` rows; the sweep only reads rows that are due. Being declared missed
needs no row of its own: it comes a minute after the deadline's own due time (`AFTER_DUE`), for
the kinds `declared_missed` names, and the deadline row records that the sweep looked
(`Deadline.passed_checked_at`). Three rows fewer per notice, each with its indexes and its
foreign key's check (docs/performance.md).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, or_

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


# Declared missed once passed: these kinds always, these only with a day (as their timers).
_MISSED_ALWAYS = (DeadlineKind.FIRST_CONTACT.value, DeadlineKind.KRONOFOGDEN_ACKNOWLEDGEMENT.value)
_MISSED_WITH_A_DAY = (DeadlineKind.REDEMPTION_PERIOD_END.value, DeadlineKind.BUDGET_ADVICE_OFFER.value)


def declared_missed(kind: Any, due_on: Any) -> ColumnElement[bool]:
    """The deadlines the sweep declares missed once passed, as a condition on their columns."""
    return or_(kind.in_(_MISSED_ALWAYS), and_(kind.in_(_MISSED_WITH_A_DAY), due_on.is_not(None)))


def passed_at(due_at: datetime) -> datetime:
    """When a pending deadline counts as missed: a minute after its due time."""
    return due_at + AFTER_DUE


def plan(kind: str, due_on: date | None, due_at: datetime, created_at: datetime,
         policy: DeadlinePolicy) -> list[PlannedAlert]:
    """The reminders and escalations before a pending deadline."""
    if kind == DeadlineKind.REDEMPTION_PERIOD_END and due_on is not None:
        return [
            PlannedAlert("reminder", _morning(vardagar_before(due_on, policy.redemption_reminder_vardagar))),
            PlannedAlert("escalation", _morning(vardagar_before(due_on, policy.redemption_escalation_vardagar))),
        ]
    if kind == DeadlineKind.BUDGET_ADVICE_OFFER and due_on is not None:
        return [PlannedAlert("reminder", _morning(vardagar_before(due_on, 1)))]
    if kind == DeadlineKind.KRONOFOGDEN_ACKNOWLEDGEMENT:
        alerts = []
        step = timedelta(minutes=policy.kronofogden_reminder_minutes)
        at = created_at + step
        while at < due_at:
            alerts.append(PlannedAlert("reminder", at))
            at += step
        escalation = due_at - timedelta(hours=policy.kronofogden_escalation_hours_before)
        alerts.append(PlannedAlert("escalation", max(escalation, created_at)))
        return alerts
    return []
