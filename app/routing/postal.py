"""Postal-code table: the routing fallback, and the neighbouring municipalities' codes.

Pure: no database, no web. Two CSV files of one municipality's data pack
(``app/routing/data/<code>/``), or an operator's files of the same columns:

``postal_codes.csv`` — ``postal_code,district_code,confidence,note``
    ``postal_code`` is a five-digit code (``11646`` or ``116 46``) or a
    three-digit prefix (``116`` = 116 00–116 99). A five-digit row beats a
    prefix row. ``district_code`` empty means *do not route by this code*
    (ambiguous or not verified); its ``note`` says why, and the notice goes to
    manual routing. ``confidence`` is ``high`` or ``medium`` for a row with a
    district, empty (or ``none``) for a row without.

``neighbours.csv`` — ``from,to,municipality``
    Inclusive five-digit ranges lying wholly in another municipality: a notice
    with such a code is not this municipality's (the landlord must send it to
    that municipality).

The table never guesses: a code in neither file is unknown (manual routing).
See ``app/routing/data/README.md`` for the shipped data's provenance and policy.
"""

from __future__ import annotations

import bisect
import csv
import functools
import hashlib
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"

POSTAL_COLUMNS = ("postal_code", "district_code", "confidence", "note")
NEIGHBOUR_COLUMNS = ("from", "to", "municipality")
ROUTING_CONFIDENCES = ("high", "medium")

_FIVE = re.compile(r"^\d{5}$")
_PREFIX = re.compile(r"^\d{3}$")
_CODE_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@functools.lru_cache(maxsize=4096)  # a batch names the same few postal codes again and again
def normalise_postal_code(value: str | None) -> str | None:
    """'116 46', '11646', 'SE-116 46' → '11646'; anything else → None."""
    if value is None:
        return None
    text = re.sub(r"\s+", "", str(value)).upper()
    if text.startswith("SE-"):
        text = text[3:]
    elif text.startswith("SE") and len(text) == 7:
        text = text[2:]
    return text if _FIVE.match(text) else None


def format_postal_code(code: str) -> str:
    """'11646' → '116 46' (the way it is written on letters)."""
    return f"{code[:3]} {code[3:]}" if _FIVE.match(code) else code


@dataclass(frozen=True)
class PostalMatch:
    district_code: str | None
    confidence: str  # 'high' | 'medium' | 'none'
    note: str
    matched: str | None = None  # the row that matched: '11646', '116' or None


@dataclass(frozen=True)
class _Row:
    district_code: str | None
    confidence: str
    note: str


def read_pack_csv(text: str, columns: tuple[str, ...], what: str) -> list[tuple[int, dict[str, str]]]:
    """Rows as dicts with their line numbers; the header must name exactly `columns`."""
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    if not any(line.strip() for line in lines):
        return []
    header_line = next(line for line in lines if line.strip())
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    errors: list[str] = []
    for record in reader:
        line_no = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip().casefold() for cell in record]
            unknown = [c for c in header if c not in columns]
            missing = [c for c in columns if c not in header]
            if unknown or missing:
                parts = []
                if unknown:
                    parts.append(f"unknown columns {', '.join(unknown)}")
                if missing:
                    parts.append(f"missing columns {', '.join(missing)}")
                raise ValueError(
                    f"{what}: line {line_no}: {'; '.join(parts)} (expected: {','.join(columns)})"
                )
            continue
        if len(record) != len(header):
            errors.append(f"line {line_no}: {len(record)} fields, expected {len(header)}")
            continue
        rows.append((line_no, {k: v.strip() for k, v in zip(header, record)}))
    if errors:
        raise ValueError(f"{what}: " + "; ".join(errors))
    return rows


class PostalTable:
    """Postal code → district (or nothing), and postal code → other municipality.

    Immutable once built; safe to share between threads.
    """

    __slots__ = ("_five", "_prefix", "_starts", "_ranges", "version", "row_count", "range_count")

    def __init__(
        self,
        five: dict[str, _Row],
        prefix: dict[str, _Row],
        ranges: list[tuple[str, str, str]],
        version: str,
    ) -> None:
        self._five = dict(five)
        self._prefix = dict(prefix)
        self._ranges = tuple(sorted(ranges))
        self._starts = tuple(r[0] for r in self._ranges)
        self.version = version
        self.row_count = len(five) + len(prefix)
        self.range_count = len(ranges)

    # -- construction -------------------------------------------------------------------------

    @classmethod
    def from_csv(
        cls,
        postal_text: str,
        neighbours_text: str = "",
        *,
        district_codes: Iterable[str] | None = None,
    ) -> PostalTable:
        """Parse the two CSV texts. Raises ValueError naming the line of every bad row.

        `district_codes`, when given, is the set of valid district codes; a row
        naming another code is an error.
        """
        known = set(district_codes) if district_codes is not None else None
        five: dict[str, _Row] = {}
        prefix: dict[str, _Row] = {}
        errors: list[str] = []
        for line_no, row in read_pack_csv(postal_text, POSTAL_COLUMNS, "postal codes"):
            raw = row["postal_code"]
            compact = re.sub(r"\s+", "", raw)
            district = row["district_code"] or None
            confidence = row["confidence"].casefold()
            note = row["note"]
            if _FIVE.match(compact):
                target = five
            elif _PREFIX.match(compact):
                target = prefix
            else:
                errors.append(
                    f"line {line_no}: bad postal code {raw!r} (five digits or a three-digit prefix)"
                )
                continue
            if district is not None:
                if confidence not in ROUTING_CONFIDENCES:
                    errors.append(
                        f"line {line_no}: confidence {row['confidence']!r} must be high or medium"
                    )
                    continue
                if known is not None and district not in known:
                    errors.append(f"line {line_no}: unknown district code {district!r}")
                    continue
            else:
                if confidence not in ("", "none"):
                    errors.append(
                        f"line {line_no}: a row without district must have no confidence, got {confidence!r}"
                    )
                    continue
                confidence = "none"
                if not note:
                    errors.append(f"line {line_no}: a row without district needs a note saying why")
                    continue
            if compact in target:
                errors.append(f"line {line_no}: postal code {raw!r} listed twice")
                continue
            target[compact] = _Row(district, confidence, note)

        ranges: list[tuple[str, str, str]] = []
        for line_no, row in read_pack_csv(neighbours_text, NEIGHBOUR_COLUMNS, "neighbours"):
            start = normalise_postal_code(row["from"])
            end = normalise_postal_code(row["to"])
            name = row["municipality"]
            if start is None or end is None:
                errors.append(
                    f"line {line_no}: bad range {row['from']!r}–{row['to']!r} (five digits each)"
                )
                continue
            if start > end:
                errors.append(f"line {line_no}: range {start}–{end} runs backwards")
                continue
            if not name:
                errors.append(f"line {line_no}: empty municipality")
                continue
            ranges.append((start, end, name))
        ranges.sort()
        for (s1, e1, m1), (s2, e2, m2) in zip(ranges, ranges[1:]):
            if s2 <= e1:
                errors.append(f"neighbour ranges overlap: {s1}–{e1} ({m1}) and {s2}–{e2} ({m2})")
        # A code cannot be both ours (routed to a district) and another municipality's.
        for code, row in sorted(five.items()):
            if row.district_code and _in_ranges(ranges, code):
                errors.append(
                    f"postal code {code} routes to {row.district_code} but lies in a neighbour range"
                )
        for pfx, row in sorted(prefix.items()):
            if row.district_code and any(s <= pfx + "99" and e >= pfx + "00" for s, e, _ in ranges):
                errors.append(
                    f"prefix {pfx} routes to {row.district_code} but overlaps a neighbour range"
                )
        if errors:
            raise ValueError("postal-code table: " + "; ".join(errors))

        digest = hashlib.sha256()
        digest.update(postal_text.encode("utf-8"))
        digest.update(b"\x00")
        digest.update(neighbours_text.encode("utf-8"))
        return cls(five, prefix, ranges, digest.hexdigest()[:12])

    @classmethod
    def shipped(cls, municipality_code: str = "stockholm") -> PostalTable:
        """The table shipped in the data pack ``app/routing/data/<municipality_code>/``."""
        if not _CODE_NAME.match(municipality_code):
            raise ValueError(f"bad municipality code {municipality_code!r}")
        folder = DATA_DIR / municipality_code
        postal_path = folder / "postal_codes.csv"
        if not postal_path.is_file():
            raise FileNotFoundError(f"no postal-code table for municipality {municipality_code!r}")
        neighbours_path = folder / "neighbours.csv"
        neighbours = (
            neighbours_path.read_text(encoding="utf-8") if neighbours_path.is_file() else ""
        )
        known: set[str] | None = None
        municipality_path = folder / "municipality.json"
        if municipality_path.is_file():
            data = json.loads(municipality_path.read_text(encoding="utf-8"))
            known = {d["code"] for d in data.get("districts", [])}
        return cls.from_csv(
            postal_path.read_text(encoding="utf-8"), neighbours, district_codes=known
        )

    @classmethod
    def empty(cls) -> PostalTable:
        return cls.from_csv("", "")

    # -- queries ------------------------------------------------------------------------------

    def lookup(self, code: str) -> PostalMatch:
        """The district for a postal code, or none with the reason in `note`."""
        normal = normalise_postal_code(code)
        if normal is None:
            return PostalMatch(None, "none", f"postal code {code!r} is not a five-digit code")
        row = self._five.get(normal)
        matched = normal
        if row is None:
            row = self._prefix.get(normal[:3])
            matched = normal[:3]
        if row is None:
            municipality = self.outside(normal)
            if municipality is not None:
                return PostalMatch(None, "none", f"postal code lies in {municipality}")
            return PostalMatch(None, "none", "postal code not in the table")
        return PostalMatch(row.district_code, row.confidence, row.note, matched)

    def outside(self, code: str) -> str | None:
        """The other municipality a postal code lies wholly in, or None."""
        normal = normalise_postal_code(code)
        if normal is None or not self._ranges:
            return None
        index = bisect.bisect_right(self._starts, normal) - 1
        if index >= 0:
            start, end, name = self._ranges[index]
            if start <= normal <= end:
                return name
        return None

    def neighbour_ranges(self) -> tuple[tuple[str, str, str], ...]:
        """(from, to, municipality) of every range lying wholly in another municipality."""
        return self._ranges

    def routed_codes(self) -> list[str]:
        """The five-digit codes and three-digit prefixes that route to a district."""
        rows = list(self._five.items()) + list(self._prefix.items())
        return sorted(code for code, row in rows if row.district_code)

    def district_codes(self) -> set[str]:
        rows = list(self._five.values()) + list(self._prefix.values())
        return {r.district_code for r in rows if r.district_code}


def _in_ranges(ranges: list[tuple[str, str, str]], code: str) -> bool:
    return any(s <= code <= e for s, e, _ in ranges)
