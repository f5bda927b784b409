"""The pages' own rules without a browser: sign-in, CSRF, scope, admin forms."""

from __future__ import annotations

import re

from sqlalchemy import select

from app.routing.models import District
from app.security.models import AuditEvent
from tests.conftest import TEST_PASSWORD

HTML = {"Accept": "text/html"}


def _sign_in(client, username: str) -> str:
    form = client.get("/logga-in", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/logga-in", data={"username": username, "password": TEST_PASSWORD, "csrf_token": csrf},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"], headers=HTML)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_pages_need_a_session_and_send_people_to_sign_in(client):
    answer = client.get("/ko", headers=HTML, follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/logga-in?next=/ko"


def test_a_wrong_password_shows_a_swedish_message(client, make_user):
    make_user("sara", "handler", "sodermalm")
    form = client.get("/logga-in", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/logga-in", data={"username": "sara", "password": "fel-lösenord-123", "csrf_token": csrf},
                         headers=HTML)
    assert answer.status_code == 401
    assert "Fel användarnamn eller lösenord." in answer.text


def test_a_form_without_its_csrf_token_is_refused(client, make_user):
    make_user("admin", "admin")
    _sign_in(client, "admin")
    answer = client.post("/admin/stadsdelar/sodermalm", data={"phone": "08-1"}, headers=HTML)
    assert answer.status_code == 400


def test_admin_edits_a_districts_contact_details(client, make_user, db):
    make_user("admin", "admin")
    csrf = _sign_in(client, "admin")
    answer = client.post("/admin/stadsdelar/sodermalm", headers=HTML, follow_redirects=False,
                         data={"phone": "08-508 12 000", "email": "sodermalm@stad.example", "address": "Box 1",
                               "csrf_token": csrf})
    assert answer.status_code == 303
    with db() as session:
        district = session.scalar(select(District).where(District.code == "sodermalm"))
        assert (district.contact_phone, district.contact_email) == ("08-508 12 000", "sodermalm@stad.example")
        assert session.scalar(select(AuditEvent.action).where(AuditEvent.action == "admin.district.update"))


def test_admin_creates_a_landlord_and_sees_the_key_once(client, make_user):
    make_user("admin", "admin")
    csrf = _sign_in(client, "admin")
    answer = client.post("/admin/hyresvardar", headers=HTML,
                         data={"name": "Familjebostäder AB", "org_number": "556035-9811", "csrf_token": csrf})
    assert answer.status_code == 200
    key = re.search(r"<code>(vsl_[^<]+)</code>", answer.text).group(1)
    assert "visas bara nu" in answer.text
    assert key not in client.get("/admin/hyresvardar", headers=HTML).text


def test_an_admin_never_sees_case_pages(client, make_user):
    make_user("admin", "admin")
    _sign_in(client, "admin")
    assert client.get("/ko", headers=HTML).status_code == 404


def test_a_form_posted_after_the_session_ended_comes_back_to_its_page_after_signing_in(client):
    # A browser cannot repeat a POST by following ?next=, so the form's page is where to come back.
    answer = client.post("/arenden/00000000-0000-0000-0000-000000000000/kontakt", data={"channel": "phone"},
                         headers={**HTML, "Referer": "http://testserver/arenden/00000000-0000-0000-0000-000000000000"},
                         follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/logga-in?next=/arenden/00000000-0000-0000-0000-000000000000"
    elsewhere = client.post("/arenden/00000000-0000-0000-0000-000000000000/kontakt", data={"channel": "phone"},
                            headers={**HTML, "Referer": "https://evil.example/x"}, follow_redirects=False)
    assert elsewhere.headers["location"] == "/logga-in?next=/"
