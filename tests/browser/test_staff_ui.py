"""A handler's day in a real browser: sign in, queue, the most urgent case, contact, commitment, close."""

from __future__ import annotations

import copy
import uuid
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from app.calendar import local_today
from app.cases.models import Case, TimelineEvent
from app.notices.schemas import EXAMPLE_NOTICE
from app.security.models import AuditEvent
from tests.browser.conftest import axe_violations, screenshot
from tests.conftest import TEST_PASSWORD
from tests.support.people import personnummer


def _notice(external_id: str, *, household=None, pin=None, days_ago: int = 2) -> dict:
    today = local_today()
    body = copy.deepcopy(EXAMPLE_NOTICE)
    body.update(external_id=external_id, sent_on=(today - timedelta(days=days_ago)).isoformat(),
                tenant_served_on=(today - timedelta(days=days_ago)).isoformat(),
                termination_on=(today - timedelta(days=days_ago + 1)).isoformat(), household=household)
    body["arrears"]["due_date"] = (today - timedelta(days=30)).isoformat()
    body["tenants"] = [{"name": "Anna Andersson", "personal_identity_number": pin or personnummer(date(1985, 4, 12))}]
    body["property"]["coordinates"] = None
    return body


@pytest.fixture
def district_with_cases(client, landlord, make_user):
    make_user("sara", "handler", "sodermalm", email="sara@stad.example")
    for external_id, household in (("B-1", None),
                                   ("B-2", {"children_under_18": 2, "residents_65_or_older": 0, "consent": True})):
        answer = client.post("/api/v1/notices", headers=landlord.headers,
                             json=_notice(external_id, household=household,
                                          pin=personnummer(date(1985, 4, 12), "12" + external_id[-1])))
        assert answer.status_code == 201, answer.text


def sign_in(page, base: str, username: str = "sara") -> None:
    page.goto(f"{base}/ko")
    assert "/logga-in" in page.url
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base}/ko")


def test_a_handler_works_the_most_urgent_case_to_a_closed_outcome(district_with_cases, live_server, page, db):
    sign_in(page, live_server)
    rows = page.locator("table tbody tr")
    assert rows.count() == 2
    first = rows.nth(0)
    assert "Hög" in first.inner_text() and "Barn i hushållet" in first.inner_text()  # most urgent first
    screenshot(page, "queue")
    first.get_by_role("link").click()
    page.wait_for_url(f"{live_server}/arenden/*")
    case_url = page.url
    screenshot(page, "case")

    page.locator("summary", has_text="Registrera kontaktförsök").click()  # the forms start closed
    page.get_by_label("Kontaktsätt").select_option("phone")
    page.get_by_label("Ja").check()
    page.get_by_label("Anteckning", exact=True).first.fill("Pratade med hyresgästen.")
    page.get_by_role("button", name="Spara kontaktförsök").click()
    page.wait_for_url(f"{case_url}?ok=kontakt")
    assert "Telefon – nådde hushållet" in page.content()

    page.locator("summary", has_text="Nämndens betalningsåtagande").click()
    page.get_by_label("Belopp (kr)").fill("16 900,00")
    page.get_by_label("Täcker hyran till och med").fill((local_today() + timedelta(days=30)).isoformat())
    page.get_by_role("button", name="Registrera åtagande").click()
    page.wait_for_url(f"{case_url}?ok=atagande")
    assert "inom återvinningsfristen" in page.content()
    letter = page.get_by_role("link", name="Brev till hyresvärden (PDF)").get_attribute("href")
    pdf = page.request.get(f"{live_server}{letter}")
    assert pdf.status == 200 and pdf.body().startswith(b"%PDF-")

    page.locator("summary", has_text="Avsluta ärendet").click()
    page.get_by_label("Utfall").select_option("payment_commitment")
    page.get_by_role("button", name="Avsluta ärendet").click()
    page.get_by_role("button", name="Bekräfta: avsluta ärendet").click()  # closing asks for a confirmation
    page.wait_for_url(f"{case_url}?ok=avslutat")
    assert "Nämndens betalningsåtagande" in page.content()

    case_id = case_url.rsplit("/", 1)[1]
    with db() as session:
        case = session.get(Case, uuid.UUID(case_id))
        assert case.status == "closed" and case.outcome == "payment_commitment"
        types = [e.type for e in session.scalars(select(TimelineEvent).where(TimelineEvent.case_id == case.id))]
        assert {"contact_attempt", "payment_commitment", "deadline_met", "case_closed"} <= set(types)
        actions = {a.action for a in session.scalars(select(AuditEvent).where(AuditEvent.object_id == case_id))}
        assert {"case.view", "case.contact", "case.payment_commitment", "case.close", "case.commitment_letter"} <= actions


def _tab_to(page, selector: str, limit: int = 120) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            return
    raise AssertionError(f"could not reach {selector} with the keyboard")


def test_the_same_work_by_keyboard_only(district_with_cases, live_server, page, db):
    page.goto(f"{live_server}/logga-in")
    _tab_to(page, "#username")
    page.keyboard.type("sara")
    page.keyboard.press("Tab")
    page.keyboard.type(TEST_PASSWORD)
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/ko")
    # The skip link is the first stop and leads to the content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Hoppa till innehållet"
    _tab_to(page, "table tbody tr:first-child a")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{live_server}/arenden/*")
    case_url = page.url
    _tab_to(page, "#kontakt-form > summary")
    page.keyboard.press("Enter")  # the form starts closed
    _tab_to(page, "#channel")
    page.keyboard.press("ArrowDown")  # no channel is chosen beforehand: Brev,
    page.keyboard.press("ArrowDown")  # Telefon
    page.keyboard.press("Tab")  # the radio group "Nådde ni hushållet?", nothing chosen beforehand
    page.keyboard.press("Space")  # Ja
    _tab_to(page, "#contact-note")
    page.keyboard.type("Hembesök bokat.")
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{case_url}?ok=kontakt")
    _tab_to(page, "#atagande-form > summary")
    page.keyboard.press("Enter")
    _tab_to(page, "#amount")
    page.keyboard.type("8450")
    page.keyboard.press("Tab")
    covers = local_today() + timedelta(days=20)
    # Headless Chromium orders a date field's parts en-US style here (mm/dd/yyyy), whatever the page's language.
    page.keyboard.type(covers.strftime("%m%d%Y"))
    _tab_to(page, "form[action$='betalningsatagande'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{case_url}?ok=atagande")
    _tab_to(page, "#avsluta-form > summary")
    page.keyboard.press("Enter")
    _tab_to(page, "#outcome")
    page.keyboard.press("ArrowDown")  # no outcome is chosen beforehand: the first one
    _tab_to(page, "form[action$='avsluta'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{case_url}/avsluta")  # what closing does, to confirm
    _tab_to(page, "form[action$='avsluta'] button")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{case_url}?ok=avslutat")
    case_id = case_url.rsplit("/", 1)[1]
    with db() as session:
        case = session.get(Case, uuid.UUID(case_id))
        assert case.status == "closed"
        assert [c.reached for c in case.contacts] == [True]
        assert len(case.commitments) == 1 and str(case.commitments[0].amount_sek) == "8450.00"


PAGES = [
    ("handler", "sodermalm", None, ["/ko", "CASE"]),
    ("manager", "sodermalm", None, ["/oversikt", "/granskning"]),
    ("joint_assessor", "sodermalm", "children_families", ["/gemensam-bedomning"]),
    ("intake", None, None, ["/manuell-fordelning"]),
    ("admin", None, None, ["/admin", "/admin/anvandare", "/granskning"]),
]


@pytest.mark.parametrize(("role", "district", "unit", "paths"), PAGES, ids=[p[0] for p in PAGES])
def test_every_page_has_no_serious_accessibility_violation(district_with_cases, live_server, page, make_user,
                                                          role, district, unit, paths):
    page.goto(f"{live_server}/logga-in")
    assert axe_violations(page) == []
    screenshot(page, "login")
    make_user(f"u-{role}", role, district, unit)
    sign_in_as = f"u-{role}"
    page.get_by_label("Användarnamn").fill(sign_in_as)
    page.get_by_label("Lösenord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_load_state()
    for path in paths:
        if path == "CASE":
            page.goto(f"{live_server}/ko")
            page.locator("table tbody tr:first-child a").click()
            page.wait_for_url(f"{live_server}/arenden/*")
        else:
            page.goto(f"{live_server}{path}")
        assert page.locator("html").get_attribute("lang") == "sv"
        violations = axe_violations(page)
        assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
        screenshot(page, f"{role}{path.replace('/', '-')}")


def test_a_handler_of_another_district_gets_not_found(district_with_cases, live_server, page, make_user, db):
    make_user("leila", "handler", "jarva")
    with db() as session:
        case_id = session.scalar(select(Case.id))
    sign_in(page, live_server, "sara")  # sanity: Södermalm sees it
    page.goto(f"{live_server}/arenden/{case_id}")
    assert "Ärende" in page.locator("h1").inner_text()
    page.context.clear_cookies()
    page.goto(f"{live_server}/logga-in")
    page.get_by_label("Användarnamn").fill("leila")
    page.get_by_label("Lösenord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{live_server}/ko")
    answer = page.goto(f"{live_server}/arenden/{case_id}")
    assert answer.status == 404
    assert "Sidan finns inte" in page.locator("h1").inner_text()
