"""The `varsel` command, run in-process against the test database."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.deps import LandlordDep
from fastapi import APIRouter
from app.security.models import ApiKey, User
from tests.conftest import TEST_PASSWORD

runner = CliRunner()

STOCKHOLM_CODES = [
    "bromma", "enskede-arsta-vantor", "farsta", "hagersten-alvsjo", "hasselby-vallingby", "jarva",
    "kungsholmen", "norra-innerstaden", "skarholmen", "skarpnack", "sodermalm",
]


def run(*args: str, input: str | None = None):
    return runner.invoke(cli, list(args), input=input)


def test_districts_list_prints_the_eleven_codes(env_settings):
    result = run("districts", "list")
    assert result.exit_code == 0, result.output
    lines = result.stdout.strip().splitlines()
    assert [line.split("\t")[0] for line in lines] == STOCKHOLM_CODES
    assert "sodermalm\tSödermalm" in lines
    assert "enskede-arsta-vantor\tEnskede-Årsta-Vantör" in lines


def test_db_upgrade_is_idempotent(env_settings):
    result = run("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert "0 district rows added" in result.stderr


def test_landlords_create_prints_a_working_key_on_the_last_line(env_settings, app, client):
    result = run("landlords", "create", "--name", "Stockholmshem AB", "--org-number", "556035-9555")
    assert result.exit_code == 0, result.output
    key = result.stdout.strip().splitlines()[-1]
    assert key.startswith("vsl_")
    router = APIRouter()

    @router.get("/api/v1/test/me")
    def me(actor: LandlordDep) -> dict:
        return {"name": actor.name}

    app.include_router(router)
    answer = client.get("/api/v1/test/me", headers={"Authorization": f"Bearer {key}"})
    assert answer.json() == {"name": "Stockholmshem AB"}


def test_landlords_create_refuses_a_bad_org_number(env_settings):
    result = run("landlords", "create", "--name", "X", "--org-number", "556035-9556")
    assert result.exit_code == 1
    assert "checksum does not match" in result.stderr


def test_keys_create_and_revoke(env_settings, db):
    run("landlords", "create", "--name", "Stockholmshem AB", "--org-number", "5560359555")
    result = run("landlords", "keys", "create", "--org-number", "556035-9555")
    assert result.exit_code == 0, result.output
    second = result.stdout.strip().splitlines()[-1]
    prefix = second.split("_")[1]
    result = run("landlords", "keys", "revoke", "--prefix", prefix)
    assert result.exit_code == 0, result.output
    assert f"key {prefix} revoked" in result.stdout
    with db() as session:
        keys = session.scalars(select(ApiKey)).all()
        assert len(keys) == 2
        assert [k.prefix for k in keys if k.revoked_at is not None] == [prefix]


def test_revoking_an_unknown_prefix_says_so(env_settings):
    result = run("landlords", "keys", "revoke", "--prefix", "deadbeef")
    assert result.exit_code == 1
    assert "no API key has the prefix 'deadbeef'" in result.stderr


def test_users_create_with_password_stdin_can_get_a_token(env_settings, client, db):
    result = run("users", "create", "--username", "sara", "--role", "handler", "--district", "sodermalm",
                 "--email", "sara@example.se", "--password-stdin", input=TEST_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    with db() as session:
        user = session.scalar(select(User).where(User.username == "sara"))
        assert user.password_hash.startswith("$argon2id$")
        assert user.district.code == "sodermalm"
    answer = client.post("/api/v1/auth/token", data={"username": "sara", "password": TEST_PASSWORD})
    assert answer.status_code == 200


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--role", "handler"], "belongs to a district"),
        (["--role", "handler", "--district", "narnia"], "unknown district"),
        (["--role", "joint_assessor", "--district", "jarva"], "needs --unit"),
    ],
)
def test_users_create_explains_what_is_missing(env_settings, args, message):
    result = run("users", "create", "--username", "x", *args, "--password-stdin", input=TEST_PASSWORD + "\n")
    assert result.exit_code == 1
    assert message in result.stderr


def test_users_create_refuses_an_empty_password(env_settings):
    result = run("users", "create", "--username", "x", "--role", "admin", "--password-stdin", input="\n")
    assert result.exit_code == 1
    assert "no password" in result.stderr


def test_authorities_create_prints_a_key(env_settings):
    result = run("authorities", "create", "--name", "Kronofogden")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip().splitlines()[-1].startswith("vsl_")


def test_jobs_run_unknown_job(env_settings):
    result = run("jobs", "run", "no-such-job")
    assert result.exit_code == 1
    assert "varsel jobs list" in result.stderr


def test_demo_seed_only_prints_urls_and_credentials(env_settings):
    result = run("demo", "--seed-only")
    assert result.exit_code == 0, result.output
    assert "http://127.0.0.1:8000/docs" in result.stdout
    assert "handlaggare.sodermalm" in result.stdout
    assert "vsl_" in result.stdout
    again = run("demo", "--seed-only")  # idempotent
    assert again.exit_code == 0, again.output


def test_kronofogden_notices_import_from_a_file(env_settings, tmp_path, db):
    import json

    from app.cases.models import EvictionNotice
    from tests.support.people import personnummer
    from datetime import date

    run("authorities", "create", "--name", "Kronofogden")
    notices = [
        {"reference": f"KFM-{i}", "eviction_at": "2099-01-14T09:00:00+01:00",
         "tenant": {"name": "Anna", "personal_identity_number": personnummer(date(1985, 4, 12), f"12{i}")},
         "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm"},
         "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"}}
        for i in range(3)
    ]
    notices[2]["landlord"]["org_number"] = "702001-7782"  # a bad checksum: refused, the others go in
    path = tmp_path / "avhysningar.jsonl"
    path.write_text("\n".join(json.dumps(n) for n in notices), encoding="utf-8")
    result = run("authorities", "import-evictions", str(path))
    assert result.exit_code == 1
    assert "2 imported, 0 already known, 1 refused" in result.stdout
    assert "notice 3/3: not imported" in result.stderr
    again = run("authorities", "import-evictions", str(path))
    assert "0 imported, 2 already known, 1 refused" in again.stdout
    with db() as session:
        assert session.query(EvictionNotice).count() == 2
