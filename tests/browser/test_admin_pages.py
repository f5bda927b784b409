"""The administrators' pages and the audit log in a real browser (#13.4, #13.6), at 1366 and 390 px.

Each page: no serious or critical axe-core violation, nothing wider than the window,
a screenshot in test-artifacts/. The outbox offers a retry only where one can help.
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, update

from app.cases.models import Case
from app.notices.schemas import EXAMPLE_NOTICE
from app.security import service as accounts
from notifications import outbox
from notifications.models import OutboxMessage
from tests.browser.conftest import axe_violations, screenshot
from tests.conftest import TEST_PASSWORD

DESKTOP = {"width": 1366, "height": 768}
PHONE = {"width": 390, "height": 844}
SIZES = [DESKTOP, PHONE]
ADMIN_PAGES = ["/admin", "/admin/hyresvardar", "/admin/anvandare", "/admin/stadsdelar", "/admin/utskick",
               "/admin/hyresvardar/anvandare", "/granskning"]


@pytest.fixture
def office(client, landlord, db):
    """An admin, a manager and a handler (with names); a case the handler opened; two failed messages."""
    with db() as session:
        accounts.create_user(session, username="admin", role="admin", password=TEST_PASSWORD, full_name="Ida Admin")
        accounts.create_user(session, username="chef", role="manager", password=TEST_PASSWORD,
                             district_code="sodermalm", full_name="Maria Berg")
        accounts.create_user(session, username="sara", role="handler", password=TEST_PASSWORD,
                             district_code="sodermalm", full_name="Sara Lind")
    assert client.post("/api/v1/notices", headers=landlord.headers, json=EXAMPLE_NOTICE).status_code == 201
    token = client.post("/api/v1/auth/token", data={"username": "sara", "password": TEST_PASSWORD}).json()
    with db() as session:
        case = session.scalar(select(Case))
    assert client.get(f"/api/v1/cases/{case.id}",
                      headers={"Authorization": f"Bearer {token['access_token']}"}).status_code == 200
    failed = {}
    for name, error in (("permanent", "[recipient_refused] the mail server refused the recipient"),
                        ("retryable", "[unavailable] SMTPServerDisconnected: Connection unexpectedly closed")):
        with db() as session:
            message_id = outbox.enqueue(session, channel="email", template="deadline_escalation",
                                        dedup_key=f"browser:{name}", recipient="chef@stad.example", case_id=case.id)
            session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                            .values(status="failed", attempts=8 if name == "retryable" else 1, last_error=error))
        failed[name] = str(message_id)
    return {"case": case, "failed": failed}


def _sign_in(page, base: str, username: str, lands_on: str) -> None:
    page.goto(f"{base}/logga-in")
    page.get_by_label("Användarnamn").fill(username)
    page.get_by_label("Lösenord").fill(TEST_PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base}{lands_on}")


def _check(page, name: str) -> None:
    assert page.locator("html").get_attribute("lang") == "sv"
    violations = axe_violations(page)
    assert violations == [], [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in violations]
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], (name, width)
    screenshot(page, name)


@pytest.mark.parametrize("size", SIZES, ids=["1366", "390"])
def test_every_admin_page_and_the_audit_log_pass_axe_at_both_widths(office, live_server, browser, size):
    context = browser.new_context(viewport=size, locale="sv-SE")
    page = context.new_page()
    try:
        _sign_in(page, live_server, "admin", "/admin")
        for path in ADMIN_PAGES:
            page.goto(f"{live_server}{path}")
            _check(page, f"admin{path.replace('/', '-')}-{size['width']}")
        page.context.clear_cookies()
        _sign_in(page, live_server, "chef", "/ko")
        page.goto(f"{live_server}/granskning")
        _check(page, f"manager-granskning-{size['width']}")
    finally:
        context.close()


def test_the_admin_moves_between_the_pages_and_retries_only_what_a_retry_can_fix(office, live_server, browser, db):
    context = browser.new_context(viewport=DESKTOP, locale="sv-SE")
    page = context.new_page()
    try:
        _sign_in(page, live_server, "admin", "/admin")
        assert "2 utskick har misslyckats" in page.locator("main").inner_text()
        page.get_by_role("navigation", name="Administration").get_by_role("link", name="Utskick").click()
        page.wait_for_url(f"{live_server}/admin/utskick")
        current = page.get_by_role("navigation", name="Administration").locator('[aria-current="page"]')
        assert current.inner_text() == "Utskick"
        rows = page.locator("table.outbox").first.locator("tbody tr")
        refused = rows.filter(has_text="tar inte emot adressen")
        down = rows.filter(has_text="svarade inte")
        assert refused.get_by_role("button").count() == 0 and "Kan inte skickas igen." in refused.inner_text()
        assert "ärende" in refused.inner_text() and "Eskalering av tidsfrist" in refused.inner_text()
        assert not refused.locator("details code").is_visible()  # the technical detail starts folded
        refused.locator("summary", has_text="Teknisk uppgift").click()
        assert refused.locator("details code").is_visible()
        down.get_by_role("button", name="Försök igen").focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{live_server}/admin/utskick?klart=forsok-igen")
        assert "Utskicket är tillbaka i kön" in page.locator("[role=status]").inner_text()
        with db() as session:
            states = {str(m.id): m.status for m in session.scalars(
                select(OutboxMessage).where(OutboxMessage.dedup_key.like("browser:%")))}
        assert states == {office["failed"]["permanent"]: "failed", office["failed"]["retryable"]: "pending"}
        # Districts: saved by keyboard, the banner names the district.
        page.goto(f"{live_server}/admin/stadsdelar")
        page.get_by_label("Telefon").first.fill("08-508 00 000")
        page.get_by_role("button", name="Spara kontaktuppgifter för").first.focus()
        page.keyboard.press("Enter")
        page.wait_for_load_state()
        assert "är sparade" in page.locator("[role=status]").inner_text()
    finally:
        context.close()


def test_the_manager_follows_the_audit_log_to_the_case(office, live_server, browser):
    context = browser.new_context(viewport=PHONE, locale="sv-SE")
    page = context.new_page()
    try:
        _sign_in(page, live_server, "chef", "/ko")
        page.goto(f"{live_server}/granskning")
        row = page.locator("table.audit tbody tr").filter(has_text="Öppnade ärendet").first
        assert "Sara Lind" in row.inner_text() and " kl. " in row.inner_text()
        row.get_by_role("link", name=office["case"].number).click()
        page.wait_for_url(f"{live_server}/arenden/{office['case'].id}")
        assert uuid.UUID(page.url.rsplit("/", 1)[1]) == office["case"].id
    finally:
        context.close()
