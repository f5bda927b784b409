"""Landlord-portal accounts: `varsel landlords users create` and the admin page, both through one service."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.security.models import AuditEvent, LandlordUser
from tests.conftest import TEST_PASSWORD
from tests.portal.conftest import PORTAL, csrf_of, sign_in
from tests.security.helpers import HTML, page_csrf, web_sign_in

runner = CliRunner()


def _create(*args: str, input: str | None = None):
    return runner.invoke(cli, ["landlords", "users", "create", *args], input=input)


def test_the_cli_prints_a_one_time_link_on_the_last_line(env_settings, make_landlord, app, db):
    landlord = make_landlord()
    result = _create("--org-number", landlord.org_number, "--email", " Hyror@Bostadsbolaget.Example ")
    assert result.exit_code == 0, result.output
    link = result.stdout.strip().splitlines()[-1]
    assert re.fullmatch(re.escape(env_settings.public_base_url) + r"/hyresvard/lank/[\w-]{40,}", link)
    assert "shown once" in result.stderr
    with db() as session:
        user = session.scalars(select(LandlordUser)).one()
        assert (user.email, user.password_hash, user.landlord_id) == ("hyror@bostadsbolaget.example", None,
                                                                     landlord.id)
        assert link.rsplit("/", 1)[1] not in (user.link_hash or "")
        created = session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.landlord_user.create")).one()
        assert created.actor_kind == "system" and created.actor_name.startswith("cli:")
    browser = TestClient(app)
    secret = link.rsplit("/", 1)[1]
    token = csrf_of(browser.get(f"{PORTAL}/lank/{secret}").text)
    done = browser.post(f"{PORTAL}/lank", data={"secret": secret, "password": TEST_PASSWORD,
                                                "repeat": TEST_PASSWORD, "csrf_token": token},
                        follow_redirects=False)
    assert done.status_code == 303


def test_the_cli_takes_a_password_from_standard_input(env_settings, make_landlord, client):
    landlord = make_landlord()
    result = _create("--org-number", landlord.org_number, "--email", "hyror@example.org", "--password-stdin",
                     input=TEST_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "/hyresvard/logga-in" in result.stdout and "/lank/" not in result.stdout
    assert sign_in(client, "hyror@example.org").status_code == 303


def test_the_cli_says_what_is_wrong(env_settings, make_landlord):
    landlord = make_landlord()
    assert "organisationsnummer" in _create("--org-number", "556035-9556", "--email", "a@example.org").stderr
    assert "no landlord has" in _create("--org-number", "556036-0793", "--email", "a@example.org").stderr
    assert "not an email address" in _create("--org-number", landlord.org_number, "--email", "inte en adress").stderr
    weak = _create("--org-number", landlord.org_number, "--email", "a@example.org", "--password-stdin", input="kort\n")
    assert weak.exit_code == 1 and "at least 12" in weak.stderr
    assert _create("--org-number", landlord.org_number, "--email", "a@example.org").exit_code == 0
    twice = _create("--org-number", landlord.org_number, "--email", "A@example.org")
    assert twice.exit_code == 1 and "exists already" in twice.stderr


def _admin(client, make_user) -> None:
    make_user("admin", "admin")
    assert web_sign_in(client, "admin").status_code == 303


def test_an_admin_creates_a_portal_user_and_sees_the_link_once(client, make_user, make_landlord, db, app):
    _admin(client, make_user)
    landlord = make_landlord()
    overview = client.get("/admin/hyresvardar/anvandare", headers=HTML)
    assert overview.status_code == 200 and f"/admin/hyresvardar/{landlord.org_number}/anvandare" in overview.text
    assert "/admin/hyresvardar/anvandare" in client.get("/admin", headers=HTML).text
    path = f"/admin/hyresvardar/{landlord.org_number}/anvandare"
    answer = client.post(path, data={"email": "hyror@bostadsbolaget.example",
                                     "csrf_token": page_csrf(client, path)}, headers=HTML)
    assert answer.status_code == 200
    link = re.search(r"<code>(http[^<]+/hyresvard/lank/[^<]+)</code>", answer.text)[1]
    assert "/hyresvard/lank/" not in client.get(path, headers=HTML).text  # shown once
    assert "hyror@bostadsbolaget.example" in client.get(path, headers=HTML).text
    with db() as session:
        user = session.scalars(select(LandlordUser)).one()
        created = session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.landlord_user.create")).one()
        assert (created.actor_kind, created.actor_name) == ("staff", "admin")
    duplicate = client.post(path, data={"email": "hyror@bostadsbolaget.example",
                                        "csrf_token": page_csrf(client, path)}, headers=HTML)
    assert duplicate.status_code == 422 and "Det finns redan en användare" in duplicate.text

    renewed = client.post(f"{path}/{user.id}/lank", data={"csrf_token": page_csrf(client, path)}, headers=HTML)
    new_link = re.search(r"<code>(http[^<]+)</code>", renewed.text)[1]
    assert new_link != link
    browser = TestClient(app)
    assert browser.get(link.split("8000", 1)[1]).status_code == 404  # the old link stopped working
    assert browser.get(new_link.split("8000", 1)[1]).status_code == 200

    deactivated = client.post(f"{path}/{user.id}/avaktivera", data={"csrf_token": page_csrf(client, path)},
                              headers=HTML)
    assert deactivated.status_code == 200 and "avaktiverad" in deactivated.text
    assert browser.get(new_link.split("8000", 1)[1]).status_code == 404


def test_only_admins_reach_the_portal_users_page(client, make_user, make_landlord):
    landlord = make_landlord()
    make_user("sara", "handler", "sodermalm")
    web_sign_in(client, "sara")
    for path in ("/admin/hyresvardar/anvandare", f"/admin/hyresvardar/{landlord.org_number}/anvandare"):
        assert client.get(path, headers=HTML).status_code == 404
    answer = client.post(f"/admin/hyresvardar/{landlord.org_number}/anvandare",
                         data={"email": "x@example.org", "csrf_token": page_csrf(client, "/ko")}, headers=HTML)
    assert answer.status_code == 404


def test_another_landlords_user_is_404_on_the_admin_page(client, make_user, make_landlord, make_portal_user, db):
    _admin(client, make_user)
    mine = make_landlord("Min AB")
    make_portal_user("annan@example.org", name="Annan AB")
    with db() as session:
        other_user = session.scalars(select(LandlordUser)).one()
    path = f"/admin/hyresvardar/{mine.org_number}/anvandare"
    answer = client.post(f"{path}/{other_user.id}/avaktivera", data={"csrf_token": page_csrf(client, path)},
                         headers=HTML)
    assert answer.status_code == 404
    assert client.get("/admin/hyresvardar/556035-9556/anvandare", headers=HTML).status_code == 404
