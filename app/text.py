"""Which characters free text may hold: the one rule for bodies, query strings, paths and forms.

PostgreSQL refuses a NUL in any text value (SQLite stores it), so a NUL that
got past the edge used to be a 500 on one database and stored data on the
other. Other C0 controls, DEL and the C1 controls (U+0080–U+009F: NEL is a
line break) have no business in a name or an address either, nor has a line or
paragraph separator (U+2028, U+2029) in a one-line field; an unpaired surrogate
(JSON allows ``"\\ud800"``) cannot be encoded as UTF-8 by either driver.
Multi-line notes keep what a textarea sends: line feed, carriage return and tab.

Pure: no web, no database. Pydantic fields put :data:`SINGLE_LINE` or
:data:`MULTI_LINE` *last* in their ``Annotated`` metadata (after any length
constraint, so pydantic keeps its usual length messages); the request guard
(`app/input_guard.py`) calls :func:`text_problem` for what no schema sees.
"""

from __future__ import annotations

import re

from pydantic import AfterValidator

# C0 and C1 controls, DEL and unpaired surrogates, and in one line the Unicode line and paragraph
# separators; the multi-line set spares \t \n \r.
_SINGLE_LINE_FORBIDDEN = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
_MULTI_LINE_FORBIDDEN = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")

SINGLE_LINE_MESSAGE = "must not contain control characters (such as NUL, tab or line breaks)"
MULTI_LINE_MESSAGE = "must not contain control characters other than line breaks and tabs (such as NUL)"
SURROGATE_MESSAGE = "must be valid Unicode text (it holds an unpaired surrogate)"


def text_problem(value: str, *, multiline: bool = False) -> str | None:
    """Why `value` is refused as text, or None when it is acceptable."""
    found = (_MULTI_LINE_FORBIDDEN if multiline else _SINGLE_LINE_FORBIDDEN).search(value)
    if found is None:
        return None
    if "\ud800" <= found.group() <= "\udfff":
        return SURROGATE_MESSAGE
    return MULTI_LINE_MESSAGE if multiline else SINGLE_LINE_MESSAGE


def _single_line(value: str) -> str:
    problem = text_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def _multi_line(value: str) -> str:
    problem = text_problem(value, multiline=True)
    if problem is not None:
        raise ValueError(problem)
    return value


SINGLE_LINE = AfterValidator(_single_line)
MULTI_LINE = AfterValidator(_multi_line)
