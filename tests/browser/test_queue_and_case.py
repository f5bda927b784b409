"""Issue #13 in a real browser: 40 open cases in Södermalm at 1366×768, a phone at 390 px, 200 % zoom.

The app's clock is pinned to Friday 2026-11-20 10:14 in Stockholm, so "today" is a vardag: one case's
redemption period ends today (a firm date), ten cases have an estimated end that seems to have passed
a week ago (the service date is unknown), the rest run later.
"""

from __future__ import annotations

import copy
import uuid
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from app.cases.models import Case
from app.notices.schemas import EXAMPLE_NOTICE
from app.security import service as accounts
from tests.browser.conftest import ARTIFACTS, axe_violations, screenshot
from tests.conftest import TEST_PASSWORD
from tests.support.people import personnummer

NOW = datetime(2026, 11, 20, 9, 14, tzinfo=timezone.utc)
DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}


def _body(n: int, name: str, street: str, *, sent_on: str, served_on: str | None, children: int | None = None):
    body = copy.deepcopy(EXAMPLE_NOTICE)
    body.update(external_id=f"Q-{n:03d}", sent_on=sent_on, tenant_served_on=served_on, termination_on=sent_on,
                household=({"children_under_18": children, "residents_65_or_older": 0, "consent": True}
                           if children is not None else None))
    body["arrears"] = {"amount_sek": 4200 + n, "due_date": "2026-09-30", "monthly_rent_sek": 8450,
                       "payment_instructions": "Bankgiro 123-4567"}
    body["property"] = {"street_address": street, "postal_code": "118 46", "city": "Stockholm",
                        "apartment_number": f"{1000 + n}", "rooms": 2, "coordinates": None}
    body["tenants"] = [{"name": name, "personal_identity_number": personnummer(date(1970 + n % 30, 1 + n % 12, 1 + n % 28),
                                                                               f"{n + 1:03d}")}]
    return body


@pytest.fixture
def forty_cases(app, client, landlord, db):
    app.state.clock = lambda: NOW
    with db() as session:
        accounts.create_user(session, username="sara", role="handler", password=TEST_PASSWORD,
                             district_code="sodermalm", full_name="Sara Lind")
        accounts.create_user(session, username="chef", role="manager", password=TEST_PASSWORD,
                             district_code="sodermalm", full_name="Maria Berg")
    token = client.post("/api/v1/auth/token", data={"username": "sara", "password": TEST_PASSWORD}).json()
    staff = {"Authorization": f"Bearer {token['access_token']}"}
    bodies = []
    for n in range(10):  # estimated end 2026-11-13: a week ago, if the tenant was served at once
        bodies.append(_body(n, f"Esti Matsson {n}", f"Ringvägen {n + 1}", sent_on="2026-10-23", served_on=None))
    for n in range(10, 39):  # firm ends from 2026-11-23 on
        served = date(2026, 11, 2 + (n - 10) % 17).isoformat()
        bodies.append(_body(n, f"Fast Person {n}", f"Folkungagatan {n}", sent_on=served, served_on=served,
                            children=2 if n % 9 == 0 else None))
    bodies.append(_body(39, "Dagmar Idag", "Hornsgatan 99", sent_on="2026-10-30", served_on="2026-10-30"))
    for body in bodies:
        answer = client.post("/api/v1/notices", headers=landlord.headers, json=body)
        assert answer.status_code == 201, answer.text
    # Five of the estimates have had their first contact: only the estimate is left to sort them by.
    items = client.get("/api/v1/queue", headers=staff, params={"limit": 100}).json()["items"]
    assert len(items) == 40
    for item in [i for i in items if i["tenants"][0].startswith("Esti Matsson")][:5]:
        answer = client.post(f"/api/v1/cases/{item['case_id']}/contacts", headers=staff,
                             json={"channel": "phone", "reached": True})
        assert answer.status_code == 201
    return staff


@pytest.fixture
def desktop(browser):
    context = browser.new_context(viewport=DESKTOP, locale="sv-SE")
    yield context.new_page()
    context.close()


def sign_in(page, base: str, username: str = "sara") -> None:
    page.goto(f"{base}/ko")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base}/ko")


def _row_of(page, name: str):
    return page.locator("table.queue tbody tr", has_text=name)


def test_the_case_due_today_comes_before_every_passed_estimate_with_its_tenant_and_address(
        forty_cases, live_server, desktop):
    page = desktop
    sign_in(page, live_server)
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 40
    texts = [rows.nth(i).inner_text() for i in range(40)]
    today_at = next(i for i, t in enumerate(texts) if "Dagmar Idag" in t)
    estimates = [i for i, t in enumerate(texts) if "Esti Matsson" in t]
    assert len(estimates) == 10 and today_at < min(estimates)
    dagmar = texts[today_at]
    assert "Hornsgatan 99, 118 46 Stockholm" in dagmar and "I dag" in dagmar and "Återvinningsfristen" in dagmar
    badge = _row_of(page, "Dagmar Idag").locator(".due").first
    assert badge.inner_text().strip().endswith("I dag") and "due-today" in badge.get_attribute("class")
    # The estimates say what they are.
    only_estimate = [t for t in texts if "Esti Matsson" in t and "Preliminärt ca 13 nov" in t]
    assert len(only_estimate) == 5 and all("kan ha passerat" in t for t in only_estimate)
    # Compact: at least twelve rows fit in the window without scrolling.
    visible = page.evaluate("""() => [...document.querySelectorAll('table.queue tbody tr')]
        .filter(r => r.getBoundingClientRect().bottom <= window.innerHeight).length""")
    assert visible >= 12, visible
    screenshot(page, "queue-40-cases-1366")
    page.screenshot(path=str(ARTIFACTS / "queue-40-cases-1366x768-window.png"))  # what fits, unscrolled


def test_search_finds_a_case_by_name_and_by_address(forty_cases, live_server, desktop):
    page = desktop
    sign_in(page, live_server)
    search = page.get_by_label("Sök på namn, adress, ärendenummer eller personnummer")
    search.fill("dagmar")
    search.press("Enter")
    page.wait_for_url("**/ko?q=dagmar")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 1 and "Dagmar Idag" in rows.first.inner_text()
    screenshot(page, "queue-search-name")
    search = page.get_by_label("Sök på namn, adress, ärendenummer eller personnummer")
    search.fill("Hornsgatan 99")
    search.press("Enter")
    page.wait_for_url("**/ko?q=Hornsgatan+99")
    rows = page.locator("table.queue tbody tr")
    assert rows.count() == 1 and "Hornsgatan 99, 118 46 Stockholm" in rows.first.inner_text()
    search = page.get_by_label("Sök på namn, adress, ärendenummer eller personnummer")
    search.fill("Ringvägen")
    search.press("Enter")
    assert page.locator("table.queue tbody tr").count() == 10


def test_take_the_case_from_the_queue(forty_cases, live_server, desktop, db):
    page = desktop
    sign_in(page, live_server)
    number = _row_of(page, "Dagmar Idag").get_by_role("link").inner_text()
    _row_of(page, "Dagmar Idag").get_by_role("button", name=f"Ta ärende {number}").click()
    page.wait_for_url("**/ko?ok=tagit*")
    assert f"Du har tagit ärende {number}." in page.get_by_role("status").inner_text()
    assert "Sara Lind" in _row_of(page, "Dagmar Idag").inner_text()
    page.get_by_role("link", name="Mina").click()
    assert page.locator("table.queue tbody tr").count() == 1
    with db() as session:
        assert session.scalar(select(Case).where(Case.number == number)).assigned_to.username == "sara"


def test_closing_needs_a_chosen_outcome_and_a_confirmation_and_reopening_works(forty_cases, live_server, desktop,
                                                                                db):
    page = desktop
    sign_in(page, live_server)
    _row_of(page, "Dagmar Idag").get_by_role("link").click()
    page.wait_for_url(f"{live_server}/arenden/*")
    case_url = page.url
    case_id = uuid.UUID(case_url.rsplit("/", 1)[1])
    # The person first: name, address, debt, landlord's contact above the deadlines.
    summary = page.locator("section.summary").inner_text()
    for expected in ("Dagmar Idag", "Hornsgatan 99, 118 46 Stockholm", "4 239 kr", "8 450 kr", "Kim Lind", "I dag"):
        assert expected in summary, expected
    screenshot(page, "case-1366")

    page.locator("summary", has_text="Avsluta ärendet").click()
    assert page.get_by_label("Utfall").input_value() == ""  # nothing chosen beforehand
    page.get_by_role("button", name="Avsluta ärendet").click()
    assert page.url == case_url  # the browser asks for an outcome first
    assert page.evaluate("document.querySelector('#outcome').validity.valueMissing")
    page.get_by_label("Utfall").select_option("rent_paid")
    page.get_by_label("Anteckning om avslutet").fill("Hyresvärden bekräftar betalningen.")
    page.get_by_role("button", name="Avsluta ärendet").click()
    page.wait_for_url(f"{case_url}/avsluta")
    what = page.get_by_role("region", name="Det här händer när du avslutar ärendet").inner_text()
    assert "Återvinningsfristen – 20 november 2026" in what and "Första kontakt" in what
    assert "Hyresvärdens kvitto ändras inte" in what
    assert axe_violations(page) == []
    screenshot(page, "case-close-confirm")
    with db() as session:
        assert session.get(Case, case_id).status == "open"
    page.get_by_role("button", name="Bekräfta: avsluta ärendet").click()
    page.wait_for_url(f"{case_url}?ok=avslutat")
    assert "Ärendet avslutat: hyran betald. 2 tidsfrister avbröts." in page.get_by_role("status").inner_text()
    with db() as session:
        assert session.get(Case, case_id).status == "closed"

    page.locator("summary", has_text="Öppna ärendet igen").click()
    page.get_by_label("Varför öppnas ärendet igen?").fill("Betalningen kom aldrig fram.")
    page.get_by_role("button", name="Öppna ärendet igen").click()
    page.wait_for_url(f"{case_url}?ok=oppnat")
    assert "Ärendet öppnat igen" in page.get_by_role("status").inner_text()
    assert "Betalningen kom aldrig fram." in page.locator("ol.timeline").inner_text()
    with db() as session:
        assert session.get(Case, case_id).status == "open"
    screenshot(page, "case-reopened")


def _no_sideways_scroll(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def _axe_clean(page) -> None:
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1366", "390"])
def test_no_serious_accessibility_violation_on_the_queue_and_the_case(forty_cases, live_server, browser, size):
    context = browser.new_context(viewport=size, locale="sv-SE")
    page = context.new_page()
    try:
        sign_in(page, live_server, "chef")  # a manager's queue has the most on it (bulk assignment)
        _axe_clean(page)
        _no_sideways_scroll(page)
        if size is PHONE:  # the filters fold on a phone
            assert not page.get_by_label("Status").is_visible()
            page.locator("summary", has_text="Fler filter").click()
            assert page.get_by_label("Status").is_visible()
            _no_sideways_scroll(page)
        screenshot(page, f"queue-{size['width']}")
        _row_of(page, "Dagmar Idag").get_by_role("link").click()
        page.wait_for_url(f"{live_server}/arenden/*")
        _axe_clean(page)
        _no_sideways_scroll(page)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        _axe_clean(page)  # the folded forms too
        screenshot(page, f"case-{size['width']}")
    finally:
        context.close()


def test_at_200_percent_zoom_the_queue_and_case_reflow(forty_cases, live_server, browser):
    # 200 % zoom of a 1366×768 window is a 683×384 CSS-pixel viewport at twice the pixel density.
    context = browser.new_context(viewport={"width": 683, "height": 384}, device_scale_factor=2, locale="sv-SE")
    page = context.new_page()
    try:
        sign_in(page, live_server)
        _no_sideways_scroll(page)
        assert _row_of(page, "Dagmar Idag").is_visible()
        screenshot(page, "queue-zoom-200")
        _row_of(page, "Dagmar Idag").get_by_role("link").click()
        page.wait_for_url(f"{live_server}/arenden/*")
        _no_sideways_scroll(page)
        screenshot(page, "case-zoom-200")
    finally:
        context.close()


def test_the_queue_by_keyboard_only(forty_cases, live_server, desktop, db):
    page = desktop
    sign_in(page, live_server)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    page.keyboard.press("Enter")
    for _ in range(10):  # the search box comes right after the heading
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "q":
            break
    page.keyboard.type("Dagmar")
    page.keyboard.press("Enter")
    page.wait_for_url("**/ko?q=Dagmar")
    for _ in range(40):
        page.keyboard.press("Tab")
        if (page.evaluate("document.activeElement.textContent") or "").strip() == "Ta ärendet":
            break
    page.keyboard.press("Enter")
    page.wait_for_url("**ok=tagit*")
    with db() as session:
        assert session.scalar(select(Case).join(Case.assigned_to)).assigned_to.username == "sara"
