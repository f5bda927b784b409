"""Pure parts: months, number formats, CSV safety, charts."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.reports import charts
from app.reports.render import format_number, format_share, to_csv
from app.reports.figures import summary_from_dict
from app.reports.month import Month
from tests.reports.expected import CITY_OCTOBER, SODERMALM_OCTOBER
from tests.reports.forms import csv_rows


def test_month_boundaries_in_stockholm_time():
    october = Month.parse("2026-10")
    assert october.start_utc == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)  # summer time, UTC+2
    assert october.end_utc == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)  # winter time, UTC+1
    assert Month.parse("2026-03").end_utc == datetime(2026, 3, 31, 22, 0, tzinfo=UTC)
    assert str(october.shift(-10)) == "2025-12" and str(october.shift(3)) == "2027-01"
    assert october.label_sv == "oktober 2026"
    assert Month.of(datetime(2026, 10, 31, 23, 30, tzinfo=UTC)) == Month(2026, 11)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "2026-1", "2026/10", "", "oktober", "1999-12"])
def test_not_a_month(text):
    with pytest.raises(ValueError):
        Month.parse(text)


def test_swedish_number_formats():
    assert format_number(0) == "0"
    assert format_number(1234567) == "1\u00a0234\u00a0567"
    assert format_number(2.5) == "2,5"
    assert format_number(None) == "–"
    assert format_share(0.6667) == "66,7\u00a0%"
    assert format_share(None) == "–"


def test_csv_cells_a_spreadsheet_would_run_are_defused():
    data = {**SODERMALM_OCTOBER, "notices": {**SODERMALM_OCTOBER["notices"], "by_landlord": [
        {"landlord": "=HYPERLINK(\"http://x\")", "count": 1}, {"landlord": "+Bolaget", "count": 1}]}}
    rows = csv_rows(to_csv(summary_from_dict(data)))
    assert ("notices_by_landlord", "'=HYPERLINK(\"http://x\")", "1") in rows
    assert ("notices_by_landlord", "'+Bolaget", "1") in rows


def test_the_json_form_round_trips():
    for data in (SODERMALM_OCTOBER, CITY_OCTOBER):
        assert summary_from_dict(data).to_dict() == data


def test_charts_scale_to_the_largest_value_and_escape_labels():
    svg = charts.column_chart("Underrättelser <test>", ["jan", "feb"], [0, 10], highlight_last=False)
    assert "<title>Underrättelser &lt;test&gt;</title>" in svg
    assert svg.count("<rect") == 1  # no bar for zero
    bars = charts.bar_chart("Utfall", ["a & b", "c"], [5, 10])
    assert "a &amp; b" in bars and bars.count("<rect") == 2
    with pytest.raises(ValueError):
        charts.column_chart("x", ["a"], [1, 2])
