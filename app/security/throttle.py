"""Sign-in throttling: growing delays per username and per source address, never a lockout.

Two keys are counted for every failed sign-in: ``user:<username>`` (guessing one
person's password) and ``ip:<address>`` (one password sprayed over many
usernames). After ``login_max_failures`` failures on a username — or
``login_ip_max_failures`` from one address, higher because a whole office may
sit behind one address — each further failure makes the next attempt on that
key wait 1 s, 2 s, 4 s … up to ``login_max_delay_seconds``. While a key waits,
no password is checked at all, not even the right one (else the delay would
cost a guesser nothing); once the short wait is over, the real user signs in
as usual. Failures count within ``login_window_seconds`` from the first; a
success clears the username's count but not the address's (else one valid
account would reset a sprayer's count).

The rows live in the database, so every process sees the same counts; an
``INSERT … ON CONFLICT DO NOTHING`` and a row lock make concurrent failures
count once each.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from app.config import Settings
from app.security.models import LoginThrottle


@dataclass(frozen=True)
class Key:
    name: str
    free_failures: int


def keys_for(settings: Settings, username: str, ip: str | None, kind: str = "user") -> list[Key]:
    """`kind` keeps the names of different kinds of accounts apart (``landlord_user:`` for the portal):
    a portal email that is also a staff username is counted for each on its own. The address is shared."""
    keys = [Key(f"{kind}:{username.strip().lower()[:150]}", settings.login_max_failures)]
    if ip:
        keys.append(Key(f"ip:{ip}", settings.login_ip_max_failures))
    return keys


def wait_seconds(session: Session, keys: list[Key], now: datetime) -> int | None:
    """Seconds until the next attempt is checked, or None when it may be checked now."""
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_([k.name for k in keys])))
    waits = [(row.locked_until - now).total_seconds() for row in rows
             if row.locked_until is not None and row.locked_until > now]
    return max(1, math.ceil(max(waits))) if waits else None


def count_failure(session: Session, settings: Settings, keys: list[Key], now: datetime) -> None:
    for key in keys:
        session.execute(_insert_if_new(session.get_bind().dialect.name),
                        {"key": key.name, "failures": 0, "window_started_at": now})
        row = session.scalars(
            select(LoginThrottle).where(LoginThrottle.key == key.name)
            .with_for_update().execution_options(populate_existing=True)
        ).one()
        if now - row.window_started_at > timedelta(seconds=settings.login_window_seconds):
            row.failures = 0
            row.window_started_at = now
            row.locked_until = None
        row.failures += 1
        if row.failures >= key.free_failures:
            row.locked_until = now + timedelta(seconds=delay(row.failures - key.free_failures,
                                                             settings.login_max_delay_seconds))


def delay(step: int, cap: int) -> int:
    """1, 2, 4, 8 … seconds, never more than `cap`."""
    return min(cap, 2 ** min(step, 30))


def clear(session: Session, key: Key) -> None:
    session.execute(delete(LoginThrottle).where(LoginThrottle.key == key.name))


def purge(session: Session, settings: Settings, now: datetime) -> int:
    """Delete the counts that no longer slow anyone (the nightly purge-expired job): they name people and addresses."""
    result = session.execute(
        delete(LoginThrottle)
        .where(LoginThrottle.window_started_at < now - timedelta(seconds=settings.login_window_seconds),
               or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until <= now))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


@functools.cache
def _insert_if_new(dialect: str) -> Any:
    insert = {"postgresql": postgresql.insert, "sqlite": sqlite.insert}[dialect]
    table = LoginThrottle.__table__
    return insert(table).on_conflict_do_nothing(index_elements=[table.c.key])
