"""Test keys are made by the operator (`varsel landlords keys create --test`) or on the admin page
(the "Testnyckel" box), are listed as such, and what they send is test data."""

from __future__ import annotations

import re

from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.security.models import ApiKey, AuditEvent
from tests.conftest import TEST_PASSWORD
from tests.notices.conftest import notice_body

runner = CliRunner()
HTML = {"Accept": "text/html"}


def run(*args: str):
    result = runner.invoke(cli, list(args))
    assert result.exit_code == 0, result.output
    return result


def _today_notice(client, key: str, external_id: str) -> dict:
    # Dated by the app's clock (the real one here): the spec example's dates are in its past.
    answer = client.post("/api/v1/notices", headers={"Authorization": f"Bearer {key}"},
                         json=notice_body(external_id=external_id, sent_on=_today(client)))
    assert answer.status_code == 201, answer.text
    return answer.json()


def _today(client) -> str:
    from app.calendar import local_today

    return local_today(client.app.state.clock()).isoformat()


def test_the_cli_makes_a_test_key_and_lists_which_keys_are_test_keys(env_settings, client):
    live = run("landlords", "create", "--name", "Stockholmshem AB", "--org-number", "556035-9555").stdout
    created = run("landlords", "keys", "create", "--org-number", "556035-9555", "--test")
    assert "test key prefix" in created.stderr
    test_key = created.stdout.strip().splitlines()[-1]
    live_key = live.strip().splitlines()[-1]

    listed = [line.split("\t") for line in run("landlords", "keys", "list", "--org-number", "556035-9555")
              .stdout.splitlines()]
    assert {line[0]: line[4] for line in listed} == {live_key.split("_")[1]: "live", test_key.split("_")[1]: "test"}

    assert _today_notice(client, test_key, "T-1")["test"] is True
    assert "test" not in _today_notice(client, live_key, "R-1")


def test_the_admin_page_makes_a_test_key_with_its_box_ticked(client, make_user, make_landlord, db):
    landlord = make_landlord(org_number="556035-9811")
    make_user("admin", "admin")
    form = client.get("/logga-in", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    signed_in = client.post("/logga-in", data={"username": "admin", "password": TEST_PASSWORD, "csrf_token": csrf},
                            headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', signed_in.text).group(1)
    admin = client.get("/admin/hyresvardar", headers=HTML).text
    assert re.search(r'<input id="key-test" name="test" type="checkbox" value="true"', admin)
    assert '<label class="check" for="key-test">' in admin and "Testnyckel</label>" in admin

    made = {}
    for ticked in (True, False):
        data = {"org_number": landlord.org_number, "csrf_token": csrf, **({"test": "true"} if ticked else {})}
        answer = client.post("/admin/nycklar", data=data, headers=HTML)
        assert answer.status_code == 200, answer.text
        made[ticked] = re.search(r"<code>(vsl_[^<]+)</code>", answer.text).group(1)

    with db() as session:
        kinds = {key.prefix: key.test for key in session.scalars(select(ApiKey))}
        audits = [a.details for a in session.scalars(select(AuditEvent).where(AuditEvent.action == "admin.key.create"))]
    assert kinds == {landlord.prefix: False, made[True].split("_")[1]: True, made[False].split("_")[1]: False}
    assert audits == [{"test": True}, None]
    listing = client.get("/admin/hyresvardar", headers=HTML).text
    assert listing.count("<strong>testnyckel</strong>") == 1
    assert _today_notice(client, made[True], "T-1")["test"] is True
