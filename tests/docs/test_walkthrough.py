"""The walk-through of docs/integrators.md runs as written: its curl block and its Python/httpx block,
against a live server with the demo's landlords, keys file and dated examples."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from app.calendar import local_today
from app.demo import seed_demo, write_credentials, write_fresh_examples
from app.notices.models import Notice
from app.routing.service import import_pack_boundaries
from app.security.models import Landlord
from tests.docs.conftest import DOCS, code_blocks

INTEGRATORS = DOCS / "integrators.md"


@pytest.fixture
def demo_directory(db, settings, tmp_path, live_server) -> tuple[Path, list[tuple[str, str]]]:
    """What `varsel demo` leaves in the directory it was started from."""
    with db() as session:
        import_pack_boundaries(session, "stockholm")  # the example notice is routed by its coordinates
        credentials = seed_demo(session, settings, progress=lambda line: None)
    files = tmp_path / "varsel-files"
    examples = write_fresh_examples(files, local_today())
    write_credentials(files, credentials.describe(live_server, examples))
    return tmp_path, credentials.landlord_keys


def _run_python(directory: Path, url: str, key: str) -> list[str]:
    [code] = code_blocks(INTEGRATORS, "python")
    env = {**os.environ, "VARSEL_URL": url, "VARSEL_API_KEY": key}
    ran = subprocess.run([sys.executable, "-c", code], cwd=directory, env=env, capture_output=True, text=True,
                         timeout=120)
    assert ran.returncode == 0, ran.stderr
    return ran.stdout.splitlines()


def _stored(db, name: str) -> int:
    """The landlord's receipts before the walk-through: the demo's history gave it some."""
    with db() as session:
        return session.scalar(select(func.count()).select_from(Notice).join(Landlord)
                              .where(Landlord.name == name, Notice.test.is_(False)))


def test_the_python_walkthrough_runs_and_a_second_run_replays(demo_directory, live_server, db):
    directory, keys = demo_directory
    name, key = keys[1]  # the second demo landlord: the curl block below uses the first
    before = _stored(db, name)
    today = f"{local_today():%Y%m%d}"
    first = _run_python(directory, live_server, key)
    assert first[0] == f"notice EXEMPEL-2026-0001-{today}: 201 routed district=enskede-arsta-vantor"
    assert first[1:3] == ["  redemption_period_end " + first[1].split()[1] + " (estimated)",
                          "  eviction_decision_earliest " + first[2].split()[1] + " (estimated)"]
    assert first[3:5] == ["again: 200, same notice: True", "event: 201, estimated now: [False, False]"]
    assert [line.split()[3] for line in first[5:8]] == ["201", "201", "201"]
    assert first[8] == f"receipts: {before + 4}"  # every page read: the history's and the walk-through's
    second = _run_python(directory, live_server, key)
    assert second[0] == f"notice EXEMPEL-2026-0001-{today}: 200 routed district=enskede-arsta-vantor"
    assert second[4] == "event: 200, estimated now: [False, False]"
    assert [line.split()[3] for line in second[5:8]] == ["200", "200", "200"]
    assert second[8] == f"receipts: {before + 4}"


def test_the_curl_walkthrough_runs_with_the_demos_key(demo_directory, live_server):
    directory, keys = demo_directory
    # The walk-through's block (the CSV section has curl lines of its own, against a made-up host).
    [block] = [b for b in code_blocks(INTEGRATORS, "sh") if "curl" in b and "varsel.example" not in b]
    ran = subprocess.run(["bash", "-euo", "pipefail", "-c", block], cwd=directory, capture_output=True, text=True,
                         env={**os.environ, "VARSEL_URL": live_server}, timeout=120)
    assert ran.returncode == 0, ran.stderr
    answers = [json.loads(part) for part in ran.stdout.replace("}{", "}\n{").splitlines()]
    notice, event, batch, receipts = answers
    assert notice["status"] == "routed" and [d["estimated"] for d in notice["deadlines"]] == [True, True]
    assert event["id"] == notice["id"] and [d["estimated"] for d in event["deadlines"]] == [False, False]
    assert [item["status"] for item in batch["results"]] == [201, 201, 201]
    # The demo's own notices belong to this landlord too: of the newest five, the batch's three come first
    # (received in one request, at one moment).
    assert len(receipts["items"]) == 5
    assert {r["id"] for r in receipts["items"][:3]} == {item["receipt"]["id"] for item in batch["results"]}
    assert keys[0][0].startswith("Stockholmshem")
