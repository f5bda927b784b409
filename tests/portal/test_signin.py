"""Signing in to the landlord portal, and the wall between portal and staff accounts (issue #16, items 2–3).

Landlord users sign in with email and password (argon2id, throttled) or once with a
sign-in link; their sessions are rows of their own under a cookie of their own. A
landlord user never reaches a staff page, and staff never sign in to the portal.
"""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from app.db import utcnow
from app.security import landlord_users
from app.notices.models import Notice
from app.security.actors import SYSTEM, Actor
from app.security.models import AuditEvent, LandlordUser, LandlordWebSession, WebSession
from app.security.scope import notices_readable_by
from tests.conftest import TEST_PASSWORD
from tests.notices.conftest import notice_body
from tests.portal.conftest import PORTAL, csrf_of, page_csrf, sign_in
from tests.security.helpers import HTML, web_sign_in

HOME = f"{PORTAL}/underrattelser"


def test_a_landlord_user_signs_in_and_the_session_is_a_portal_row(client, make_portal_user, db):
    account = make_portal_user()
    answer = sign_in(client, account.email.upper())  # the email is the sign-in name, in any case
    assert answer.status_code == 303
    assert answer.headers["location"] == HOME
    cookie = client.cookies["varsel_portal_session"]
    assert "varsel_session" not in client.cookies
    set_cookie = answer.headers["set-cookie"]
    assert "Path=/hyresvard" in set_cookie and "HttpOnly" in set_cookie and "SameSite=lax" in set_cookie
    with db() as session:
        row = session.scalars(select(LandlordWebSession)).one()
        assert row.secret_hash == hashlib.sha256(cookie.encode()).hexdigest()
        assert session.scalar(select(WebSession.id)) is None
        user = session.scalars(select(LandlordUser)).one()
        assert user.password_hash.startswith("$argon2id$") and user.last_sign_in_at is not None
        signed_in = session.scalars(select(AuditEvent).where(AuditEvent.action == "portal.sign_in")).one()
        assert signed_in.actor_kind == "landlord_user"
        assert signed_in.actor_id == str(account.landlord_id)
        assert account.email in signed_in.actor_name
    assert client.get(HOME).status_code == 200


def test_a_wrong_password_and_a_staff_account_fail_alike(client, make_portal_user, make_user, db):
    account = make_portal_user()
    make_user("sara", "handler", "sodermalm")
    make_user("kim@stad.example", "admin")  # a staff username that even looks like an email
    answers = [sign_in(client, account.email, "fel-lösenord-123"), sign_in(client, "sara"),
               sign_in(client, "kim@stad.example")]
    for answer in answers:
        assert answer.status_code == 401
        assert "Fel e-postadress eller lösenord." in answer.text
    assert "varsel_portal_session" not in client.cookies and "varsel_session" not in client.cookies
    with db() as session:
        failures = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.sign_in_failed")).all()
        assert [f.details["reason"] for f in failures] == ["wrong_password", "unknown_user", "unknown_user"]
        assert all(f.details["via"] == "portal" for f in failures)
        assert all("fel-lösenord" not in str(f.details) for f in failures)


def test_repeated_failures_are_throttled_on_a_key_of_their_own(client, make_portal_user, make_user):
    account = make_portal_user()
    make_user(account.email, "handler", "sodermalm")  # a staff user named like the portal user
    for _ in range(3):
        assert sign_in(client, account.email, "fel-lösenord-123").status_code == 401
    throttled = sign_in(client, account.email)  # even the right password waits
    assert throttled.status_code == 429
    assert int(throttled.headers["retry-after"]) >= 1
    assert "Vänta" in throttled.text
    # The staff account of the same name is not slowed by the portal's failures.
    assert web_sign_in(client, account.email).status_code == 303


def test_a_portal_session_never_opens_a_staff_page_or_the_staff_api(app, portal):
    client, _ = portal
    cookie = client.cookies["varsel_portal_session"]
    for path in ("/ko", "/admin", "/granskning", "/manuell-fordelning"):
        answer = client.get(path, headers=HTML, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/logga-in"), path
    assert client.get("/api/v1/queue").status_code == 401
    # The same secret presented as a staff cookie is no staff session either.
    other = TestClient(app, follow_redirects=False)
    other.cookies.set("varsel_session", cookie)
    assert other.get("/ko", headers=HTML).headers["location"].startswith("/logga-in")
    assert other.get("/api/v1/queue").status_code == 401


def test_a_staff_session_never_opens_the_portal(app, client, make_user):
    make_user("admin", "admin")
    assert web_sign_in(client, "admin").status_code == 303
    staff_cookie = client.cookies["varsel_session"]
    answer = client.get(HOME, follow_redirects=False)
    assert answer.status_code == 303 and answer.headers["location"].startswith(f"{PORTAL}/logga-in")
    other = TestClient(app, follow_redirects=False)
    other.cookies.set("varsel_portal_session", staff_cookie, path="/hyresvard")
    assert other.get(HOME).headers["location"].startswith(f"{PORTAL}/logga-in")


def test_after_sign_in_only_portal_pages_are_followed(client, make_portal_user):
    account = make_portal_user()
    assert sign_in(client, account.email, next_path="/ko").headers["location"] == HOME
    assert sign_in(client, account.email, next_path="//evil.example/x").headers["location"] == HOME
    assert sign_in(client, account.email, next_path=f"{PORTAL}/ny").headers["location"] == f"{PORTAL}/ny"


def test_a_page_asks_to_sign_in_and_comes_back(client, make_portal_user):
    account = make_portal_user()
    answer = client.get(f"{PORTAL}/ladda-upp", follow_redirects=False)
    assert answer.status_code == 303
    assert answer.headers["location"] == f"{PORTAL}/logga-in?next=/hyresvard/ladda-upp"
    assert sign_in(client, account.email, next_path=f"{PORTAL}/ladda-upp").headers["location"] == f"{PORTAL}/ladda-upp"


def test_signing_out_ends_the_session_and_forms_need_its_csrf_token(app, portal, db):
    client, _ = portal
    cookie = client.cookies["varsel_portal_session"]
    copy = TestClient(app, follow_redirects=False)
    copy.cookies.set("varsel_portal_session", cookie, path="/hyresvard")
    assert copy.get(HOME).status_code == 200
    refused = client.post(f"{PORTAL}/logga-ut", data={"csrf_token": "not-the-token"}, follow_redirects=False)
    assert refused.status_code == 400
    assert client.post(f"{PORTAL}/logga-ut", data={}, follow_redirects=False).status_code == 400
    answer = client.post(f"{PORTAL}/logga-ut", data={"csrf_token": page_csrf(client, HOME)}, follow_redirects=False)
    assert answer.status_code == 303
    gone = copy.get(HOME)
    assert gone.status_code == 303 and gone.headers["location"].endswith("&expired=1")
    with db() as session:
        assert session.scalar(select(AuditEvent.actor_kind).where(AuditEvent.action == "portal.sign_out")) \
            == "landlord_user"


def test_a_staff_csrf_token_is_no_portal_token(client, portal, make_user):
    client, _ = portal
    make_user("sara", "handler", "sodermalm")
    web_sign_in(client, "sara")
    staff_token = csrf_of(client.get("/ko", headers=HTML).text)
    answer = client.post(f"{PORTAL}/logga-ut", data={"csrf_token": staff_token}, follow_redirects=False)
    assert answer.status_code == 400


def test_deactivation_ends_the_portal_session_at_once(portal, db):
    client, account = portal
    with db() as session:
        user = session.scalars(select(LandlordUser)).one()
        landlord_users.deactivate(session, SYSTEM, user)
    assert client.get(HOME, follow_redirects=False).status_code == 303
    assert sign_in(client, account.email).status_code == 401


# ----------------------------------------------------------------------------- the one-time link

def _link_user(db, settings, account_org: str, email: str = "ny@bostadsbolaget.example") -> str:
    with db() as session:
        created = landlord_users.create(session, settings, SYSTEM, org_number=account_org, email=email)
    assert created.link is not None
    return created.link


def test_a_sign_in_link_sets_a_password_once_and_signs_in(client, make_landlord, db, settings):
    landlord = make_landlord()
    link = _link_user(db, settings, landlord.org_number)
    path = link.removeprefix(settings.public_base_url)
    assert path.startswith(f"{PORTAL}/lank/")
    secret = path.rsplit("/", 1)[1]
    with db() as session:
        user = session.scalars(select(LandlordUser)).one()
        assert user.password_hash is None
        assert user.link_hash == hashlib.sha256(secret.encode()).hexdigest()  # only a hash is kept
    for _ in range(2):  # looking at the page (a mail scanner, say) does not spend the link
        assert "Välj ditt lösenord" in client.get(path).text
    form = client.get(path)
    token = csrf_of(form.text)
    short = client.post(f"{PORTAL}/lank", data={"secret": secret, "password": "kort", "repeat": "kort",
                                                "csrf_token": token}, follow_redirects=False)
    assert short.status_code == 422 and "minst 12 tecken" in short.text
    differ = client.post(f"{PORTAL}/lank", data={"secret": secret, "password": TEST_PASSWORD, "repeat": "annat",
                                                 "csrf_token": token}, follow_redirects=False)
    assert differ.status_code == 422 and "inte lika" in differ.text
    done = client.post(f"{PORTAL}/lank", data={"secret": secret, "password": TEST_PASSWORD, "repeat": TEST_PASSWORD,
                                               "csrf_token": token}, follow_redirects=False)
    assert done.status_code == 303 and done.headers["location"] == HOME
    assert client.get(HOME).status_code == 200
    spent = client.get(path)
    assert spent.status_code == 404 and "redan använts eller gått ut" in spent.text
    again = client.post(f"{PORTAL}/lank", data={"secret": secret, "password": TEST_PASSWORD,
                                                "repeat": TEST_PASSWORD, "csrf_token": token})
    assert again.status_code == 404
    fresh = TestClient(client.app, follow_redirects=False)
    assert sign_in(fresh, "ny@bostadsbolaget.example").status_code == 303


def test_a_sign_in_link_expires(client, make_landlord, db, settings):
    landlord = make_landlord()
    secret = _link_user(db, settings, landlord.org_number).rsplit("/", 1)[1]
    with db() as session:
        user = session.scalars(select(LandlordUser)).one()
        user.link_expires_at = utcnow() - timedelta(seconds=1)
    assert client.get(f"{PORTAL}/lank/{secret}").status_code == 404
    assert client.get(f"{PORTAL}/lank/{'x' * 500}").status_code == 404


def test_a_landlord_user_and_a_key_read_the_same_notices(make_portal_user, make_landlord, client, db):
    account = make_portal_user()
    other = make_landlord("Annan AB")
    for headers, external_id in ((account.key_headers, "OWN-1"), (other.headers, "OTHER-1")):
        assert client.post("/api/v1/notices", json=notice_body(external_id=external_id),
                           headers=headers).status_code == 201
    with db() as session:
        as_user = Actor(kind="landlord_user", id=account.landlord_id, name="hyror")
        as_key = Actor(kind="landlord", id=account.landlord_id, name="key")
        seen = {kind: sorted(session.scalars(select(Notice.external_id).where(notices_readable_by(a))))
                for kind, a in (("user", as_user), ("key", as_key))}
    assert seen == {"user": ["OWN-1"], "key": ["OWN-1"]}


def test_the_login_page_is_swedish_and_has_no_staff_links(client):
    page = client.get(f"{PORTAL}/logga-in")
    assert page.status_code == 200
    assert '<html lang="sv">' in page.text and "Logga in som hyresvärd" in page.text
    assert not re.search(r'href="/(ko|admin)', page.text)
