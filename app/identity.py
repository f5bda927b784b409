"""Swedish personnummer, samordningsnummer and organisationsnummer.

Standard library only, so the web layer, the importers and the CLI can all share one
set of rules, and the rules can be tested without a database or an app.

Error messages are fixed strings on purpose: they end up in API answers and logs, and an
identity number must never appear in either.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

__all__ = [
    "IdentityNumber",
    "IdentityNumberError",
    "is_valid_identity_number",
    "luhn_valid",
    "parse_identity_number",
    "parse_org_number",
]

# [0-9] rather than \d: \d also matches non-ASCII digits such as '٣' or '３',
# which int() would quietly accept.
_ASCII_DIGITS = re.compile(r"[0-9]+")
_PERSONAL_FORM = re.compile(
    r"(?P<century>[0-9]{2})?(?P<date>[0-9]{6})(?P<separator>[-+]?)(?P<tail>[0-9]{4})"
)
_ORG_FORM = re.compile(r"(?:16)?(?P<head>[0-9]{6})-?(?P<tail>[0-9]{4})")

# Skatteverket issues samordningsnummer with the day of birth raised by 60.
_COORDINATION_OFFSET = 60
_CENTENARIAN_AGE = 100

_MSG_FORMAT = (
    "must be 10 or 12 digits: YYMMDD-NNNC, YYMMDD+NNNC, YYMMDDNNNC, "
    "YYYYMMDD-NNNC or YYYYMMDDNNNC"
)
_MSG_PLUS_UNDER_100 = "the + separator is only used for a person aged a hundred or more"
_MSG_CHECKSUM = "checksum does not match"
_MSG_SERIAL_ZERO = "a serial number of all zeros is never issued"
_MSG_NOT_A_DATE = "not a real calendar date"
_MSG_FUTURE = "birth date is in the future"
_MSG_ORG_FORMAT = "organisationsnummer must be NNNNNN-NNNN"
_MSG_ORG_NOT_LEGAL_PERSON = (
    "organisationsnummer must have 2 or higher as its third digit, "
    "unless it is a sole trader's personnummer"
)


class IdentityNumberError(ValueError):
    """A number was rejected; the message is short, English and safe to show or log."""


@dataclass(frozen=True, repr=False)
class IdentityNumber:
    """A checked personnummer or samordningsnummer.

    Build it with `parse_identity_number`; the constructor re-checks the invariants so a
    hand-made instance cannot carry a canonical form that disagrees with its birth date.
    """

    canonical: str
    birth_date: datetime.date
    coordination: bool

    def __post_init__(self) -> None:
        if len(self.canonical) != 12 or not _ASCII_DIGITS.fullmatch(self.canonical):
            raise IdentityNumberError("canonical form must be 12 digits")
        if not luhn_valid(self.canonical[2:]):
            raise IdentityNumberError(_MSG_CHECKSUM)
        day, coordination = _real_day(int(self.canonical[6:8]))
        born = _date_or_error(int(self.canonical[:4]), int(self.canonical[4:6]), day)
        if (born, coordination) != (self.birth_date, self.coordination):
            raise IdentityNumberError("birth date does not match the number")

    def age_on(self, day: datetime.date) -> int:
        """Full years completed on `day`."""
        if day < self.birth_date:
            raise ValueError("day is before the birth date")
        return _full_years(self.birth_date, day)

    @property
    def masked(self) -> str:
        # The date digits are shown as written in the number, so a samordningsnummer
        # keeps its day + 60 and still reads as one.
        return f"{self.canonical[:8]}-****"

    @property
    def formatted(self) -> str:
        # Always the 12-digit form: with the century spelled out the '-'/'+' age hint
        # of the 10-digit form is not needed, and '-' stays correct for any age.
        return f"{self.canonical[:8]}-{self.canonical[8:]}"

    # Objects end up in log lines, f-strings and tracebacks; only the masked form may.
    def __repr__(self) -> str:
        return self.masked

    def __str__(self) -> str:
        return self.masked


def luhn_valid(digits: str) -> bool:
    """Luhn (mod 10) check over ASCII digits, the last one being the check digit."""
    if not _ASCII_DIGITS.fullmatch(digits):
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def luhn_check_digit(digits: str) -> str:
    """The check digit that makes `digits` + it pass `luhn_valid`."""
    return next(d for d in "0123456789" if luhn_valid(digits + d))


def format_identity_number(born: datetime.date, serial: str = "123", *, coordination: bool = False) -> str:
    """'YYYYMMDD-NNNC' for a made-up person born on `born` (demo data and tests; samordningsnummer: day + 60)."""
    day = born.day + (60 if coordination else 0)
    yymmdd = f"{born.year % 100:02d}{born.month:02d}{day:02d}"
    return f"{born.year:04d}{born.month:02d}{day:02d}-{serial}{luhn_check_digit(yymmdd + serial)}"


def parse_identity_number(text: str, *, today: datetime.date) -> IdentityNumber:
    """Parse a personnummer or samordningsnummer in any accepted written form.

    `today` decides the century of the 10-digit form and what counts as the future; it
    is a parameter so callers pass the date of the case, and tests a fixed one.
    """
    if not isinstance(text, str):
        # An int would already have lost leading zeros (born 2000-2009), so refuse it.
        raise TypeError("identity number must be given as text")
    match = _PERSONAL_FORM.fullmatch(text.strip())
    if match is None:
        raise IdentityNumberError(_MSG_FORMAT)
    century, yymmdd = match["century"], match["date"]
    separator, tail = match["separator"], match["tail"]
    if century is not None and separator == "+" and not _centenarian(century + yymmdd, today):
        # The 12-digit form needs no separator; the open personnummer libraries' reference
        # vectors (and the landlord contract) accept '+' in it where it is true.
        raise IdentityNumberError(_MSG_PLUS_UNDER_100)
    if not luhn_valid(yymmdd + tail):
        raise IdentityNumberError(_MSG_CHECKSUM)
    if tail[:3] == "000":
        raise IdentityNumberError(_MSG_SERIAL_ZERO)

    month = int(yymmdd[2:4])
    day, coordination = _real_day(int(yymmdd[4:6]))
    if century is None:
        born = _resolve_century(
            int(yymmdd[:2]), month, day, centenarian=separator == "+", today=today
        )
    else:
        born = _date_or_error(int(century + yymmdd[:2]), month, day)
        if born > today:
            raise IdentityNumberError(_MSG_FUTURE)

    return IdentityNumber(
        canonical=f"{born.year:04d}{yymmdd[2:]}{tail}",
        birth_date=born,
        coordination=coordination,
    )


def is_valid_identity_number(text: str, *, today: datetime.date) -> bool:
    try:
        parse_identity_number(text, today=today)
    except IdentityNumberError:
        return False
    return True


def parse_org_number(text: str) -> str:
    """Check an organisationsnummer and return it as 'NNNNNN-NNNN'.

    A '16' prefix (the 12-digit form some registers use) is dropped. Sole traders use
    their personnummer or samordningsnummer as organisationsnummer, so a number whose
    third digit is below 2 is accepted when it has the shape of one; without a
    separator or century there is no telling its age, so only the date is checked.
    """
    if not isinstance(text, str):
        raise TypeError("organisationsnummer must be given as text")
    match = _ORG_FORM.fullmatch(text.strip())
    if match is None:
        raise IdentityNumberError(_MSG_ORG_FORMAT)
    head, tail = match["head"], match["tail"]
    if not luhn_valid(head + tail):
        raise IdentityNumberError(_MSG_CHECKSUM)
    # Legal persons have a "month" of 20 or more, which no birth date can have.
    if int(head[2]) < 2 and not _is_possible_birth_date(head):
        raise IdentityNumberError(_MSG_ORG_NOT_LEGAL_PERSON)
    return f"{head}-{tail}"


def _real_day(day_digits: int) -> tuple[int, bool]:
    """Day of month and whether the number is a samordningsnummer."""
    if day_digits > _COORDINATION_OFFSET:
        return day_digits - _COORDINATION_OFFSET, True
    return day_digits, False


def _date_or_error(year: int, month: int, day: int) -> datetime.date:
    try:
        return datetime.date(year, month, day)
    except ValueError:
        # from None: the chained ValueError adds nothing for the reader of an API answer.
        raise IdentityNumberError(_MSG_NOT_A_DATE) from None


def age_on(born: datetime.date, day: datetime.date) -> int:
    """Full years on `day` (a 29 February birthday counts on 28 February in other years)."""
    return day.year - born.year - (day < _birthday_in(born, day.year))


_full_years = age_on


def _birthday_in(born: datetime.date, year: int) -> datetime.date:
    try:
        return born.replace(year=year)
    except ValueError:
        # Born on 29 February, and `year` is a common year. Lag (1930:173) om beräkning
        # av lagstadgad tid, 1 §: when the end month lacks the corresponding day, its
        # last day is the end day. So the year is completed on 28 February, not 1 March.
        return datetime.date(year, 2, 28)


def _centenarian(yyyymmdd: str, today: datetime.date) -> bool:
    """True unless the digits are a real birth date of someone under 100 on `today` (or not yet born).

    Not a real date: left to the checksum and date checks, which say what is wrong.
    """
    day, _ = _real_day(int(yyyymmdd[6:8]))
    try:
        born = datetime.date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), day)
    except ValueError:
        return True
    return born <= today and _full_years(born, today) >= _CENTENARIAN_AGE


def _resolve_century(
    yy: int, month: int, day: int, *, centenarian: bool, today: datetime.date
) -> datetime.date:
    """Birth date for a 10-digit number: the most recent century that fits the separator.

    '-' (or none) means under 100 on `today`, '+' means 100 or older. Candidates are
    judged with the same age rule as `IdentityNumber.age_on`, so a number always parses
    to a person whose age agrees with its separator, leap-day births included.
    """
    newest = today.year - (today.year - yy) % 100
    # Three centuries are enough: '+' may have to skip one that makes the person 99.
    for year in (newest, newest - 100, newest - 200):
        try:
            born = datetime.date(year, month, day)
        except ValueError:
            # 29 February exists in some centuries only (2000 but not 1900).
            continue
        if born <= today and (_full_years(born, today) >= _CENTENARIAN_AGE) == centenarian:
            return born
    raise IdentityNumberError(_MSG_NOT_A_DATE)


def _is_possible_birth_date(yymmdd: str) -> bool:
    """True if the digits are a real date in the 1900s or 2000s (day + 60 allowed)."""
    day, _ = _real_day(int(yymmdd[4:6]))
    for year in (1900 + int(yymmdd[:2]), 2000 + int(yymmdd[:2])):
        try:
            datetime.date(year, int(yymmdd[2:4]), day)
        except ValueError:
            continue
        return True
    return False
