"""What a monthly summary holds: plain, frozen records of counts — never personal data.

Computed in `summary.py`, rendered in `render.py`, archived as JSON and rebuilt
from it (`summary_from_dict`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

from app.reports.month import Month
from app.vocabulary import NoticeKind, Outcome, Unit, codes

NOTICE_KINDS = codes(NoticeKind)
OUTCOMES = codes(Outcome)
DEADLINE_KINDS = ("first_contact", "redemption_period_end", "budget_advice_offer", "kronofogden_acknowledgement")
FIRST_CONTACT_STATUSES = ("met", "missed", "pending", "cancelled", "none")
UNITS = codes(Unit)
BACKLOG_BUCKETS = ("0-7", "8-30", "31-90", "over_90")
TREND_SERIES = ("notices_received", "cases_opened", "evictions", "missed_deadlines")
TREND_MONTHS = 12
EVICTION_EVENT = "eviction_executed"



@dataclass(frozen=True)
class DistrictRef:
    code: str
    name: str


@dataclass(frozen=True)
class LandlordCount:
    landlord: str
    count: int


@dataclass(frozen=True)
class Notices:
    received: int
    by_kind: dict[str, int]
    by_landlord: list[LandlordCount]


@dataclass(frozen=True)
class Households:
    with_notice: int
    children: int
    age_65_plus: int
    repeat: int


@dataclass(frozen=True)
class Cases:
    opened: int
    closed: int
    closed_by_outcome: dict[str, int]


@dataclass(frozen=True)
class Evictions:
    carried_out: int
    children_affected: int
    age_65_plus_affected: int


@dataclass(frozen=True)
class MissedDeadlines:
    total: int
    by_kind: dict[str, int]


@dataclass(frozen=True)
class Timeliness:
    cases_opened: int
    first_contact: dict[str, int]  # status of each opened case's first_contact deadline ("none": no such row)
    first_contact_within_service_level_share: float | None
    cases_with_first_contact: int
    median_vardagar_to_first_contact: float | int | None
    redemption_cases: int
    contacted_before_redemption_end: int
    contacted_before_redemption_end_share: float | None
    missed_deadlines: MissedDeadlines


@dataclass(frozen=True)
class UnitCounts:
    total: int
    by_unit: dict[str, int]


@dataclass(frozen=True)
class JointAssessments:
    requested: UnitCounts
    completed: UnitCounts


@dataclass(frozen=True)
class Backlog:
    as_of: str  # ISO 8601, Stockholm time
    total: int
    by_age: dict[str, int]


@dataclass(frozen=True)
class TrendPoint:
    month: str
    notices_received: int
    cases_opened: int
    evictions: int
    missed_deadlines: int


@dataclass(frozen=True)
class DistrictRow:
    code: str | None  # None: notices no district could be routed to
    name: str
    notices_received: int
    cases_opened: int


@dataclass(frozen=True)
class MonthlySummary:
    month: str
    district: DistrictRef | None  # None: the whole city
    period_start: str
    period_end: str
    generated_at: str
    notices: Notices
    households: Households
    cases: Cases
    evictions: Evictions
    timeliness: Timeliness
    joint_assessments: JointAssessments
    backlog: Backlog
    trend: list[TrendPoint]
    by_district: list[DistrictRow] | None = None  # city-wide only
    municipality: str = field(default="")

    @property
    def month_obj(self) -> Month:
        return Month.read(self.month)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def numbers(self) -> dict[str, Any]:
        """The content without the moment of generation: equal numbers, equal reports."""
        data = self.to_dict()
        data.pop("generated_at")
        return data

    def digest(self) -> str:
        canonical = json.dumps(self.numbers(), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def rows(self) -> list[tuple[str, str, Any]]:
        """Every number as (section, metric, value): the CSV, and the order the HTML shows them in."""
        out: list[tuple[str, str, Any]] = [
            ("report", "month", self.month),
            ("report", "district", self.district.code if self.district else "city"),
            ("report", "period_start", self.period_start),
            ("report", "period_end", self.period_end),
            ("report", "backlog_as_of", self.backlog.as_of),
            ("report", "generated_at", self.generated_at),
            ("notices", "received", self.notices.received),
        ]
        out += [("notices_by_kind", kind, n) for kind, n in self.notices.by_kind.items()]
        out += [("notices_by_landlord", row.landlord, row.count) for row in self.notices.by_landlord]
        h = self.households
        out += [("households", "with_notice", h.with_notice), ("households", "children", h.children),
                ("households", "age_65_plus", h.age_65_plus), ("households", "repeat", h.repeat)]
        out += [("cases", "opened", self.cases.opened), ("cases", "closed", self.cases.closed)]
        out += [("cases_closed_by_outcome", outcome, n) for outcome, n in self.cases.closed_by_outcome.items()]
        e = self.evictions
        out += [("evictions", "carried_out", e.carried_out), ("evictions", "children_affected", e.children_affected),
                ("evictions", "age_65_plus_affected", e.age_65_plus_affected)]
        t = self.timeliness
        out += [("timeliness", "cases_opened", t.cases_opened)]
        out += [("first_contact", status, n) for status, n in t.first_contact.items()]
        out += [
            ("timeliness", "first_contact_within_service_level_share", t.first_contact_within_service_level_share),
            ("timeliness", "cases_with_first_contact", t.cases_with_first_contact),
            ("timeliness", "median_vardagar_to_first_contact", t.median_vardagar_to_first_contact),
            ("timeliness", "redemption_cases", t.redemption_cases),
            ("timeliness", "contacted_before_redemption_end", t.contacted_before_redemption_end),
            ("timeliness", "contacted_before_redemption_end_share", t.contacted_before_redemption_end_share),
            ("missed_deadlines", "total", t.missed_deadlines.total),
        ]
        out += [("missed_deadlines", kind, n) for kind, n in t.missed_deadlines.by_kind.items()]
        for name, counts in (("joint_assessments_requested", self.joint_assessments.requested),
                             ("joint_assessments_completed", self.joint_assessments.completed)):
            out += [(name, "total", counts.total)] + [(name, unit, n) for unit, n in counts.by_unit.items()]
        out += [("backlog", "total", self.backlog.total)]
        out += [("backlog", bucket, n) for bucket, n in self.backlog.by_age.items()]
        for series in TREND_SERIES:
            out += [(f"trend_{series}", point.month, getattr(point, series)) for point in self.trend]
        for row in self.by_district or []:
            out += [("by_district_notices_received", row.code or "unrouted", row.notices_received),
                    ("by_district_cases_opened", row.code or "unrouted", row.cases_opened)]
        return out


def summary_from_dict(data: dict[str, Any]) -> MonthlySummary:
    """Rebuild a summary from its JSON form (the archive's `content`)."""
    t = data["timeliness"]
    j = data["joint_assessments"]
    return MonthlySummary(
        month=data["month"],
        district=DistrictRef(**data["district"]) if data.get("district") else None,
        period_start=data["period_start"],
        period_end=data["period_end"],
        generated_at=data["generated_at"],
        notices=Notices(received=data["notices"]["received"], by_kind=data["notices"]["by_kind"],
                        by_landlord=[LandlordCount(**row) for row in data["notices"]["by_landlord"]]),
        households=Households(**data["households"]),
        cases=Cases(**data["cases"]),
        evictions=Evictions(**data["evictions"]),
        timeliness=Timeliness(**{**t, "missed_deadlines": MissedDeadlines(**t["missed_deadlines"])}),
        joint_assessments=JointAssessments(requested=UnitCounts(**j["requested"]),
                                           completed=UnitCounts(**j["completed"])),
        backlog=Backlog(**data["backlog"]),
        trend=[TrendPoint(**point) for point in data["trend"]],
        by_district=[DistrictRow(**row) for row in data["by_district"]] if data.get("by_district") is not None
        else None,
        municipality=data.get("municipality", ""),
    )
