"""A last line of defence: SMS and email texts must carry no personal details.

The law-and-secrecy rule is that emails and SMS carry a case number and a link
at most. The templates guarantee that; `assert_no_personal_data` is the
defensive check the senders run before anything leaves the service. It looks
for two things that must never be in such a text:

* something that looks like a Swedish personal identity number or
  coordination number: 10 digits (YYMMDD-NNNN / YYMMDD+NNNN / YYMMDDNNNN) or 12
  digits (YYYYMMDD-NNNN / YYYYMMDDNNNN, century 18, 19 or 20) whose date part
  is a possible date (a coordination number's day is 61–91). The checksum is
  not required: a mistyped identity number is still personal data.
  The run of digits must stand alone (no letter, digit or '-' right before or
  after), so case numbers ('VA-2026-000123'), dates ('2026-12-11'), office
  phone numbers ('08-508 25 000') and the hex groups of a UUID in a link are
  not flagged. Companies' organisationsnummer have a "month" of 20 or more
  and are not flagged either.
* an email address (allowed ones, e.g. the district's functional mailbox, can
  be passed in `allowed_emails`).

The ValueError says what kind of thing was found and where, never the thing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection

__all__ = ["assert_no_personal_data"]

# [0-9], not \d: \d also matches other scripts' digits.
_IDENTITY = re.compile(
    r"(?<![0-9A-Za-z-])"
    r"(?:(?P<century>18|19|20)(?P<yy12>[0-9]{2})(?P<mm12>[0-9]{2})(?P<dd12>[0-9]{2})-?"
    r"|(?P<yy10>[0-9]{2})(?P<mm10>[0-9]{2})(?P<dd10>[0-9]{2})[-+]?)"
    r"[0-9]{4}"
    r"(?![0-9A-Za-z-])"
)
_EMAIL = re.compile(
    # The lookbehind starts a match only at the beginning of a run: linear time.
    r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+"
    r"@(?:[\w](?:[\w-]*[\w])?\.)+[^\W\d_]{2,}",
)
_COORDINATION_OFFSET = 60


def _possible_date(year: int, month: int, day: int) -> bool:
    if day > _COORDINATION_OFFSET:
        day -= _COORDINATION_OFFSET
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return True


def _looks_like_identity_number(match: re.Match[str]) -> bool:
    if match.group("century") is not None:
        year = int(match.group("century") + match.group("yy12"))
        return _possible_date(year, int(match.group("mm12")), int(match.group("dd12")))
    # 10-digit form: the century is unknown; 2000 is a leap year, so 29 February passes.
    return _possible_date(2000, int(match.group("mm10")), int(match.group("dd10")))


def assert_no_personal_data(text: str, *, allowed_emails: Collection[str] = ()) -> None:
    """Raise ValueError if `text` contains an identity number or an email address."""
    for match in _IDENTITY.finditer(text):
        if _looks_like_identity_number(match):
            raise ValueError(
                f"text contains what looks like a personal identity number "
                f"(at character {match.start()})"
            )
    allowed = {address.casefold() for address in allowed_emails}
    for match in _EMAIL.finditer(text):
        if match.group(0).casefold() not in allowed:
            raise ValueError(
                f"text contains what looks like an email address (at character {match.start()})"
            )
