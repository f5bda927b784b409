"""Swedish vardagar and the arithmetic of lag (1930:173) om beräkning av lagstadgad tid.

Pure: no database, no web. Every statutory date Varsel shows is computed here,
so the rules are written out once and tested against the statute.
"""

from __future__ import annotations

import datetime
import functools
import zoneinfo
from collections.abc import Mapping
from types import MappingProxyType

import holidays
from holidays.constants import DE_FACTO, PUBLIC

STOCKHOLM = zoneinfo.ZoneInfo("Europe/Stockholm")

_SATURDAY = 5

# Lag (1989:253) om allmänna helgdagar, as amended by SFS 2004:1320: from 2005
# nationaldagen is a holiday and annandag pingst no longer is.
_ANNANDAG_PINGST = "Annandag pingst"
_LAST_YEAR_WITH_ANNANDAG_PINGST = 2004


@functools.lru_cache(maxsize=128)
def _holidays(year: int) -> Mapping[datetime.date, str]:
    # Lag (1930:173) 2 § treats as non-vardagar: Sundays and other allmänna
    # helgdagar (lag 1989:253, PUBLIC), Saturdays, and midsommarafton, julafton,
    # nyårsafton (the package's DE_FACTO category).
    #
    # holidays 0.108: `country_holidays()` does not accept `include_sundays`
    # (it forwards only the common keywords), so the Sweden class is built
    # directly to pass it explicitly — its default has changed across versions,
    # and Sundays must come from the weekday logic, not from the table.
    # `language` is explicit too: left unset, the package picks the language
    # from the process locale (LANG=C.UTF-8 gives English names).
    calendar = holidays.SE(
        years=year,
        categories=(PUBLIC, DE_FACTO),
        include_sundays=False,
        language="sv",
    )
    table: dict[datetime.date, str] = {}
    for day, name in calendar.items():
        # A date can carry two holidays ("Kristi himmelsfärdsdag; Första maj").
        parts = [part.strip() for part in name.split(";")]
        if year > _LAST_YEAR_WITH_ANNANDAG_PINGST:
            # Guard against the package ever reinstating it (SFS 2004:1320).
            parts = [part for part in parts if part != _ANNANDAG_PINGST]
        if parts:
            table[day] = "; ".join(parts)
    return MappingProxyType(table)


def holidays_for_year(year: int) -> dict[datetime.date, str]:
    """Allmänna helgdagar other than ordinary Sundays, plus the three aftnar."""
    return dict(_holidays(year))


def holiday_name(day: datetime.date) -> str | None:
    return _holidays(day.year).get(day)


def is_vardag(day: datetime.date) -> bool:
    # Lag (1930:173) 2 §: not a Sunday, another allmän helgdag, a Saturday,
    # midsommarafton, julafton or nyårsafton.
    return day.weekday() < _SATURDAY and day not in _holidays(day.year)


def next_vardag_on_or_after(day: datetime.date) -> datetime.date:
    # Lag (1930:173) 2 §: a last day falling on a non-vardag "får åtgärden
    # vidtas nästa vardag".
    while not is_vardag(day):
        day += datetime.timedelta(days=1)
    return day


def add_weeks(day: datetime.date, weeks: int) -> datetime.date:
    # Lag (1930:173) 1 §: a period in weeks ends on the day of the last week
    # whose name matches the start day — exactly 7 * weeks days later.
    return day + datetime.timedelta(weeks=weeks)


@functools.lru_cache(maxsize=4096)  # pure; a batch's deadlines count from the same few days
def add_vardagar(day: datetime.date, n: int) -> datetime.date:
    """The n-th vardag after `day` (`day` itself never counts); n == 0 gives `day`."""
    if n < 0:
        raise ValueError(f"n must be >= 0, got {n}")
    remaining = n
    while remaining:
        day += datetime.timedelta(days=1)
        if is_vardag(day):
            remaining -= 1
    return day


def vardagar_until(today: datetime.date, target: datetime.date) -> int:
    """Vardagar in (today, target]; for a past target, minus those in (target, today].

    Antisymmetric, so a countdown reads "3 vardagar kvar" before and
    "2 vardagar sedan" after the same distance.
    """
    if target < today:
        return -vardagar_until(target, today)
    count = 0
    day = today
    while day < target:
        day += datetime.timedelta(days=1)
        if is_vardag(day):
            count += 1
    return count


def local_today(now: datetime.datetime | None = None) -> datetime.date:
    """The calendar day in Sweden; the statutory days are Swedish days, not UTC days."""
    if now is None:
        return datetime.datetime.now(STOCKHOLM).date()
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    return now.astimezone(STOCKHOLM).date()


def end_of_day(day: datetime.date) -> datetime.datetime:
    # The service's convention for "by the end of the day": 23:59 Swedish time.
    # Zoneinfo picks the right offset for the date (CET +01, CEST +02).
    return datetime.datetime(day.year, day.month, day.day, 23, 59, tzinfo=STOCKHOLM)
