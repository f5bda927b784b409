"""The administrators' pages (#13.6): one page per part with a sub-navigation, and the outbox in Swedish
where a failure a retry cannot fix is offered no retry."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from app.db import utcnow
from app.security.models import AuditEvent
from app.vocabulary_records import DELIVERY_FAILURES, DeliveryFailure
from notifications import outbox
from notifications.models import OutboxMessage
from tests.security.helpers import HTML, page_csrf, web_sign_in

PAGES = {"/admin": "Administration", "/admin/hyresvardar": "Hyresvärdar och nycklar",
         "/admin/anvandare": "Användare", "/admin/stadsdelar": "Stadsdelar", "/admin/utskick": "Utskick"}


@pytest.fixture
def admin(client, make_user):
    make_user("admin", "admin")
    assert web_sign_in(client, "admin").status_code == 303
    return client


def _visible(html: str) -> str:
    """The page's text as read, folded parts included: no tags and attributes."""
    return re.sub(r"<[^>]+>", " ", html)


def _message(db, *, channel="email", template="deadline_reminder", status="failed", attempts=8,
             last_error: str | None = "[unavailable] SMTPServerDisconnected: Connection unexpectedly closed") -> str:
    with db() as session:
        message_id = outbox.enqueue(session, channel=channel, template=template,
                                    dedup_key=f"admin-test:{uuid.uuid4()}", recipient="sara@stad.example")
        session.execute(update(OutboxMessage).where(OutboxMessage.id == message_id)
                        .values(status=status, attempts=attempts, last_error=last_error))
    return str(message_id)


@pytest.mark.parametrize("path", list(PAGES))
def test_each_admin_page_has_the_sub_navigation_and_marks_itself(admin, path):
    answer = admin.get(path, headers=HTML)
    assert answer.status_code == 200
    assert f"<h1>{PAGES[path]}</h1>" in answer.text
    nav = re.search(r'<nav class="views admin-nav" aria-label="Administration">(.*?)</nav>', answer.text, re.S)[1]
    assert [href for href in re.findall(r'href="([^"]+)"', nav)] == list(PAGES)
    assert re.findall(r'<a href="([^"]+)" aria-current="page">', nav) == [path]


def test_the_landlords_portal_users_pages_sit_under_landlords_in_the_navigation(admin, landlord):
    page = admin.get(f"/admin/hyresvardar/{landlord.org_number}/anvandare", headers=HTML).text
    assert '<a href="/admin/hyresvardar" aria-current="true">Hyresvärdar och nycklar</a>' in page
    listing = admin.get("/admin/hyresvardar", headers=HTML).text
    assert f'href="/admin/hyresvardar/{landlord.org_number}/anvandare"' in listing and "Bostadsbolaget AB" in listing


@pytest.mark.parametrize("path", list(PAGES))
def test_nobody_but_an_admin_finds_them(client, make_user, path):
    make_user("sara", "handler", "sodermalm")
    make_user("chef", "manager", "sodermalm")
    for username in ("sara", "chef"):
        client.cookies.clear()
        assert web_sign_in(client, username).status_code == 303
        assert client.get(path, headers=HTML).status_code == 404
    client.cookies.clear()
    answer = client.get(path, headers=HTML, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/logga-in")


def test_the_landing_page_is_short_and_says_what_needs_attention(admin, db, landlord):
    _message(db)
    _message(db, last_error="[no_recipient] no recipient address")
    page = admin.get("/admin", headers=HTML).text
    assert "2 utskick har misslyckats" in page and "1 kan skickas igen" in page
    assert "1 hyresvärd" in page and "1 aktiv API-nyckel" in page
    assert 'href="/admin/hyresvardar/anvandare"' in page and "<form" not in page.split("</header>")[1]


def test_a_permanent_failure_gets_no_retry_and_says_why_in_swedish(admin, db):
    permanent = _message(db, last_error="[no_recipient] no recipient address")
    retryable = _message(db)
    page = admin.get("/admin/utskick", headers=HTML).text
    assert f"/admin/utskick/{retryable}/forsok-igen" in page
    assert f"/admin/utskick/{permanent}/forsok-igen" not in page
    assert DELIVERY_FAILURES[DeliveryFailure.NO_RECIPIENT] in page and "Kan inte skickas igen." in page
    assert DELIVERY_FAILURES[DeliveryFailure.UNAVAILABLE] in page
    assert "Påminnelse om tidsfrist" in page and "E-post" in page  # the template and channel in Swedish
    # No English and no code where staff read: the channel's words stay in the operator's log, which the
    # page points to by the message's reference.
    visible = _visible(page)
    for raw in ("no recipient address", "SMTPServerDisconnected", "no_recipient", "deadline_reminder", "[unavailable]"):
        assert raw not in visible, raw
    assert f"referens <code>{retryable[:8]}</code>" in page
    assert "sara@stad.example" not in page  # no recipient is shown


def test_the_retry_of_a_permanent_failure_is_refused_in_swedish_and_changes_nothing(admin, db):
    permanent = _message(db, last_error="[case_gone] the case is gone (purged)")
    csrf = page_csrf(admin, "/admin/utskick")
    answer = admin.post(f"/admin/utskick/{permanent}/forsok-igen", data={"csrf_token": csrf}, headers=HTML,
                        follow_redirects=False)
    assert answer.status_code == 409
    assert "Utskicket kan inte skickas igen: Ärendet eller underrättelsen finns inte längre (gallrad)." in answer.text
    with db() as session:
        message = session.get(OutboxMessage, uuid.UUID(permanent))
        assert (message.status, message.attempts) == ("failed", 8)
        assert session.scalar(select(AuditEvent).where(AuditEvent.action == "admin.outbox.retry")) is None


def test_a_retryable_failure_goes_back_to_the_queue_with_a_banner(admin, db):
    retryable = _message(db, last_error="[pdf_unavailable] PdfUnavailable: PDF rendering is not available")
    legacy = _message(db, last_error="550 mailbox unavailable")  # stored before the kinds: retryable as before
    csrf = page_csrf(admin, "/admin/utskick")
    for message_id in (retryable, legacy):
        answer = admin.post(f"/admin/utskick/{message_id}/forsok-igen", data={"csrf_token": csrf}, headers=HTML,
                            follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == "/admin/utskick?klart=forsok-igen"
    assert "Utskicket är tillbaka i kön" in admin.get("/admin/utskick?klart=forsok-igen", headers=HTML).text
    with db() as session:
        assert {m.status for m in session.scalars(select(OutboxMessage))} == {"pending"}
        assert len(list(session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.outbox.retry")))) == 2


def test_a_message_waiting_for_its_next_attempt_is_listed_with_its_reason(admin, db):
    _message(db, status="pending", attempts=3, last_error="[no_handler] RetryLater: no responsible handler")
    page = admin.get("/admin/utskick", headers=HTML).text
    waiting = page.split("Väntar på ett nytt försök</h2>")[1]
    assert "Ingen handläggare är tilldelad ärendet ännu." in waiting and "Inget väntar" not in waiting


class _Refusing:
    def send(self, message):
        raise outbox.PermanentFailure("the mail server refused the recipient", DeliveryFailure.RECIPIENT_REFUSED)


class _Down:
    def send(self, message):
        raise ConnectionRefusedError("Connection refused")


def test_a_channels_permanent_failure_fails_at_once_and_is_shown_without_a_retry(admin, db, sessions):
    with db() as session:
        refused = outbox.enqueue(session, channel="email", template="deadline_reminder", dedup_key="refused",
                                 recipient="sara@stad.example")
        down = outbox.enqueue(session, channel="sms", template="deadline_reminder", dedup_key="down",
                              recipient="+46701234567")
    now = utcnow()
    result = outbox.dispatch(sessions, {"email": _Refusing(), "sms": _Down()}, now=lambda: now)
    assert (result.failed, result.retried) == (1, 1)
    with db() as session:
        message = session.get(OutboxMessage, refused)
        assert (message.status, message.attempts) == ("failed", 1)
        assert outbox.failure_of(message) is DeliveryFailure.RECIPIENT_REFUSED
        with pytest.raises(outbox.NotRetryable):
            outbox.retry_failed(session, refused)
        session.execute(update(OutboxMessage).where(OutboxMessage.id == down).values(max_attempts=2))
    outbox.dispatch(sessions, {"sms": _Down()}, now=lambda: now + timedelta(hours=1))
    with db() as session:
        assert outbox.failure_of(session.get(OutboxMessage, down)) is DeliveryFailure.UNAVAILABLE
    page = admin.get("/admin/utskick", headers=HTML).text
    assert f"/admin/utskick/{refused}/forsok-igen" not in page and f"/admin/utskick/{down}/forsok-igen" in page
    assert "Mottagarens e-postserver tar inte emot adressen." in page
    assert "+46701234567" not in page


def test_saving_a_districts_contact_details_returns_to_the_districts_with_a_banner(admin):
    csrf = page_csrf(admin, "/admin/stadsdelar")
    answer = admin.post("/admin/stadsdelar/sodermalm", headers=HTML, follow_redirects=False,
                        data={"phone": "08-508 12 000", "email": "", "address": "Box 4041", "csrf_token": csrf})
    assert answer.status_code == 303
    page = admin.get(answer.headers["location"], headers=HTML).text
    assert "Kontaktuppgifterna för Södermalm är sparade." in page and 'value="08-508 12 000"' in page


def test_revoking_a_key_returns_to_the_landlords_with_a_banner(admin, landlord):
    csrf = page_csrf(admin, "/admin/hyresvardar")
    answer = admin.post(f"/admin/nycklar/{landlord.prefix}/sparra", data={"csrf_token": csrf}, headers=HTML,
                        follow_redirects=False)
    assert answer.status_code == 303
    page = admin.get(answer.headers["location"], headers=HTML).text
    assert f"Nyckeln {landlord.prefix} är spärrad." in page and "Spärrad " in page


def test_landlord_mistakes_are_answered_in_swedish_on_the_page(admin, landlord):
    csrf = page_csrf(admin, "/admin/hyresvardar")
    taken = admin.post("/admin/hyresvardar", headers=HTML,
                       data={"name": "Kopia AB", "org_number": landlord.org_number, "csrf_token": csrf})
    assert taken.status_code == 422 and "Det finns redan en hyresvärd med organisationsnummer" in taken.text
    unknown = admin.post("/admin/nycklar", headers=HTML, data={"org_number": "556036-0793", "csrf_token": csrf})
    assert unknown.status_code == 422 and "Ingen hyresvärd har organisationsnummer 556036-0793" in unknown.text
    assert "exists already" not in taken.text and "no landlord" not in unknown.text
