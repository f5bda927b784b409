"""Friendly operations: the version, landlords and their keys at a glance, the jobs when no
job is named, and an example under every command's help."""

from __future__ import annotations

import re
from datetime import datetime, timezone

import typer
from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli, package_version
from app.cli_examples import EXAMPLES
from app.security.models import ApiKey

runner = CliRunner()


def run(*args: str):
    return runner.invoke(cli, list(args))


def test_version():
    result = run("--version")
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == f"varsel {package_version()}"
    assert re.fullmatch(r"\d+\.\d+\.\d+.*", package_version())


def test_landlords_list_shows_org_number_name_and_active_keys(env_settings):
    assert run("landlords", "list").stdout == ""
    run("landlords", "create", "--name", "Stockholmshem AB", "--org-number", "556035-9555")
    run("landlords", "create", "--name", "Familjebostäder AB", "--org-number", "556035-9811")
    second = run("landlords", "keys", "create", "--org-number", "556035-9555").stdout.strip().split("_")[1]
    run("landlords", "keys", "create", "--org-number", "556035-9555")
    run("landlords", "keys", "revoke", "--prefix", second)
    result = run("landlords", "list")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "556035-9811\tFamiljebostäder AB\t1",
        "556035-9555\tStockholmshem AB\t2",
    ]


def test_keys_list_shows_prefixes_and_dates_never_the_key(env_settings, db, client):
    keys = [run("landlords", "create", "--name", "Stockholmshem AB", "--org-number", "556035-9555").stdout.strip()]
    keys.append(run("landlords", "keys", "create", "--org-number", "5560359555").stdout.strip())
    prefixes = [key.split("_")[1] for key in keys]
    assert client.get("/api/v1/notices", headers={"Authorization": f"Bearer {keys[0]}"}).status_code == 200
    run("landlords", "keys", "revoke", "--prefix", prefixes[1])
    result = run("landlords", "keys", "list", "--org-number", "556035-9555")
    assert result.exit_code == 0, result.output
    lines = [line.split("\t") for line in result.stdout.splitlines()]
    assert [line[0] for line in lines] == prefixes
    with db() as session:
        stored = {k.prefix: k for k in session.scalars(select(ApiKey))}
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    used, revoked = lines
    assert used[1].startswith(today) and used[2].startswith(today) and used[3] == "-"
    assert revoked[2] == "-" and revoked[3] == f"{stored[prefixes[1]].revoked_at:%Y-%m-%d %H:%M:%S}"
    for key in keys:
        assert key not in result.output
        assert key.split("_", 2)[2] not in result.output
    for row in stored.values():
        assert row.key_hash not in result.output


def test_keys_list_explains_a_wrong_org_number(env_settings):
    unknown = run("landlords", "keys", "list", "--org-number", "556036-0793")
    assert unknown.exit_code == 1 and "no landlord has organisationsnummer 556036-0793" in unknown.stderr
    bad = run("landlords", "keys", "list", "--org-number", "556035-9556")
    assert bad.exit_code == 1 and "checksum does not match" in bad.stderr


def test_jobs_run_without_a_name_lists_the_jobs(env_settings):
    result = run("jobs", "run")
    assert result.exit_code == 0, result.output
    assert result.stdout == run("jobs", "list").stdout
    assert "sweep-deadlines" in result.stdout and "purge-expired" in result.stdout
    assert "varsel jobs run sweep-deadlines" in result.stderr


def _commands(command, path=()):
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            yield from _commands(sub, (*path, name))
    else:
        yield " ".join(path), command


def test_every_command_has_an_example_in_its_help():
    commands = dict(_commands(typer.main.get_command(cli)))
    assert {"db upgrade", "serve", "demo", "landlords list", "landlords keys list", "jobs run"} <= set(commands)
    missing = [path for path, command in commands.items() if f"varsel {path}" not in (command.epilog or "")]
    assert missing == []
    shown = run("landlords", "keys", "list", "--help")
    assert "varsel landlords keys list --org-number 556035-9555" in shown.stdout


def test_the_examples_name_options_the_commands_have():
    commands = dict(_commands(typer.main.get_command(cli)))
    for path, lines in EXAMPLES.items():
        if path not in commands:
            continue  # an example ready for a command not (yet) in this build
        options = {opt for param in commands[path].params for opt in getattr(param, "opts", [])}
        for line in lines:
            used = set(re.findall(r"(?<=\s)--[a-z-]+", line.split(f"varsel {path}", 1)[1]))
            assert used <= options, (path, used - options)
