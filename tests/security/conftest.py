"""A clock for the sign-in and session rules, so delays and timeouts pass without sleeping."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

import pytest

from app.security import service, sessions, users


@dataclass
class Clock:
    now: datetime

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """Time as the throttle and the session store see it (everything else keeps the real time)."""
    pinned = Clock(datetime.now(timezone.utc))
    for module in (service, sessions, users):
        monkeypatch.setattr(module, "utcnow", pinned)
    return pinned
