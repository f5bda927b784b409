"""Rapporter: the monthly summary as a staff page — scope, downloads, archived versions, audit, Swedish errors."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from app.calendar import STOCKHOLM
from app.jobs.base import JobContext
from app.jobs.reports import run_monthly_reports
from app.reports.models import ReportArchive
from app.routing.models import District
from app.security.models import AuditEvent
from tests.reports.conftest import REPORT_NOW, TENANT_NAME
from tests.reports.forms import pdf_text
from tests.security.helpers import HTML, web_sign_in

PAGE = "/rapporter"


@pytest.fixture
def now(app):
    app.state.clock = lambda: REPORT_NOW


def _audited(db, username: str) -> list[dict]:
    with db() as session:
        return [e.details for e in session.scalars(select(AuditEvent).where(
            AuditEvent.action == "report.monthly", AuditEvent.actor_name == username).order_by(AuditEvent.id))]


def test_a_manager_sees_last_months_report_with_its_charts_and_downloads(history, now, browser_of, db):
    chef = browser_of("chef", "manager", "sodermalm")
    answer = chef.get(PAGE)
    assert answer.status_code == 200, answer.text
    html = answer.text
    assert "Månadsrapport oktober 2026 – Södermalm" in html
    assert 'value="2026-10"' in html and 'max="2026-11"' in html  # the picker: last full month, not beyond now
    assert 'role="img"' in html and "<title>Avslutade ärenden per utfall</title>" in html  # the report's charts
    assert "Mottagna underrättelser" in html and "Genomförda avhysningar" in html
    assert "/rapporter/manadsrapport.pdf?manad=2026-10&amp;stadsdel=sodermalm" in html
    assert "/rapporter/manadsrapport.csv?manad=2026-10&amp;stadsdel=sodermalm" in html
    assert "Ingen arkiverad version av oktober 2026" in html
    assert 'name="stadsdel"' not in html  # a manager has one district: nothing to choose
    assert TENANT_NAME not in html and "Götgatan" not in html  # counts only
    assert 'style="' not in html  # the pages' policy refuses inline styles
    assert _audited(db, "chef") == [{"month": "2026-10", "format": "html", "via": "web"}]


def test_the_downloads_are_the_apis_files(history, now, browser_of, client, staff_headers, db):
    chef = browser_of("chef", "manager", "sodermalm")
    csv = chef.get(f"{PAGE}/manadsrapport.csv", params={"manad": "2026-10"})
    assert csv.status_code == 200 and csv.headers["content-type"] == "text/csv; charset=utf-8"
    assert csv.headers["content-disposition"] == 'attachment; filename="manadsrapport-sodermalm-2026-10.csv"'
    api = client.get("/api/v1/reports/monthly", params={"month": "2026-10", "format": "csv"},
                     headers=staff_headers("chef-api", "manager", "sodermalm"))
    assert csv.content == api.content
    pdf = chef.get(f"{PAGE}/manadsrapport.pdf", params={"manad": "2026-10", "stadsdel": "sodermalm"})
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = pdf_text(pdf.content)
    assert "Månadsrapport oktober 2026" in text and "Mottagna underrättelser 5" in text
    assert _audited(db, "chef") == [{"month": "2026-10", "format": "csv", "via": "web"},
                                    {"month": "2026-10", "format": "pdf", "via": "web"}]


def test_another_district_is_not_found_for_a_manager(history, now, browser_of, db, settings, sessions):
    chef = browser_of("chef", "manager", "sodermalm")
    run_monthly_reports(JobContext(settings, sessions, lambda: REPORT_NOW))
    with db() as session:
        jarva = session.scalar(select(District).where(District.code == "jarva"))
        foreign = session.scalar(select(ReportArchive.id).where(ReportArchive.district_id == jarva.id))
        city = session.scalar(select(ReportArchive.id).where(ReportArchive.district_id.is_(None)))
    for path, params in ((PAGE, {"stadsdel": "jarva"}), (PAGE, {"stadsdel": "atlantis"}),
                         (f"{PAGE}/manadsrapport.pdf", {"stadsdel": "jarva"}),
                         (f"{PAGE}/manadsrapport.csv", {"stadsdel": "jarva", "manad": "2026-10"}),
                         (f"{PAGE}/arkiv/{foreign}.pdf", None), (f"{PAGE}/arkiv/{city}.pdf", None),
                         (f"{PAGE}/arkiv/not-a-uuid.pdf", None)):
        answer = chef.get(path, params=params)
        assert answer.status_code == 404, (path, params)
        assert "Sidan finns inte" in answer.text
    assert _audited(db, "chef") == []


@pytest.mark.parametrize(("role", "district", "unit"), [("handler", "sodermalm", None), ("intake", None, None),
                                                        ("joint_assessor", "sodermalm", "children_families")])
def test_other_roles_are_not_told_the_page_exists(history, now, browser_of, role, district, unit):
    other = browser_of(f"u-{role}", role, district, unit)
    for path in (PAGE, f"{PAGE}/manadsrapport.pdf", f"{PAGE}/manadsrapport.csv"):
        answer = other.get(path)
        assert answer.status_code == 404 and "Sidan finns inte" in answer.text
    assert 'href="/rapporter"' not in other.get("/", follow_redirects=True).text  # nor offered in the menu


def test_an_admin_reads_the_whole_city_or_any_district(history, now, browser_of, db):
    admin = browser_of("admin1", "admin")
    city = admin.get(PAGE)
    assert city.status_code == 200
    assert "Månadsrapport oktober 2026 – Stockholms stad – hela staden" in city.text
    assert "Per stadsdel" in city.text and '<option value="" selected>Hela staden</option>' in city.text
    assert "/rapporter/manadsrapport.pdf?manad=2026-10\"" in city.text
    jarva = admin.get(PAGE, params={"manad": "2026-10", "stadsdel": "jarva"})
    assert "Månadsrapport oktober 2026 – Järva" in jarva.text and "Per stadsdel" not in jarva.text
    assert '<option value="jarva" selected>Järva</option>' in jarva.text
    assert admin.get(PAGE, params={"stadsdel": "atlantis"}).status_code == 404
    assert 'href="/rapporter"' in city.text  # in the menu
    with db() as session:
        jarva_id = session.scalar(select(District.id).where(District.code == "jarva"))
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "report.monthly")
                                 .order_by(AuditEvent.id)).all()
    assert [(e.district_id, e.details["month"]) for e in events] == [(None, "2026-10"), (jarva_id, "2026-10")]


def test_the_archived_versions_are_listed_in_stockholm_time_and_downloadable(history, now, browser_of, db,
                                                                            settings, sessions):
    run_monthly_reports(JobContext(settings, sessions, lambda: datetime(2026, 11, 1, 7, 0, tzinfo=STOCKHOLM)))
    chef = browser_of("chef", "manager", "sodermalm")
    html = chef.get(PAGE).text
    with db() as session:
        sodermalm = session.scalar(select(District).where(District.code == "sodermalm"))
        row = session.scalar(select(ReportArchive).where(ReportArchive.district_id == sodermalm.id))
    assert "Version 1 (senaste)" in html and "2026-11-01 kl. 07.00" in html
    assert f'href="/rapporter/arkiv/{row.id}.pdf"' in html
    stored = Path(settings.storage_dir) / row.path
    answer = chef.get(f"{PAGE}/arkiv/{row.id}.pdf")
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="manadsrapport-sodermalm-2026-10-v1.pdf"'
    assert answer.content == stored.read_bytes()  # as it was mailed
    # The file lost (a restore without the storage): the same numbers, printed again from the archive.
    stored.unlink()
    again = chef.get(f"{PAGE}/arkiv/{row.id}.pdf")
    assert again.status_code == 200 and "Mottagna underrättelser 5" in pdf_text(again.content)
    assert _audited(db, "chef")[1:] == [{"month": "2026-10", "format": "pdf", "via": "web", "version": 1}] * 2
    # The month before has no archive; the admin sees the city's version of October.
    assert "Ingen arkiverad version av september 2026" in chef.get(PAGE, params={"manad": "2026-09"}).text
    admin = browser_of("admin1", "admin")
    assert "Version 1 (senaste)" in admin.get(PAGE, params={"manad": "2026-10"}).text


@pytest.mark.parametrize(("month", "says"), [("oktober", "till exempel 2026-10"), ("2026-13", "till exempel 2026-10"),
                                             ("2026-12", "December 2026 har inte börjat än")])
def test_a_month_that_is_not_one_is_said_in_swedish(history, now, browser_of, month, says):
    chef = browser_of("chef", "manager", "sodermalm")
    for path in (PAGE, f"{PAGE}/manadsrapport.pdf"):
        answer = chef.get(path, params={"manad": month})
        assert answer.status_code == 422 and says in answer.text


def test_the_running_month_is_counted_up_to_now(history, now, browser_of):
    chef = browser_of("chef", "manager", "sodermalm")
    html = chef.get(PAGE, params={"manad": "2026-11"}).text
    assert "Månaden pågår: siffrorna gäller till och med 2026-11-02 kl. 08.00" in html
    assert "← oktober 2026" in html and "december 2026 →" not in html


def test_signing_in_from_the_mails_link_comes_back_to_the_report(history, now, app, make_user):
    make_user("chef", "manager", "sodermalm")
    browser = TestClient(app)
    answer = browser.get(f"{PAGE}?manad=2026-10", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/logga-in?next=/rapporter%3Fmanad%3D2026-10"
    signed_in = web_sign_in(browser, "chef", next="/rapporter?manad=2026-10")
    assert signed_in.headers["location"] == "/rapporter?manad=2026-10"

