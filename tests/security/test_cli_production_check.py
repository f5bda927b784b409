"""In production mode with the demo secrets, every `varsel` command that touches data refuses to run.

The same check `serve` makes (app/config.py: `check_production`), reached through the
paths by which commands open the database or run jobs (app/cli_support.py). Each
command is run with arguments that would otherwise reach the database; the test
fails if a command is added without being listed here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import typer.main
from sqlalchemy import text
from typer.testing import CliRunner

from app.cli import cli
from app.config import get_settings
from tests.conftest import IS_POSTGRES, TEST_DATABASE_URL

runner = CliRunner()

JOBS = ["sweep-deadlines", "dispatch-outbox", "monthly-reports", "household-lookups", "geocode-unrouted",
        "purge-expired"]
# What each command is given; FILE is replaced by a file of the right kind, OUTPUT by a path to write.
COMMANDS: dict[str, list[str]] = {
    "db upgrade": [],
    "landlords create": ["--name", "Stockholmshem AB", "--org-number", "556035-9555"],
    "landlords keys create": ["--org-number", "556035-9555"],
    "landlords keys revoke": ["--prefix", "deadbeef"],
    "authorities create": ["--name", "Kronofogden"],
    "authorities import-evictions": ["EVICTIONS"],
    "users create": ["--username", "admin2", "--role", "admin"],
    "users list": [],
    "users deactivate": ["sara"],
    "users activate": ["sara"],
    "users set-password": ["sara", "--password-stdin"],
    "landlords list": [],
    "landlords keys list": ["--org-number", "556035-9555"],
    "landlords users create": ["--org-number", "556035-9555", "--email", "hyror@example.org", "--password-stdin"],
    "districts list": [],
    "districts import-boundaries": ["BOUNDARIES"],
    "districts import-addresses": ["ADDRESSES"],
    "reports monthly": ["--month", "2026-10", "--format", "csv", "--output", "OUTPUT"],
    "audit verify": [],
    "keys rotate-data-key": [],
    "serve": [],
    **{f"jobs run {name}": [] for name in JOBS},
}
# What a command reads from standard input before it opens the database.
STDIN = {"users set-password": "rätt-häftklammer-2026\n", "landlords users create": "rätt-häftklammer-2026\n"}
NO_DATA = {"jobs list"}  # prints the job table from code
OWN_REFUSAL = {"demo": "the demo never runs in production mode"}
TABLES = ("landlords", "api_keys", "authorities", "users", "notices", "eviction_notices", "audit_events",
          "job_runs", "districts", "outbox", "report_archive", "landlord_users")


def leaf_commands(command: Any, prefix: str = "") -> list[str]:
    if hasattr(command, "commands"):  # a group
        return [name for sub_name, sub in command.commands.items()
                for name in leaf_commands(sub, f"{prefix} {sub_name}".strip())]
    return [prefix]


def test_every_command_and_job_is_listed_here():
    from app.jobs.registry import JOBS as REGISTERED

    assert sorted(job.name for job in REGISTERED) == sorted(JOBS)
    listed = {name.removesuffix(f" {job}") for name in COMMANDS for job in JOBS if name.endswith(job)}
    listed |= set(COMMANDS) | NO_DATA | set(OWN_REFUSAL)
    missing = sorted(set(leaf_commands(typer.main.get_command(cli))) - listed)
    assert missing == [], f"add these commands to COMMANDS with arguments that reach the database: {missing}"


@pytest.fixture
def production(tmp_path, monkeypatch):
    url = TEST_DATABASE_URL if IS_POSTGRES else f"sqlite:///{tmp_path}/production.db"
    monkeypatch.setenv("VARSEL_ENV", "production")
    monkeypatch.setenv("VARSEL_DATABASE_URL", url)
    monkeypatch.setenv("VARSEL_STORAGE_DIR", str(tmp_path / "files"))
    monkeypatch.setenv("VARSEL_SCHEDULER_ENABLED", "false")
    for name in ("VARSEL_SECRET_KEY", "VARSEL_DATA_KEY"):
        monkeypatch.delenv(name, raising=False)
    get_settings.cache_clear()
    yield tmp_path
    get_settings.cache_clear()


def _arguments(template: list[str], folder: Path) -> list[str]:
    files = {
        "EVICTIONS": ("evictions.json", json.dumps([{
            "reference": "KFM-2026-1", "eviction_at": "2027-01-14T09:00:00+01:00",
            "tenant": {"name": "Anna Andersson", "personal_identity_number": "19850412-1230"},
            "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm"},
            "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"}}])),
        "BOUNDARIES": ("districts.geojson", json.dumps({"type": "FeatureCollection", "features": []})),
        "ADDRESSES": ("addresses.csv", "street,number,postal_code,district_code\nGötgatan,30,11846,sodermalm\n"),
    }
    arguments = []
    for value in template:
        if value in files:
            name, content = files[value]
            (folder / name).write_text(content, encoding="utf-8")
            value = str(folder / name)
        elif value == "OUTPUT":
            value = str(folder / "report.csv")
        arguments.append(value)
    return arguments


def _counts(engine) -> dict[str, int]:
    with engine.connect() as connection:
        return {t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one() for t in TABLES}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_data_command_refuses_production_with_the_demo_secrets(command, production, engine, tmp_path):
    before = _counts(engine)
    inputs = tmp_path / "inputs"
    inputs.mkdir()

    result = runner.invoke(cli, command.split() + _arguments(COMMANDS[command], inputs), input=STDIN.get(command))

    assert result.exit_code == 1, (result.output, result.exception)
    assert "refuses to start in production mode" in result.stderr
    assert "VARSEL_SECRET_KEY" in result.stderr and "VARSEL_DATA_KEY" in result.stderr
    if not IS_POSTGRES:
        assert "VARSEL_DATABASE_URL" in result.stderr
        assert not (tmp_path / "production.db").exists()
    assert not (tmp_path / "files").exists()
    assert not (inputs / "report.csv").exists()
    assert _counts(engine) == before


def test_the_demo_refuses_production_in_its_own_words(production):
    result = runner.invoke(cli, ["demo", "--seed-only"])
    assert result.exit_code == 1
    assert OWN_REFUSAL["demo"] in result.stderr
    assert not (production / "files").exists()


def test_with_production_secrets_the_same_command_runs(production, monkeypatch, engine):
    if not IS_POSTGRES:
        pytest.skip("production runs on PostgreSQL only; the refusal of SQLite is tested above")
    monkeypatch.setenv("VARSEL_SECRET_KEY", "k" * 48)
    monkeypatch.setenv("VARSEL_DATA_KEY", "cHJvZHVjdGlvbi1kYXRhLWtleS0zMi1ieXRlcy0wMDA=")
    get_settings.cache_clear()
    result = runner.invoke(cli, ["districts", "list"])
    assert result.exit_code == 0, result.output
    assert "sodermalm\tSödermalm" in result.stdout
