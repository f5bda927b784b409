"""The landlord portal in a real browser: a small landlord's day without any integration.

Sign in, send one notice by form and see its deadlines as the dates are typed, report
"hyran betald", upload a CSV file, confirm without fixing the bad row and see each
row's answer, and fail to open another landlord's notice — under the pages' content
security policy, with axe-core finding nothing serious at 1366 and 390 px.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from app.calendar import local_today
from app.deadlines import rules
from app.security import landlord_users
from app.security.actors import SYSTEM
from tests.browser.conftest import axe_violations, screenshot, watch_content_security
from tests.conftest import TEST_PASSWORD
from tests.notices.conftest import notice_body
from tests.notices.test_csv_batch import csv_file, row
from tests.portal.conftest import make_portal_user  # noqa: F401 - the fixture

WIDTHS = (1366, 390)
EMAIL = "hyror@bostadsbolaget.example"


def _accessible(page, name: str) -> None:
    """No serious or critical axe-core violation at either width; a screenshot of each."""
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        assert page.locator("html").get_attribute("lang") == "sv"
        violations = axe_violations(page)
        assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        screenshot(page, f"portal-{name}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": 900})


@pytest.fixture
def csp_watch(page):
    return watch_content_security(page)


def _sign_in(page, base: str) -> None:
    page.goto(f"{base}/hyresvard")
    assert "/hyresvard/logga-in" in page.url
    _accessible(page, "login")
    page.get_by_label("E-postadress").fill(EMAIL)
    page.get_by_label("Lösenord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base}/hyresvard/underrattelser")


def test_a_landlord_sends_reports_uploads_and_stays_within_its_own(live_server, page, make_portal_user, make_landlord,
                                                                    client, csp_watch, tmp_path):
    account = make_portal_user(EMAIL)
    base = live_server
    today = local_today()
    _sign_in(page, base)
    _accessible(page, "my-notices-empty")

    # --- Ny underrättelse: the deadlines appear as the dates are entered
    page.get_by_role("link", name="Ny underrättelse").first.click()
    page.wait_for_url(f"{base}/hyresvard/ny")
    _accessible(page, "new-notice")
    sent, served = today - timedelta(days=3), today - timedelta(days=1)  # served later: the period runs from it
    expected = [d.due_on.isoformat() for d in rules.statutory_deadlines("rent_arrears", sent, served)]
    page.get_by_label("Er referens").fill("PORTAL-1")
    page.get_by_label("Typ av underrättelse").select_option("rent_arrears")
    page.get_by_label("Dag då ni skickade underrättelsen till socialnämnden").fill(sent.isoformat())
    page.get_by_label("Dag då hyresgästen delgavs uppsägningen").fill(served.isoformat())
    deadlines = page.locator("#frister")
    deadlines.locator("time").first.wait_for()
    page.wait_for_function("(day) => { const text = document.querySelector('#frister').innerText; "
                           "return text.indexOf(day) >= 0 && text.indexOf('Preliminärt') < 0; }", arg=expected[0])
    assert [t.get_attribute("datetime") for t in deadlines.locator("time").all()] == expected
    assert "Preliminärt" not in deadlines.inner_text()
    assert page.url == f"{base}/hyresvard/ny"  # htmx filled it in; nothing was sent

    # Sent half-filled first: the Swedish messages sit beside their fields, and the page stays accessible.
    page.get_by_role("button", name="Skicka underrättelsen").click()
    page.wait_for_load_state()
    summary = page.locator("#fel")
    assert "Rätta följande" in summary.inner_text() and "Gatuadress" in summary.inner_text()
    assert page.locator("#f-property-street_address-error").inner_text().endswith("Fyll i uppgiften.")
    _accessible(page, "new-notice-errors")

    page.get_by_label("Dag för uppsägningen").fill((today - timedelta(days=4)).isoformat())
    page.get_by_label("Gatuadress").fill("Götgatan 30")
    page.get_by_label("Postnummer").fill("118 46")
    page.get_by_label("Postort").fill("Stockholm")
    page.locator("#f-tenants-0-name").fill("Anna Andersson")
    page.get_by_label("Hyresskuld (kr)").fill("16 900,00")
    page.get_by_label("Förfallodag").fill((today - timedelta(days=30)).isoformat())
    page.get_by_label("Betalningsanvisning").fill("Bankgiro 123-4567, ange OCR 998877")
    page.locator("#f-contact-name").fill("Kim Lind")
    page.locator("#f-contact-phone").fill("08-123 456 00")
    page.get_by_role("button", name="Skicka underrättelsen").click()
    page.wait_for_url(re.compile(r".*/hyresvard/underrattelser/[0-9a-f-]{36}\?skickad=1"))
    assert "Underrättelsen är mottagen" in page.content()
    table = page.locator("#tidsfrister + .table-wrap table").inner_text()
    assert all(day in table for day in expected)
    _accessible(page, "receipt")
    pdf = page.request.get(base + page.get_by_role("link", name="Ladda ner kvittot (PDF)").get_attribute("href"),
                           max_redirects=0)
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF-")

    # --- Hyran betald, with a date
    page.get_by_label("Datum då det hände").fill(today.isoformat())
    page.get_by_role("button", name="Hyran betald").click()
    page.wait_for_url(re.compile(r".*\?handelse=ny#handelser"))
    assert "Händelsen är registrerad." in page.content()
    assert "Avslutad av hyresvärden" in page.locator("dl.facts").inner_text()
    assert f"{today.isoformat()} – Hyran betald" in page.locator("ul.events").inner_text()
    _accessible(page, "event-reported")

    # --- Ladda upp fil: checked before anything is stored, confirmed without fixing the bad row
    file = tmp_path / "underrattelser.csv"
    dates = {"sent_on": today.isoformat(), "tenant_served_on": today.isoformat(),
             "termination_on": (today - timedelta(days=1)).isoformat(),
             "arrears.due_date": (today - timedelta(days=20)).isoformat()}
    file.write_bytes(csv_file([row(external_id="FIL-1", **{k.replace(".", "__"): v for k, v in dates.items()}),
                               row(external_id="FIL-2", **{k.replace(".", "__"): v for k, v in dates.items()},
                                   tenants__0__personal_identity_number="19850412-1231"),
                               row(external_id="FIL-3", property__apartment_number="1103",
                                   **{k.replace(".", "__"): v for k, v in dates.items()})]))
    page.get_by_role("link", name="Ladda upp fil").first.click()
    page.wait_for_url(f"{base}/hyresvard/ladda-upp")
    _accessible(page, "upload")
    page.get_by_label("Fil att ladda upp").set_input_files(str(file))
    page.get_by_role("button", name="Kontrollera filen").click()
    page.wait_for_load_state()
    rows = page.locator("table tbody tr")
    assert rows.count() == 3
    assert "Kan tas emot" in rows.nth(0).inner_text() and "Kontrollsiffran stämmer inte" in rows.nth(1).inner_text()
    _accessible(page, "upload-preview")
    assert len(client.get("/api/v1/notices", headers=account.key_headers).json()["items"]) == 1  # nothing yet
    page.get_by_role("button", name="Skicka 2 underrättelser").click()
    page.wait_for_load_state()
    results = page.locator("table tbody tr")
    assert [results.nth(i).locator("th").inner_text() for i in range(3)] == ["1", "2", "3"]
    assert "Mottagen" in results.nth(0).inner_text() and "Visa kvitto" in results.nth(0).inner_text()
    assert "Rätta" in results.nth(1).inner_text()
    assert "Mottagen" in results.nth(2).inner_text() and "Återvinningsfristen" in results.nth(2).inner_text()
    _accessible(page, "upload-results")
    stored = sorted(n["external_id"] for n in client.get("/api/v1/notices", headers=account.key_headers)
                    .json()["items"])
    assert stored == ["FIL-1", "FIL-3", "PORTAL-1"]
    results.nth(0).get_by_role("link").click()
    page.wait_for_url(re.compile(r".*/hyresvard/underrattelser/[0-9a-f-]{36}$"))
    assert "FIL-1" in page.locator("h1").inner_text()

    page.get_by_role("link", name="Mina underrättelser").first.click()
    assert page.locator("table tbody tr").count() == 3
    _accessible(page, "my-notices")

    # --- Another landlord's notice: not found, as for the key
    other = make_landlord("Annan AB")
    foreign = client.post("/api/v1/notices", json=notice_body(external_id="ANNAN-1"), headers=other.headers)
    answer = page.goto(f"{base}/hyresvard/underrattelser/{foreign.json()['id']}")
    assert answer.status == 404
    assert "Sidan finns inte" in page.locator("h1").inner_text() and "ANNAN-1" not in page.content()
    _accessible(page, "not-found")

    # --- And no staff page
    page.goto(f"{base}/ko")
    assert page.url.startswith(f"{base}/logga-in")
    assert csp_watch == []


def test_the_sign_in_link_page_is_accessible(live_server, page, make_landlord, db, settings, csp_watch):
    landlord = make_landlord()
    with db() as session:
        created = landlord_users.create(session, settings, SYSTEM, org_number=landlord.org_number, email=EMAIL)
    page.goto(live_server + created.link.removeprefix(settings.public_base_url))
    assert "Välj ditt lösenord" in page.locator("h1").inner_text()
    _accessible(page, "choose-password")
    page.get_by_label("Nytt lösenord").fill(TEST_PASSWORD)
    page.get_by_label("Samma lösenord igen").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Spara lösenordet och logga in").click()
    page.wait_for_url(f"{live_server}/hyresvard/underrattelser")
    assert csp_watch == []
