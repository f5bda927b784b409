"""Access that can be taken away: deactivate, activate, a new password, the list (issue #11, item 1)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.security.models import AuditEvent, User
from tests.conftest import TEST_PASSWORD
from tests.security.helpers import HTML, api_token, bearer, page_csrf, web_sign_in

NEW_PASSWORD = "ny-vår-på-söder-2027"
runner = CliRunner()


def run(*args: str, input: str | None = None):
    return runner.invoke(cli, list(args), input=input)


def _sara_everywhere(app, client, make_user) -> tuple[str, TestClient]:
    """Sara with an API token and a signed-in browser."""
    make_user("sara", "handler", "sodermalm")
    token = api_token(client, "sara")
    browser = TestClient(app, follow_redirects=False)
    assert web_sign_in(browser, "sara").status_code == 303
    assert browser.get("/ko", headers=HTML).status_code == 200
    assert client.get("/api/v1/queue", headers=bearer(token)).status_code == 200
    return token, browser


def _everything_refused(client, token: str, browser: TestClient, password: str = TEST_PASSWORD) -> None:
    assert client.get("/api/v1/queue", headers=bearer(token)).status_code == 401
    answer = browser.get("/ko", headers=HTML)
    assert answer.status_code == 303 and answer.headers["location"].startswith("/logga-in")
    assert browser.get("/api/v1/queue").status_code == 401
    assert client.post("/api/v1/auth/token", data={"username": "sara", "password": password}).status_code == 401


def test_cli_deactivation_ends_token_session_and_sign_in_at_once(env_settings, app, client, make_user, db):
    token, browser = _sara_everywhere(app, client, make_user)
    result = run("users", "deactivate", "sara")
    assert result.exit_code == 0, result.output
    assert "sara deactivated" in result.stdout
    _everything_refused(client, token, browser)
    with db() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "admin.user.deactivate"))
        assert event.actor_kind == "system" and event.actor_name.startswith("cli:")

    result = run("users", "activate", "sara")
    assert result.exit_code == 0, result.output
    assert client.get("/api/v1/queue", headers=bearer(token)).status_code == 401  # nothing old comes back
    assert browser.get("/ko", headers=HTML).status_code == 303
    assert client.post("/api/v1/auth/token", data={"username": "sara", "password": TEST_PASSWORD}).status_code == 200


def test_cli_new_password_ends_token_and_session_and_the_old_password(env_settings, app, client, make_user):
    token, browser = _sara_everywhere(app, client, make_user)
    result = run("users", "set-password", "sara", "--password-stdin", input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    _everything_refused(client, token, browser)
    assert client.post("/api/v1/auth/token", data={"username": "sara", "password": NEW_PASSWORD}).status_code == 200


def test_cli_set_password_refuses_weak_missing_and_unknown(env_settings, make_user):
    make_user("sara", "handler", "sodermalm")
    weak = run("users", "set-password", "sara", "--password-stdin", input="kort\n")
    assert weak.exit_code == 1 and "at least 12 characters" in weak.stderr
    assert run("users", "set-password", "sara").exit_code == 2  # never from the command line
    assert run("users", "set-password", "sara", "--password-stdin", input="\n").exit_code == 1
    unknown = run("users", "deactivate", "nobody")
    assert unknown.exit_code == 1 and "no user is called 'nobody'" in unknown.stderr


def test_cli_lists_users_as_a_tab_separated_table(env_settings, client, make_user):
    make_user("sara", "handler", "sodermalm")
    make_user("bo", "joint_assessor", "sodermalm", "elderly_care")
    make_user("admin", "admin")
    api_token(client, "sara")
    run("users", "deactivate", "bo")
    result = run("users", "list")
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.strip().splitlines()]
    assert lines[0] == ["username", "role", "district", "unit", "active", "last_sign_in"]
    assert lines[1] == ["admin", "admin", "-", "-", "yes", "-"]
    assert lines[2] == ["bo", "joint_assessor", "sodermalm", "elderly_care", "no", "-"]
    assert lines[3][:5] == ["sara", "handler", "sodermalm", "-", "yes"]
    assert lines[3][5].endswith("Z") and lines[3][5][:2] == "20"


def test_admin_api_lists_creates_deactivates_activates_and_sets_passwords(app, client, make_user, db):
    token, browser = _sara_everywhere(app, client, make_user)
    make_user("admin", "admin")
    admin = bearer(api_token(client, "admin"))

    listed = client.get("/api/v1/admin/users", headers=admin).json()["items"]
    assert [(u["username"], u["role"], u["district"], u["active"]) for u in listed] == [
        ("admin", "admin", None, True), ("sara", "handler", "sodermalm", True)]
    assert listed[1]["last_sign_in_at"] is not None

    created = client.post("/api/v1/admin/users", headers=admin, json={
        "username": "leila", "role": "handler", "district": "jarva", "password": TEST_PASSWORD})
    assert created.status_code == 201, created.text
    assert created.json()["district"] == "jarva"

    answer = client.post("/api/v1/admin/users/sara/deactivate", headers=admin)
    assert answer.status_code == 200 and answer.json()["active"] is False
    _everything_refused(client, token, browser)
    assert client.post("/api/v1/admin/users/sara/activate", headers=admin).json()["active"] is True

    token = api_token(client, "sara")
    answer = client.post("/api/v1/admin/users/sara/password", headers=admin, json={"password": NEW_PASSWORD})
    assert answer.status_code == 204
    _everything_refused(client, token, browser)
    assert client.post("/api/v1/auth/token", data={"username": "sara", "password": NEW_PASSWORD}).status_code == 200
    with db() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("admin.user.%"))
                                  .order_by(AuditEvent.id)).all()
        assert actions == ["admin.user.create", "admin.user.deactivate", "admin.user.activate", "admin.user.password"]


def test_admin_api_refusals_are_problems(client, make_user):
    make_user("admin", "admin")
    make_user("sara", "handler", "sodermalm")
    admin = bearer(api_token(client, "admin"))
    weak = client.post("/api/v1/admin/users/sara/password", headers=admin, json={"password": "kort"})
    assert weak.status_code == 422 and weak.json()["errors"][0]["field"] == "password"
    taken = client.post("/api/v1/admin/users", headers=admin, json={"username": "sara", "role": "admin",
                                                                     "password": TEST_PASSWORD})
    assert taken.status_code == 422 and "taken" in taken.json()["detail"]
    assert client.post("/api/v1/admin/users", headers=admin, json={"username": "x", "role": "admin",
                                                                    "extra": 1}).status_code == 422
    missing = client.post("/api/v1/admin/users/nobody/deactivate", headers=admin)
    assert missing.status_code == 404 and missing.headers["content-type"] == "application/problem+json"
    own = client.post("/api/v1/admin/users/admin/deactivate", headers=admin)
    assert own.status_code == 409
    assert client.get("/api/v1/admin/users", headers=admin).status_code == 200  # still signed in


def test_admin_api_does_not_exist_for_other_roles(client, make_user):
    make_user("sara", "handler", "sodermalm")
    make_user("manager", "manager", "sodermalm")
    for name in ("sara", "manager"):
        headers = bearer(api_token(client, name))
        assert client.get("/api/v1/admin/users", headers=headers).status_code == 404
        assert client.post("/api/v1/admin/users/sara/deactivate", headers=headers).status_code == 404
    assert client.get("/api/v1/admin/users").status_code == 401


def _admin_browser(app, make_user) -> tuple[TestClient, str]:
    make_user("admin", "admin")
    browser = TestClient(app, follow_redirects=False)
    assert web_sign_in(browser, "admin").status_code == 303
    return browser, page_csrf(browser, "/admin/anvandare")


def test_the_admin_users_page_lists_and_is_linked_from_admin(app, client, make_user):
    make_user("sara", "handler", "sodermalm")
    make_user("bo", "intake")
    api_token(client, "sara")
    browser, _ = _admin_browser(app, make_user)
    assert 'href="/admin/anvandare"' in browser.get("/admin", headers=HTML).text
    page = browser.get("/admin/anvandare", headers=HTML).text
    assert "<h1>Användare</h1>" in page
    assert "Handläggare" in page and "Södermalm" in page and "Senaste inloggning" in page
    assert "<td>bo</td>" in page and "aldrig" in page  # bo has never signed in
    assert 'aria-label="Avaktivera sara"' in page
    assert 'aria-label="Avaktivera admin"' not in page  # not oneself


def test_the_admin_page_creates_deactivates_activates_and_sets_passwords(app, client, make_user, db):
    token, sara = _sara_everywhere(app, client, make_user)
    browser, csrf = _admin_browser(app, make_user)

    created = browser.post("/admin/anvandare", headers=HTML, data={
        "username": "leila", "role": "handler", "district": "jarva", "password": TEST_PASSWORD, "csrf_token": csrf})
    assert created.status_code == 303
    assert "Användaren leila har skapats." in browser.get(created.headers["location"], headers=HTML).text

    answer = browser.post("/admin/anvandare/sara/avaktivera", headers=HTML, data={"csrf_token": csrf})
    assert answer.status_code == 303
    assert "sara är avaktiverad" in browser.get(answer.headers["location"], headers=HTML).text
    _everything_refused(client, token, sara)

    assert browser.post("/admin/anvandare/sara/aktivera", headers=HTML, data={"csrf_token": csrf}).status_code == 303
    token = api_token(client, "sara")
    assert web_sign_in(sara, "sara").status_code == 303
    answer = browser.post("/admin/anvandare/losenord", headers=HTML,
                          data={"username": "sara", "password": NEW_PASSWORD, "csrf_token": csrf})
    assert answer.status_code == 303
    _everything_refused(client, token, sara)
    assert client.post("/api/v1/auth/token", data={"username": "sara", "password": NEW_PASSWORD}).status_code == 200
    with db() as session:
        leila = session.scalar(select(User).where(User.username == "leila"))
        assert (leila.role, leila.district.code, leila.active) == ("handler", "jarva", True)


def test_the_admin_page_answers_mistakes_in_swedish_and_wants_its_csrf_token(app, make_user):
    make_user("sara", "handler", "sodermalm")
    browser, csrf = _admin_browser(app, make_user)
    weak = browser.post("/admin/anvandare/losenord", headers=HTML,
                        data={"username": "sara", "password": "kort", "csrf_token": csrf})
    assert weak.status_code == 422
    assert "Lösenordet ska vara minst 12 tecken" in weak.text
    no_district = browser.post("/admin/anvandare", headers=HTML, data={
        "username": "leila", "role": "handler", "password": TEST_PASSWORD, "csrf_token": csrf})
    assert no_district.status_code == 422
    assert "Rollen hör till en stadsdel: välj stadsdel." in no_district.text
    own = browser.post("/admin/anvandare/admin/avaktivera", headers=HTML, data={"csrf_token": csrf})
    assert own.status_code == 409 and "ditt eget konto" in own.text
    assert browser.post("/admin/anvandare/sara/avaktivera", headers=HTML).status_code == 400
    assert browser.post("/admin/anvandare/sara/avaktivera", headers=HTML,
                        data={"csrf_token": "0" * 64}).status_code == 400


def test_other_roles_never_see_the_users_page(app, make_user):
    make_user("sara", "handler", "sodermalm")
    browser = TestClient(app, follow_redirects=False)
    web_sign_in(browser, "sara")
    assert browser.get("/admin/anvandare", headers=HTML).status_code == 404
