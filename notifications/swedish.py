"""Swedish as people write it: dates in words, times "kl. 09.00", amounts "16 900,00 kr".

Used by the letters, the emails, the reports and the staff UI, so that a date or
an amount reads the same wherever it appears (språklagen 11 §: vårdat, enkelt
och begripligt).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from app.calendar import STOCKHOLM

WEEKDAYS = ("måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag")
MONTHS = (
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
)


def date_in_words(day: dt.date) -> str:
    """'fredag den 11 december 2026' — weekday and month in Swedish, lower case."""
    if isinstance(day, dt.datetime):
        raise TypeError("date_in_words takes a date; convert a datetime to Swedish time first")
    return f"{WEEKDAYS[day.weekday()]} den {long_date(day)}"


def long_date(day: dt.date) -> str:
    """'11 december 2026' — no weekday, no leading zero."""
    return f"{day.day} {MONTHS[day.month - 1]} {day.year}"


def stockholm_time(moment: dt.datetime, name: str) -> dt.datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")
    return moment.astimezone(STOCKHOLM)


def format_clock(moment: dt.datetime) -> str:
    """'kl. 09.00' in Swedish time (Europe/Stockholm); `moment` must be timezone-aware."""
    local = stockholm_time(moment, "moment")
    return f"kl. {local.hour:02d}.{local.minute:02d}"


def format_sek(amount: Decimal | int) -> str:
    """'16 900,00 kr': öre rounded half up, a plain space between thousands, decimal comma.

    The separator is an ordinary space (U+0020), so the text reads and
    searches the same everywhere; the letters keep the amount on one line with
    CSS (`white-space: nowrap`). Negative amounts get a hyphen-minus.
    """
    if isinstance(amount, bool) or not isinstance(amount, (Decimal, int)):
        raise TypeError("amount must be a Decimal or an int (never a float)")
    value = Decimal(amount)
    if not value.is_finite():
        raise ValueError("amount must be a finite number")
    try:
        cents = value.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except InvalidOperation as exc:  # more digits than the context allows
        raise ValueError("amount is too large") from exc
    sign = "-" if cents < 0 else ""
    kronor, ore = f"{abs(cents):.2f}".split(".")
    groups = []
    while len(kronor) > 3:
        groups.insert(0, kronor[-3:])
        kronor = kronor[:-3]
    groups.insert(0, kronor)
    return f"{sign}{' '.join(groups)},{ore} kr"


def format_sek_short(amount: Decimal | int) -> str:
    """'4 200 kr' for whole kronor, '4 200,50 kr' with öre: `format_sek` without a trailing ',00' (lists, pages)."""
    full = format_sek(amount)
    return full[: -len(",00 kr")] + " kr" if full.endswith(",00 kr") else full
