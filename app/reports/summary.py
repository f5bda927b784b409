"""The monthly summary: one `MonthlySummary`, computed once in SQL, rendered four ways.

What is counted (a calendar month in Europe/Stockholm, half-open
[1st 00:00, next 1st 00:00) local time, compared as UTC instants):

* notices received in the month, by kind and by landlord (organisations);
* households: the distinct cases that received a notice in the month, and how
  many of them carry the flags `children`, `age_65_plus`, `repeat` — flags as
  they stand when the summary is computed;
* cases opened and cases closed in the month, closed by outcome;
* evictions carried out: cases with a landlord event `eviction_executed` whose
  `occurred_on` lies in the month, plus cases closed in the month with outcome
  `evicted` that have no such event at all (so a case is counted once: in the
  month of the event if the landlord reported one, else in the month it was
  closed); children affected = those cases flagged `children` (65+ likewise);
* timeliness of the cases opened in the month: their `first_contact`
  deadline's status (met = first contact within the service level); the
  median number of vardagar from receipt (`opened_at`, the first notice's
  receipt) to the first contact that reached the household
  (`first_contact_at`); of those with a redemption period, how many were
  reached before its end; deadlines missed in the month (status `missed`,
  due in the month) by kind;
* joint-assessment parts requested and completed in the month, by unit;
* the open backlog at the end of the month (or now, for the running month):
  cases opened before and not closed by then, by age in whole days;
* a 12-month trend (this month and the eleven before) of notices received,
  cases opened, evictions and missed deadlines.

How it is computed: every number is a COUNT/GROUP BY aggregate in SQL over
indexed columns (the models and migration 0004 declare them), portable across
SQLite and PostgreSQL — no backend-only functions but one, compiled per
database in `app/sql.py`:
* the whole city is "every district or none" (`_Scope`), so that the same
  (district_id, time) indexes serve it;
* month buckets for the trend are CASE expressions over bound instants (no
  date_trunc / strftime), grouped in an outer query so that PostgreSQL's
  server-side parameters never have to match between SELECT and GROUP BY;
* JSON flags are matched with `json_contains` (`@>` on PostgreSQL's jsonb,
  `json_each` on SQLite), the same test the staff queue uses;
* the one exception to "no rows in Python" is the median in vardagar: a
  vardag depends on Swedish holidays (`app.calendar`), which no portable SQL
  knows, so the (opened_at, first_contact_at) pairs of the cases opened in the
  district-month (a few hundred rows at most) are fetched and counted in
  Python. Nothing else loads rows.

No personal data: only counts, district names and landlord (organisation)
names ever enter a summary.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, or_, select, true, union
from sqlalchemy.orm import Session

from app.calendar import STOCKHOLM, vardagar_until
from app.cases.models import Case
from app.deadlines.models import Deadline
from app.households.models import JointAssessmentPart
from app.notices.models import Notice, NoticeEvent
from app.routing.models import District
from app.security.models import Landlord
from app.reports.figures import (
    BACKLOG_BUCKETS,
    DEADLINE_KINDS,
    EVICTION_EVENT,
    FIRST_CONTACT_STATUSES,
    NOTICE_KINDS,
    OUTCOMES,
    TREND_MONTHS,
    UNITS,
    Backlog,
    Cases,
    DistrictRef,
    DistrictRow,
    Evictions,
    Households,
    JointAssessments,
    LandlordCount,
    MissedDeadlines,
    MonthlySummary,
    Notices,
    Timeliness,
    TrendPoint,
    UnitCounts,
    summary_from_dict,
)
from app.reports.month import Month
from app.sql import json_contains

# --------------------------------------------------------------------------- SQL helpers


def _between(column: Any, start: Any, end: Any) -> ColumnElement[bool]:
    return and_(column >= start, column < end)


def has_flag(flag: str) -> ColumnElement[bool]:
    return json_contains(Case.flags, flag)


def _count_if(condition: ColumnElement[bool]) -> Any:
    return func.count(case((condition, 1)))


def _bucket(column: Any, bounds: Sequence[Any]) -> Any:
    """Index of the half-open interval [bounds[i], bounds[i+1]) holding `column` (rows pre-filtered to the span)."""
    whens = [(column < bound, index) for index, bound in enumerate(bounds[1:-1])]
    return case(*whens, else_=len(bounds) - 2)


def _grouped(session: Session, inner: Any) -> dict[Any, int]:
    """GROUP BY the first column `k` of a subquery (computed expressions are grouped outside, portably)."""
    sub = inner.subquery()
    key = sub.c.k
    return {k: n for k, n in session.execute(select(key, func.count()).group_by(key))}


def _filled(keys: Iterable[str], found: dict[Any, int]) -> dict[str, int]:
    counts = {key: int(found.get(key, 0)) for key in keys}
    for key, n in found.items():  # a value the code does not know yet still shows
        if key is not None and key not in counts:
            counts[str(key)] = int(n)
    return counts


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _local_iso(instant: datetime) -> str:
    return instant.astimezone(STOCKHOLM).isoformat(timespec="seconds")


class _Scope:
    """The district filter, for notices (their district) and cases (theirs).

    The whole city is "every district, or none" rather than no filter at all: written so, the
    (district_id, time) indexes serve it too — one range scan per district instead of a scan of
    the table (on PostgreSQL an index scan with `district_id = ANY(…)`, plus the unrouted rows).
    """

    def __init__(self, district_id: uuid.UUID | None, all_districts: Sequence[uuid.UUID] = ()) -> None:
        self.district_id = district_id
        self.all_districts = list(all_districts)

    def _filter(self, column: Any) -> ColumnElement[bool]:
        if self.district_id is not None:
            return column == self.district_id
        if not self.all_districts:
            return true()
        return or_(column.in_(self.all_districts), column.is_(None))

    # Test data (a landlord's test key) is never counted: these two filters are what every figure starts from.
    @property
    def notices(self) -> ColumnElement[bool]:
        return and_(self._filter(Notice.district_id), Notice.test.is_(False))

    @property
    def cases(self) -> ColumnElement[bool]:
        return and_(self._filter(Case.district_id), Case.test.is_(False))


# --------------------------------------------------------------------------- computing


def compute_summary(session: Session, month: Month, district: District | None, *, now: datetime,
                    municipality: str = "") -> MonthlySummary:
    """The month's summary for one district (or the city with `district=None`)."""
    scope = _Scope(district.id, ()) if district else _Scope(None, session.scalars(select(District.id)).all())
    start, end = month.start_utc, month.end_utc
    as_of = min(end, now.astimezone(UTC))
    timeliness = _timeliness(session, scope, start, end)
    return MonthlySummary(
        month=str(month),
        district=DistrictRef(district.code, district.name) if district else None,
        period_start=_local_iso(month.start),
        period_end=_local_iso(month.end),
        generated_at=_local_iso(now),
        notices=_notices(session, scope, start, end),
        households=_households(session, scope, start, end),
        cases=_cases(session, scope, start, end),
        evictions=_evictions(session, scope, month),
        timeliness=timeliness,
        joint_assessments=_joint_assessments(session, scope, start, end),
        backlog=_backlog(session, scope, as_of),
        trend=_trend(session, scope, month),
        by_district=None if district else _by_district(session, scope, month),
        municipality=municipality,
    )


def _notices(session: Session, scope: _Scope, start: datetime, end: datetime) -> Notices:
    in_month = and_(scope.notices, _between(Notice.received_at, start, end))
    by_kind = dict(session.execute(select(Notice.kind, func.count()).where(in_month).group_by(Notice.kind)).all())
    per_landlord = (select(Notice.landlord_id.label("landlord_id"), func.count().label("n"))
                    .where(in_month).group_by(Notice.landlord_id).subquery())
    # Ordered here, not in SQL: collations differ between databases for å, ä, ö.
    landlords = sorted((LandlordCount(name, int(n)) for name, n in session.execute(
        select(Landlord.name, per_landlord.c.n).join(per_landlord, per_landlord.c.landlord_id == Landlord.id))),
        key=lambda row: (-row.count, row.landlord))
    return Notices(received=sum(by_kind.values()), by_kind=_filled(NOTICE_KINDS, by_kind), by_landlord=landlords)


def _households(session: Session, scope: _Scope, start: datetime, end: datetime) -> Households:
    month_cases = select(Notice.case_id).where(scope.notices, _between(Notice.received_at, start, end),
                                               Notice.case_id.is_not(None))
    total, children, seniors, repeat = session.execute(
        select(func.count(), _count_if(has_flag("children")), _count_if(has_flag("age_65_plus")),
               _count_if(has_flag("repeat")))
        .select_from(Case).where(Case.id.in_(month_cases))
    ).one()
    return Households(with_notice=total, children=children, age_65_plus=seniors, repeat=repeat)


def _cases(session: Session, scope: _Scope, start: datetime, end: datetime) -> Cases:
    opened = session.scalar(select(func.count()).select_from(Case)
                            .where(scope.cases, _between(Case.opened_at, start, end))) or 0
    closed = dict(session.execute(
        select(Case.outcome, func.count()).where(scope.cases, _between(Case.closed_at, start, end))
        .group_by(Case.outcome)
    ).all())
    return Cases(opened=opened, closed=sum(closed.values()), closed_by_outcome=_filled(OUTCOMES, closed))


def _eviction_parts(scope: _Scope, first_day: date, next_first_day: date, start: datetime, end: datetime,
                    event_key: Any = None, outcome_key: Any = None) -> Any:
    """Evicted cases as a UNION (case_id[, k]): by the landlord's event, else by the closing outcome."""
    any_event = (select(NoticeEvent.id).join(Notice, Notice.id == NoticeEvent.notice_id)
                 .where(Notice.case_id == Case.id, NoticeEvent.type == EVICTION_EVENT).exists())
    by_event = (select(Notice.case_id.label("case_id"), *([event_key.label("k")] if event_key is not None else []))
                .join(NoticeEvent, NoticeEvent.notice_id == Notice.id)
                .where(NoticeEvent.type == EVICTION_EVENT, _between(NoticeEvent.occurred_on, first_day, next_first_day),
                       scope.notices, Notice.case_id.is_not(None)))
    by_outcome = (select(Case.id.label("case_id"), *([outcome_key.label("k")] if outcome_key is not None else []))
                  .where(scope.cases, Case.outcome == "evicted", _between(Case.closed_at, start, end), ~any_event))
    return union(by_event, by_outcome)


def _evictions(session: Session, scope: _Scope, month: Month) -> Evictions:
    evicted = _eviction_parts(scope, month.first_day, month.shift(1).first_day, month.start_utc,
                              month.end_utc).subquery()
    total, children, seniors = session.execute(
        select(func.count(), _count_if(has_flag("children")), _count_if(has_flag("age_65_plus")))
        .select_from(evicted).join(Case, Case.id == evicted.c.case_id)
    ).one()
    return Evictions(carried_out=total, children_affected=children, age_65_plus_affected=seniors)


def _timeliness(session: Session, scope: _Scope, start: datetime, end: datetime) -> Timeliness:
    opened_in_month = and_(scope.cases, _between(Case.opened_at, start, end))
    opened_ids = select(Case.id).where(opened_in_month)
    opened = session.scalar(select(func.count()).select_from(Case).where(opened_in_month)) or 0
    statuses = dict(session.execute(
        select(Deadline.status, func.count())
        .where(Deadline.kind == "first_contact", Deadline.case_id.in_(opened_ids)).group_by(Deadline.status)
    ).all())
    first_contact = _filled(FIRST_CONTACT_STATUSES[:-1], statuses)
    first_contact["none"] = max(0, opened - sum(statuses.values()))

    # The one place rows come to Python: vardagar need the Swedish holiday calendar (see the module doc).
    pairs = session.execute(select(Case.opened_at, Case.first_contact_at)
                            .where(opened_in_month, Case.first_contact_at.is_not(None))).all()
    days = [vardagar_until(received.astimezone(STOCKHOLM).date(), reached.astimezone(STOCKHOLM).date())
            for received, reached in pairs]
    median: float | int | None = None
    if days:
        value = statistics.median(days)
        median = int(value) if float(value).is_integer() else float(value)

    redemption = (select(Deadline.case_id.label("case_id"), func.min(Deadline.due_at).label("due"))
                  .where(Deadline.kind == "redemption_period_end", Deadline.case_id.in_(opened_ids))
                  .group_by(Deadline.case_id).subquery())
    redemption_cases, contacted = session.execute(
        select(func.count(), _count_if(Case.first_contact_at <= redemption.c.due))
        .select_from(redemption).join(Case, Case.id == redemption.c.case_id)
    ).one()

    return Timeliness(
        cases_opened=opened,
        first_contact=first_contact,
        first_contact_within_service_level_share=_share(first_contact["met"], opened),
        cases_with_first_contact=len(days),
        median_vardagar_to_first_contact=median,
        redemption_cases=redemption_cases,
        contacted_before_redemption_end=contacted,
        contacted_before_redemption_end_share=_share(contacted, redemption_cases),
        missed_deadlines=_missed(session, scope, start, end),
    )


def _missed_query(scope: _Scope, start: datetime, end: datetime, *columns: Any) -> Any:
    # Joined to its case always: the case's scope also leaves test cases out, city-wide too.
    return (select(*columns).where(Deadline.status == "missed", _between(Deadline.due_at, start, end))
            .join(Case, Case.id == Deadline.case_id).where(scope.cases))


def _missed(session: Session, scope: _Scope, start: datetime, end: datetime) -> MissedDeadlines:
    found = dict(session.execute(
        _missed_query(scope, start, end, Deadline.kind, func.count()).group_by(Deadline.kind)).all())
    return MissedDeadlines(total=sum(found.values()), by_kind=_filled(DEADLINE_KINDS, found))


def _joint_assessments(session: Session, scope: _Scope, start: datetime, end: datetime) -> JointAssessments:
    def by_unit(column: Any) -> UnitCounts:
        query = (select(JointAssessmentPart.unit, func.count())
                 .where(_between(column, start, end)).group_by(JointAssessmentPart.unit)
                 .join(Case, Case.id == JointAssessmentPart.case_id).where(scope.cases))
        found = dict(session.execute(query).all())
        return UnitCounts(total=sum(found.values()), by_unit=_filled(UNITS, found))

    return JointAssessments(requested=by_unit(JointAssessmentPart.requested_at),
                            completed=by_unit(JointAssessmentPart.completed_at))


def _backlog(session: Session, scope: _Scope, as_of: datetime) -> Backlog:
    # Age in whole days at `as_of`: 0–7 days is opened within the last 8 × 24 h, and so on.
    age = case(
        (Case.opened_at > as_of - timedelta(days=8), "0-7"),
        (Case.opened_at > as_of - timedelta(days=31), "8-30"),
        (Case.opened_at > as_of - timedelta(days=91), "31-90"),
        else_="over_90",
    )
    found = _grouped(session, select(age.label("k")).where(
        scope.cases, Case.opened_at < as_of, or_(Case.closed_at.is_(None), Case.closed_at >= as_of)))
    by_age = _filled(BACKLOG_BUCKETS, found)
    return Backlog(as_of=_local_iso(as_of), total=sum(by_age.values()), by_age=by_age)


def month_windows(month: Month, count: int) -> tuple[list[Month], list[datetime], list[date]]:
    """The `count` months ending with `month`, oldest first, and their bounds as instants and as days
    (one more than the months: each month is [bound i, bound i + 1)), for the buckets of a trend."""
    months = [month.shift(offset) for offset in range(-(count - 1), 1)]
    return (months, [m.start_utc for m in months] + [month.end_utc],
            [m.first_day for m in months] + [month.shift(1).first_day])


def _trend(session: Session, scope: _Scope, month: Month) -> list[TrendPoint]:
    months, instants, days = month_windows(month, TREND_MONTHS)
    span_start, span_end = instants[0], instants[-1]

    notices = _grouped(session, select(_bucket(Notice.received_at, instants).label("k"))
                       .where(scope.notices, _between(Notice.received_at, span_start, span_end)))
    opened = _grouped(session, select(_bucket(Case.opened_at, instants).label("k"))
                      .where(scope.cases, _between(Case.opened_at, span_start, span_end)))
    missed = _grouped(session, _missed_query(scope, span_start, span_end,
                                             _bucket(Deadline.due_at, instants).label("k")))
    evicted = _eviction_parts(scope, days[0], days[-1], span_start, span_end,
                              event_key=_bucket(NoticeEvent.occurred_on, days),
                              outcome_key=_bucket(Case.closed_at, instants)).subquery()
    evictions = {k: n for k, n in session.execute(
        select(evicted.c.k, func.count()).group_by(evicted.c.k))}
    return [
        TrendPoint(month=str(m), notices_received=int(notices.get(i, 0)), cases_opened=int(opened.get(i, 0)),
                   evictions=int(evictions.get(i, 0)), missed_deadlines=int(missed.get(i, 0)))
        for i, m in enumerate(months)
    ]


def _by_district(session: Session, scope: _Scope, month: Month) -> list[DistrictRow]:
    start, end = month.start_utc, month.end_utc
    notices = dict(session.execute(
        select(Notice.district_id, func.count()).where(scope.notices, _between(Notice.received_at, start, end))
        .group_by(Notice.district_id)).all())
    opened = dict(session.execute(
        select(Case.district_id, func.count()).where(scope.cases, _between(Case.opened_at, start, end))
        .group_by(Case.district_id)).all())
    rows = []
    for district in sorted(session.scalars(select(District)), key=lambda d: d.code):
        if district.id in notices or district.id in opened or district.is_valid_on(month.first_day):
            rows.append(DistrictRow(district.code, district.name, int(notices.get(district.id, 0)),
                                    int(opened.get(district.id, 0))))
    if notices.get(None) or opened.get(None):
        rows.append(DistrictRow(None, "Ej fördelade till stadsdel", int(notices.get(None, 0)),
                                int(opened.get(None, 0))))
    return rows


__all__ = ["Month", "MonthlySummary", "compute_summary", "has_flag", "summary_from_dict"]
