"""Dates and timestamps at the edge: their written form and the years Varsel accepts.

Every date and timestamp in every body lies in the years 1900–2199. Outside
them nothing is a plausible notice, event, eviction or commitment, and the far
ends broke the arithmetic behind them: ``9999-12-31T23:59:59-12:00`` cannot be
converted to UTC, nor ``0001-01-01T00:00:00+14:00``, and deadlines computed from
year 1 or 9999 leave the calendar. The range covers everyone alive (a
centenarian's personnummer is judged elsewhere) and Sweden's calendar rules
(`app/calendar.py`) for two centuries ahead.

Pure: no web, no database. Rules that need "today" (not in the future, not
more than a year back) are the endpoints' own.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

FIRST_YEAR = 1900
LAST_YEAR = 2199
OUT_OF_RANGE = f"must lie in the years {FIRST_YEAR}–{LAST_YEAR}"

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def in_range(value: date) -> bool:
    """True when the date (or a timestamp's date as written, in its own offset) lies in the accepted years."""
    return FIRST_YEAR <= value.year <= LAST_YEAR


def cursor_moment(text: str) -> datetime:
    """A timestamp a page cursor carries back (written by Varsel, returned by the client): aware, and one
    the database can compare, i.e. it converts to UTC; ValueError otherwise. Not the bodies' years: a
    cursor holds the queue's "no deadline" (year 9999) too."""
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("a cursor's moment has an offset")
    try:
        moment.astimezone(timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+14:00, 9999-12-31T23:59:59-12:00
        raise ValueError("a cursor's moment converts to UTC") from None
    return moment


def _iso_date(value: Any) -> Any:
    # Dates are 'YYYY-MM-DD' strings in the contract; a number is not a date.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if not (isinstance(value, str) and _ISO_DATE.match(value)):
        raise ValueError("must be a date written YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError("not a real calendar date") from None


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if isinstance(value, str) and len(value) >= 19 and value[10] in "Tt ":
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            pass
    raise ValueError("must be an RFC 3339 timestamp with offset, e.g. 2027-01-14T09:00:00+01:00")


def _aware(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("must include a UTC offset, e.g. 2027-01-14T09:00:00+01:00")
    return value


def _date_in_range(value: date) -> date:
    if not in_range(value):
        raise ValueError(OUT_OF_RANGE)
    return value


def _timestamp_in_range(value: datetime) -> datetime:
    # Judged as written, before any conversion: the conversion is what overflows.
    if not in_range(value):
        raise ValueError(OUT_OF_RANGE)
    return value


_DATE_SCHEMA = WithJsonSchema({"type": "string", "format": "date",
                               "description": f"YYYY-MM-DD, in the years {FIRST_YEAR}–{LAST_YEAR}"})
_TIMESTAMP_SCHEMA = WithJsonSchema({"type": "string", "format": "date-time",
                                    "description": f"RFC 3339 with offset, in the years {FIRST_YEAR}–{LAST_YEAR}"})

IsoDate = Annotated[date, BeforeValidator(_iso_date), AfterValidator(_date_in_range), _DATE_SCHEMA]
Timestamp = Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(_aware), AfterValidator(_timestamp_in_range),
                      _TIMESTAMP_SCHEMA]
