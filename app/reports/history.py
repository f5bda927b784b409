"""A district's months side by side: this month against the twelve before it (the managers' overview).

The figures are the monthly summary's own (`summary.py`), counted the same way
— the same scope filters (test data never counted), the same instants, the
same tests of a flag, a missed deadline and an eviction — only for thirteen
months at once: each figure is one GROUP BY over the months' buckets
(`summary._bucket`), as the summary's 12-month trend is, so the overview costs
six queries however many months it shows. `tests/reports/test_history.py`
checks every month against `compute_summary`.

Per month:
* notices received;
* cases closed, and by outcome;
* deadlines missed (due in the month);
* joint-assessment parts requested;
* households with children that received a notice in the month (the
  summary's `households.children`);
* evictions carried out in households with children (`evictions.children_affected`).

Counts only: no personal data.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from markupsafe import Markup
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.cases.models import Case
from app.deadlines.models import Deadline
from app.households.models import JointAssessmentPart
from app.notices.models import Notice, NoticeEvent
from app.reports import charts
from app.reports.render import format_number, month_label
from app.reports.figures import OUTCOMES
from app.reports.month import Month
from app.reports.summary import (
    _between,
    _bucket,
    _count_if,
    _eviction_parts,
    _grouped,
    _missed_query,
    _Scope,
    has_flag,
    month_windows,
)
from app.routing.models import District
from app.vocabulary import Outcome, label

MONTHS_SHOWN = 13  # this month and the twelve before it

# (key, Swedish name) of each series, in the order the overview shows them.
SERIES: tuple[tuple[str, str], ...] = (
    ("notices_received", "Underrättelser"),
    ("cases_closed", "Avslutade ärenden"),
    ("missed_deadlines", "Missade tidsfrister"),
    ("joint_assessments_requested", "Begärda gemensamma bedömningar"),
    ("households_with_children", "Barnhushåll med underrättelse"),
    ("evictions_children_affected", "Avhysningar som berörde barn"),
)


@dataclass(frozen=True)
class MonthFigures:
    month: str
    notices_received: int
    cases_closed: int
    closed_by_outcome: dict[str, int]
    missed_deadlines: int
    joint_assessments_requested: int
    households_with_children: int
    evictions_children_affected: int


def monthly_history(session: Session, district: District, month: Month,
                    months: int = MONTHS_SHOWN) -> list[MonthFigures]:
    """`months` months of `district`, oldest first, ending with `month` (counted up to now if it is running)."""
    scope = _Scope(district.id)
    shown, instants, days = month_windows(month, months)
    start, end = instants[0], instants[-1]

    notices = _grouped(session, select(_bucket(Notice.received_at, instants).label("k"))
                       .where(scope.notices, _between(Notice.received_at, start, end)))
    missed = _grouped(session, _missed_query(scope, start, end, _bucket(Deadline.due_at, instants).label("k")))
    joint = _grouped(session, select(_bucket(JointAssessmentPart.requested_at, instants).label("k"))
                     .join(Case, Case.id == JointAssessmentPart.case_id)
                     .where(_between(JointAssessmentPart.requested_at, start, end), scope.cases))

    closed_rows = (select(_bucket(Case.closed_at, instants).label("k"), Case.outcome.label("o"))
                   .where(scope.cases, _between(Case.closed_at, start, end)).subquery())
    closed: dict[int, dict[str, int]] = defaultdict(dict)
    for k, outcome, n in session.execute(select(closed_rows.c.k, closed_rows.c.o, func.count())
                                         .group_by(closed_rows.c.k, closed_rows.c.o)):
        closed[k][outcome] = int(n)

    # A household is counted once a month, however many notices it had in it (as in the summary).
    with_notice = (select(_bucket(Notice.received_at, instants).label("k"), Notice.case_id.label("case_id"))
                   .where(scope.notices, _between(Notice.received_at, start, end), Notice.case_id.is_not(None))
                   .distinct().subquery())
    children = {k: int(n) for k, n in session.execute(
        select(with_notice.c.k, _count_if(has_flag("children"))).join(Case, Case.id == with_notice.c.case_id)
        .group_by(with_notice.c.k))}

    evicted = _eviction_parts(scope, days[0], days[-1], start, end,
                              event_key=_bucket(NoticeEvent.occurred_on, days),
                              outcome_key=_bucket(Case.closed_at, instants)).subquery()
    evicted_children = {k: int(n) for k, n in session.execute(
        select(evicted.c.k, _count_if(has_flag("children"))).join(Case, Case.id == evicted.c.case_id)
        .group_by(evicted.c.k))}

    out = []
    for index, m in enumerate(shown):
        outcomes = {code: closed[index].get(code, 0) for code in OUTCOMES}
        outcomes.update({str(k): n for k, n in closed[index].items() if k not in outcomes and k is not None})
        out.append(MonthFigures(
            month=str(m), notices_received=int(notices.get(index, 0)), cases_closed=sum(closed[index].values()),
            closed_by_outcome=outcomes, missed_deadlines=int(missed.get(index, 0)),
            joint_assessments_requested=int(joint.get(index, 0)),
            households_with_children=children.get(index, 0),
            evictions_children_affected=evicted_children.get(index, 0)))
    return out


# --------------------------------------------------------------------------- for the page


def _average(values: list[int]) -> float:
    return sum(values) / len(values) if values else 0.0


def _average_text(value: float) -> str:
    return f"{value:.1f}".replace(".", ",")


def comparison(history: list[MonthFigures]) -> dict[str, Any]:
    """This month (the last) against the months before it: the rows and charts of the overview."""
    *before, this = history
    first, last = Month.read(history[0].month), Month.read(this.month)
    period = f"{Month.read(before[0].month).label_sv}–{Month.read(before[-1].month).label_sv}" if before else ""
    rows = [(name, format_number(getattr(this, key)), _average_text(_average([getattr(m, key) for m in before])))
            for key, name in SERIES]
    outcome_rows = [(label(Outcome, code) if code in OUTCOMES else code, format_number(this.closed_by_outcome.get(code, 0)),
                     _average_text(_average([m.closed_by_outcome.get(code, 0) for m in before])))
                    for code in this.closed_by_outcome]
    short = [Month.read(m.month).short_sv for m in history]
    span = f"{first.label_sv} till {last.label_sv}"
    figures: list[Markup] = [
        charts.column_chart(name, short, [getattr(m, key) for m in history], width=300, height=130,
                            desc=f"{name} per månad, {span}. Den sista, markerade stapeln är {last.label_sv} "
                                 "hittills. Samma siffror finns i tabellen under diagrammen.")
        for key, name in SERIES
    ]
    table = [(month_label(m.month), [format_number(getattr(m, key)) for key, _ in SERIES]) for m in history]
    return {"this_month": last.label_sv, "period": period, "rows": rows, "outcome_rows": outcome_rows,
            "charts": figures, "series_names": [name for _, name in SERIES], "table": table}


def history_now(session: Session, district: District, now: datetime) -> dict[str, Any]:
    return comparison(monthly_history(session, district, Month.of(now)))
