"""A manager's month in a real browser: Rapporter, last month's report with its charts, the PDF; the overview's trend.

The district's history is the monthly-summary tests' (tests/reports/conftest.py: an October worked out by
hand), with the app's clock on 2 November 2026, so "last month" is October and its numbers are known.
"""

from __future__ import annotations

from datetime import datetime

import pytest

from app.calendar import STOCKHOLM
from app.jobs.base import JobContext
from app.jobs.reports import run_monthly_reports
from tests.browser.conftest import axe_violations, screenshot, watch_content_security
from tests.conftest import TEST_PASSWORD
from tests.reports.conftest import REPORT_NOW, TENANT_NAME, history  # noqa: F401 - the October history
from tests.reports.forms import pdf_text

WIDTHS = ((1366, 768), (390, 844))


@pytest.fixture
def october(history, app, settings, sessions, make_user):  # noqa: F811
    app.state.clock = lambda: REPORT_NOW
    # The job ran on 1 November at 07:00: October's version 1 is archived (and was mailed).
    run_monthly_reports(JobContext(settings, sessions, lambda: datetime(2026, 11, 1, 7, 0, tzinfo=STOCKHOLM)))
    make_user("chef", "manager", "sodermalm")
    make_user("stadens-admin", "admin")


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/logga-in")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()


def _accessible_at_both_widths(page, name: str) -> None:
    for width, height in WIDTHS:
        page.set_viewport_size({"width": width, "height": height})
        violations = axe_violations(page)
        assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        # Nothing wider than the window: the charts and tables fold or scroll inside their own box.
        assert page.evaluate("document.documentElement.scrollWidth") <= width, f"{name} overflows at {width} px"
        screenshot(page, f"{name}-{width}")


def test_a_manager_opens_last_months_report_from_rapporter_and_downloads_the_pdf(october, live_server, page):
    refused = watch_content_security(page)
    _sign_in(page, live_server, "chef")
    page.get_by_role("navigation", name="Huvudmeny").get_by_role("link", name="Rapporter").click()
    page.wait_for_url(f"{live_server}/rapporter")
    assert page.locator("h2#rapport-rubrik").inner_text() == "Månadsrapport oktober 2026 – Södermalm"
    assert page.get_by_label("Månad", exact=True).input_value() == "2026-10"  # last full month by default
    assert page.locator(".keyfigures li").first.inner_text().split() == ["5", "underrättelser"]
    assert page.locator("svg.chart[role=img]").count() >= 6  # the report's charts, drawn on the page
    assert TENANT_NAME not in page.content()
    _accessible_at_both_widths(page, "manager-rapporter")

    page.set_viewport_size({"width": 1366, "height": 768})
    with page.expect_download() as started:
        page.get_by_role("link", name="Ladda ned som PDF").click()
    download = started.value
    assert download.suggested_filename == "manadsrapport-sodermalm-2026-10.pdf"
    pdf = open(download.path(), "rb").read()
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Månadsrapport oktober 2026" in text and "Mottagna underrättelser 5" in text

    # The version the managers were mailed, as it was.
    archive = page.locator("table.archive tbody tr")
    assert archive.count() == 1 and "2026-11-01 kl. 07.00" in archive.first.inner_text()
    with page.expect_download() as started:
        archive.first.get_by_role("link").click()
    assert started.value.suggested_filename == "manadsrapport-sodermalm-2026-10-v1.pdf"

    # Another month from the picker.
    page.get_by_label("Månad", exact=True).fill("2026-09")
    page.get_by_role("button", name="Visa rapporten").click()
    page.wait_for_url(f"{live_server}/rapporter?manad=2026-09")
    assert page.locator("h2#rapport-rubrik").inner_text() == "Månadsrapport september 2026 – Södermalm"
    assert refused == []


def test_the_overview_shows_this_month_against_the_last_twelve(october, live_server, page):
    refused = watch_content_security(page)
    _sign_in(page, live_server, "chef")
    page.goto(f"{live_server}/oversikt")
    section = page.locator("section.trend")
    assert section.locator("h2").inner_text() == "November 2026 mot de senaste tolv månaderna"
    assert section.locator("svg.chart[role=img]").count() == 6
    assert section.get_by_role("table", name="Siffrorna i diagrammen, månad för månad").locator("tbody tr").count() == 13
    _accessible_at_both_widths(page, "manager-oversikt")
    assert refused == []


def test_an_admin_reads_the_city_and_then_one_district(october, live_server, page):
    _sign_in(page, live_server, "stadens-admin")
    page.goto(f"{live_server}/rapporter")
    assert "hela staden" in page.locator("h2#rapport-rubrik").inner_text()
    _accessible_at_both_widths(page, "admin-rapporter")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.get_by_label("Stadsdel", exact=True).select_option("jarva")
    page.get_by_role("button", name="Visa rapporten").click()
    page.wait_for_url(f"{live_server}/rapporter?manad=2026-10&stadsdel=jarva")
    assert page.locator("h2#rapport-rubrik").inner_text() == "Månadsrapport oktober 2026 – Järva"
