"""A calendar month in Europe/Stockholm: what a monthly summary is about, and how it is named in Swedish."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime

from app.calendar import STOCKHOLM
from notifications.swedish import MONTHS

MONTH_ABBREVIATIONS_SV = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")

_MONTH = re.compile(r"^(\d{4})-(\d{2})$")



@dataclass(frozen=True, order=True)
class Month:
    """A calendar month in Europe/Stockholm."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> Month:
        """A month someone asks for: from 2000 on."""
        month = cls.read(text)
        if month.year < 2000:
            raise ValueError("must be a month from 2000 on")
        return month

    @classmethod
    def read(cls, text: str) -> Month:
        """Any month written YYYY-MM: a summary's own months too, whose trend reaches back a year
        before the month asked for (January 2000's into 1999)."""
        match = _MONTH.fullmatch(text.strip()) if isinstance(text, str) else None
        if match is None:
            raise ValueError("must be a month written YYYY-MM, e.g. 2026-10")
        year, month = int(match[1]), int(match[2])
        if not 1 <= month <= 12:
            raise ValueError("the month must be 01–12")
        return cls(year, month)

    @classmethod
    def of(cls, instant: datetime) -> Month:
        local = instant.astimezone(STOCKHOLM)
        return cls(local.year, local.month)

    def shift(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)

    @property
    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def start(self) -> datetime:
        """Midnight starting the 1st, Stockholm time (as an aware local datetime)."""
        return datetime(self.year, self.month, 1, tzinfo=STOCKHOLM)

    @property
    def end(self) -> datetime:
        return self.shift(1).start

    @property
    def start_utc(self) -> datetime:
        return self.start.astimezone(UTC)

    @property
    def end_utc(self) -> datetime:
        return self.end.astimezone(UTC)

    @property
    def label_sv(self) -> str:
        return f"{MONTHS[self.month - 1]} {self.year}"

    @property
    def short_sv(self) -> str:
        return MONTH_ABBREVIATIONS_SV[self.month - 1]

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
