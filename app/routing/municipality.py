"""Is a postal code this municipality's? Decided from the municipality's own postal areas.

Pure: no database, no web. A data pack may ship ``postal_areas.csv`` —
``from,to,note``, inclusive five-digit ranges of the postal codes that lie
*wholly or partly* in the municipality. A code outside every range is not the
municipality's: the landlord must send the notice elsewhere. ``neighbours.csv``
(``app/routing/postal.py``) only *names* the other municipality where the pack
knows it; a code in neither file lies in "another municipality".

Without ``postal_areas.csv`` only the neighbours' ranges are outside (the
behaviour before the file existed), so a pack for another city keeps working
until it gets one.
"""

from __future__ import annotations

import bisect
import hashlib
from dataclasses import dataclass

from app.routing.postal import DATA_DIR, PostalTable, normalise_postal_code, read_pack_csv

AREA_COLUMNS = ("from", "to", "note")


@dataclass(frozen=True)
class PostalAreas:
    """The municipality's postal-code ranges (sorted, not overlapping). Immutable; share between threads."""

    ranges: tuple[tuple[str, str], ...]
    version: str

    @classmethod
    def from_csv(cls, text: str) -> PostalAreas:
        """Parse ``from,to,note``. Raises ValueError naming the line of every bad row."""
        ranges: list[tuple[str, str]] = []
        errors: list[str] = []
        for line_no, row in read_pack_csv(text, AREA_COLUMNS, "postal areas"):
            start, end = normalise_postal_code(row["from"]), normalise_postal_code(row["to"])
            if start is None or end is None:
                errors.append(f"line {line_no}: bad range {row['from']!r}–{row['to']!r} (five digits each)")
            elif start > end:
                errors.append(f"line {line_no}: range {start}–{end} runs backwards")
            else:
                ranges.append((start, end))
        ranges.sort()
        for (s1, e1), (s2, e2) in zip(ranges, ranges[1:]):
            if s2 <= e1:
                errors.append(f"postal areas overlap: {s1}–{e1} and {s2}–{e2}")
        if not ranges and not errors:
            errors.append("no ranges: a municipality has at least one postal area")
        if errors:
            raise ValueError("postal areas: " + "; ".join(errors))
        return cls(tuple(ranges), hashlib.sha256(text.encode("utf-8")).hexdigest()[:12])

    @classmethod
    def shipped(cls, municipality_code: str = "stockholm") -> PostalAreas | None:
        """The pack's ``postal_areas.csv``, or None when the pack has none."""
        path = DATA_DIR / municipality_code / "postal_areas.csv"
        if not path.is_file():
            return None
        return cls.from_csv(path.read_text(encoding="utf-8"))

    def contains(self, code: str) -> bool:
        normal = normalise_postal_code(code)
        if normal is None:
            return False
        # The ranges are sorted and do not overlap: the one that could hold it starts at or before it.
        at = bisect.bisect_right(self.ranges, (normal, "~"))  # "~" sorts after every digit
        return at > 0 and normal <= self.ranges[at - 1][1]

    def check_against(self, table: PostalTable) -> None:
        """Refuse a pack that contradicts itself: a neighbour's range inside our areas, a routed code outside."""
        errors = []
        for start, end, name in table.neighbour_ranges():
            if any(s <= end and start <= e for s, e in self.ranges):
                errors.append(f"{start}–{end} ({name}) lies wholly in {name} but overlaps the municipality's areas")
        for code in table.routed_codes():
            low, high = (code, code) if len(code) == 5 else (code + "00", code + "99")
            if not any(s <= low and high <= e for s, e in self.ranges):
                errors.append(f"postal code {code} routes to a district but lies outside the municipality's areas")
        if errors:
            raise ValueError("postal areas: " + "; ".join(errors))


def outside_municipality(code: str, table: PostalTable, areas: PostalAreas | None) -> tuple[bool, str | None]:
    """(True, the other municipality's name or None) when `code` is not this municipality's; else (False, None)."""
    named = table.outside(code)
    if named is not None:
        return True, named
    if areas is not None and not areas.contains(code):
        return True, None
    return False, None
