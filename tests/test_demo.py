"""`varsel demo`: a working instance from a fresh clone, and its credentials where a person finds them."""

from __future__ import annotations

import os
import socket
import stat
import subprocess
import sys
import time

from sqlalchemy import select
from typer.testing import CliRunner

from app.cli import cli
from app.routing.models import BoundaryVersion
from app.routing.service import PACK_SOURCE_PREFIX

runner = CliRunner()


def test_seed_only_stores_the_packs_boundaries_and_keeps_the_credentials_in_a_private_file(env_settings, db):
    result = runner.invoke(cli, ["demo", "--seed-only"])
    assert result.exit_code == 0, result.output
    with db() as session:
        active = session.scalar(select(BoundaryVersion).where(BoundaryVersion.active.is_(True)))
        assert active is not None and active.source.startswith(PACK_SOURCE_PREFIX)
    saved = (env_settings.storage_dir / "demo-credentials.txt").resolve()
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    content = saved.read_text(encoding="utf-8")
    assert "handlaggare.sodermalm" in content and "vsl_" in content
    keys = [line.split(": ")[1] for line in result.stdout.splitlines() if line.startswith("  Stockholmshem AB")]
    assert keys and keys[0] in content
    assert result.stdout.rstrip().splitlines()[-1] == f"(Also in {saved}, readable by you only.)"


def test_a_second_run_rewrites_the_file_still_private(env_settings):
    path = env_settings.storage_dir / "demo-credentials.txt"
    env_settings.storage_dir.mkdir(parents=True)
    path.write_text("old", encoding="utf-8")
    path.chmod(0o644)
    assert runner.invoke(cli, ["demo", "--seed-only"]).exit_code == 0
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert "old" not in path.read_text(encoding="utf-8")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_the_running_demo_prints_its_credentials_after_the_start_up_lines(tmp_path):
    env = {**os.environ, "VARSEL_DATABASE_URL": f"sqlite:///{tmp_path}/demo.db",
           "VARSEL_STORAGE_DIR": str(tmp_path / "files")}
    env.pop("VARSEL_ENV", None)
    process = subprocess.Popen([sys.executable, "-m", "app.cli", "demo", "--port", str(_free_port())],
                               env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    try:
        deadline = time.monotonic() + 90
        assert process.stdout is not None
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if line.startswith("(Also in"):
                break
    finally:
        process.kill()  # a demo database in a temporary folder: nothing to shut down cleanly
        process.communicate(timeout=30)
    output = "".join(lines)
    assert "(Also in" in output, output
    started = output.index("Application startup complete")
    assert started < output.index("Staff users (password for all")
    assert started < output.index("Landlord API keys")
