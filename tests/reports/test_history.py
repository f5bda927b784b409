"""The overview's months: the monthly summary's own figures for thirteen months, in a handful of queries."""

from __future__ import annotations

import re

from sqlalchemy import event

from app.reports.history import MONTHS_SHOWN, comparison, monthly_history
from app.reports.summary import Month, compute_summary
from app.routing.districts import district_by_code
from tests.reports.conftest import REPORT_NOW

NOVEMBER = Month(2026, 11)


def test_every_month_is_the_summarys_own_figures(history, db):
    with db() as session:
        for code in ("sodermalm", "jarva"):
            district = district_by_code(session, code)
            months = monthly_history(session, district, NOVEMBER)
            assert [m.month for m in months] == [str(NOVEMBER.shift(i)) for i in range(-12, 1)]
            for figures in months:
                summary = compute_summary(session, Month.parse(figures.month), district, now=REPORT_NOW)
                assert figures.notices_received == summary.notices.received, figures.month
                assert figures.cases_closed == summary.cases.closed, figures.month
                assert figures.closed_by_outcome == summary.cases.closed_by_outcome, figures.month
                assert figures.missed_deadlines == summary.timeliness.missed_deadlines.total, figures.month
                assert figures.joint_assessments_requested == summary.joint_assessments.requested.total
                assert figures.households_with_children == summary.households.children, figures.month
                assert figures.evictions_children_affected == summary.evictions.children_affected, figures.month


def test_the_history_has_something_to_show(history, db):
    """Not all zeros: October is the built history's month (tests/reports/expected.py)."""
    with db() as session:
        october = monthly_history(session, district_by_code(session, "sodermalm"), NOVEMBER)[-2]
    assert (october.notices_received, october.cases_closed, october.missed_deadlines) == (5, 4, 5)
    assert october.closed_by_outcome["evicted"] == 1 and october.closed_by_outcome["rent_paid"] == 1
    assert october.households_with_children == 2 and october.evictions_children_affected == 1
    assert october.joint_assessments_requested >= 1


def test_thirteen_months_cost_six_queries(history, db):
    statements: list[str] = []
    with db() as session:
        district = district_by_code(session, "sodermalm")
        engine = session.get_bind()

        def count(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(engine, "before_cursor_execute", count)
        try:
            monthly_history(session, district, NOVEMBER, months=MONTHS_SHOWN)
        finally:
            event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 6, statements


def test_this_month_against_the_average_of_the_twelve_before(history, db):
    with db() as session:
        months = monthly_history(session, district_by_code(session, "sodermalm"), NOVEMBER)
    view = comparison(months)
    assert view["this_month"] == "november 2026" and view["period"] == "november 2025–oktober 2026"
    rows = {name: (now, average) for name, now, average in view["rows"]}
    before = [m.notices_received for m in months[:-1]]
    assert rows["Underrättelser"] == (str(months[-1].notices_received), f"{sum(before) / 12:.1f}".replace(".", ","))
    assert len(view["charts"]) == len(view["series_names"]) == 6
    for chart in view["charts"]:
        assert 'role="img"' in chart and "<title>" in chart and "<desc>" in chart
        assert len(re.findall(r"<rect ", chart)) <= MONTHS_SHOWN
    assert [name for name, _ in view["table"]][-1] == "nov 2026" and len(view["table"]) == 13


def test_the_manager_overview_shows_the_months(history, app, browser_of):
    app.state.clock = lambda: REPORT_NOW
    chef = browser_of("chef", "manager", "sodermalm")
    html = chef.get("/oversikt").text
    assert "November 2026 mot de senaste tolv månaderna" in html
    assert "<caption>Avslutade ärenden per utfall</caption>" in html and "Avhyst" in html
    assert "<caption>Siffrorna i diagrammen, månad för månad</caption>" in html
    assert html.count('role="img"') == 6 and 'style="' not in html
    assert '<th scope="row">okt 2026</th><td class="num">5</td><td class="num">4</td><td class="num">5</td>' in html
