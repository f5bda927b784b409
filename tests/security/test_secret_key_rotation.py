"""What a new VARSEL_SECRET_KEY changes, as docs/operations.md ("Key rotation") tells the operator:
every API key and staff token stops working, web sessions go on but a page's old CSRF token is refused,
and the audit chain continues under the new key — verified from the first row written after the change,
while the old key still verifies the rows before it."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from app.main import create_app
from app.security import service as accounts
from tests.security.helpers import HTML, api_token, bearer, page_csrf, web_sign_in

OLD = "old-secret-key-for-this-test-only-0123456789"
NEW = "new-secret-key-for-this-test-only-9876543210"
runner = CliRunner()


def _use(monkeypatch, secret: str) -> None:
    """The process's key: what the audit log's chain is hashed with (it reads the environment's settings)."""
    monkeypatch.setenv("VARSEL_SECRET_KEY", secret)
    get_settings.cache_clear()


def _verify(monkeypatch, secret: str, *args: str):
    _use(monkeypatch, secret)
    return runner.invoke(cli, ["audit", "verify", *args])


def test_a_new_secret_key_voids_keys_and_tokens_and_continues_the_audit_chain(
        settings, engine, db, make_user, env_settings, monkeypatch):
    _use(monkeypatch, OLD)
    make_user("sara", "handler", "sodermalm")
    old_settings = settings.model_copy(update={"secret_key": OLD})
    with db() as session:
        landlord, issued = accounts.create_landlord(session, old_settings, name="Bostadsbolaget AB",
                                                    org_number="556035-9555")
    with TestClient(create_app(old_settings, engine=engine), follow_redirects=False) as browser:
        token = api_token(browser, "sara")
        assert web_sign_in(browser, "sara").status_code == 303
        cookie = browser.cookies["varsel_session"]
        old_csrf = page_csrf(browser, "/ko")
        assert browser.get("/api/v1/notices", headers=bearer(issued.plaintext)).status_code == 200
    before = _verify(monkeypatch, OLD)
    assert before.exit_code == 0, before.output
    last_row = int(before.stdout.split("last row ")[1].split(",")[0])

    _use(monkeypatch, NEW)
    new_settings = settings.model_copy(update={"secret_key": NEW})
    with TestClient(create_app(new_settings, engine=engine), follow_redirects=False) as browser:
        # Every landlord key: 401, until the landlord gets a new one.
        assert browser.get("/api/v1/notices", headers=bearer(issued.plaintext)).status_code == 401
        with db() as session:
            fresh = accounts.create_landlord_key(session, new_settings, org_number="556035-9555")
        assert browser.get("/api/v1/notices", headers=bearer(fresh.plaintext)).status_code == 200
        # Staff tokens: sign in again.
        assert browser.get("/api/v1/queue", headers=bearer(token)).status_code == 401
        assert browser.get("/api/v1/queue", headers=bearer(api_token(browser, "sara"))).status_code == 200
        # The web session goes on; a form of a page loaded before the change is refused, a reloaded one works.
        browser.cookies.set("varsel_session", cookie)
        assert browser.get("/ko", headers=HTML).status_code == 200
        assert browser.post("/logga-ut", data={"csrf_token": old_csrf}).status_code != 303
        assert browser.post("/logga-ut", data={"csrf_token": page_csrf(browser, "/ko")}).status_code == 303

    # The rows written under the new key verify from the first of them on …
    after = _verify(monkeypatch, NEW, "--from-id", str(last_row + 1))
    assert after.exit_code == 0, after.output
    assert "chain intact" in after.stdout
    # … and the old key still vouches for every row before the change, up to the first new one.
    old_part = _verify(monkeypatch, OLD)
    assert old_part.exit_code == 1
    assert f"row {last_row + 1}:" in old_part.stderr and f"The {last_row} rows before it are intact" in old_part.stderr
    get_settings.cache_clear()
