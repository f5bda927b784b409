"""Letters, mails, reports and outbox files are readable by the service's user only (0600 in 0700 folders).

The process umask is 000 while these tests run: a file written the ordinary way
would come out 0666 (a folder 0777), so each assertion fails unless the writer
sets the mode itself.
"""

from __future__ import annotations

import os
import stat
from datetime import datetime, timezone
from pathlib import Path

import pytest
from typer.testing import CliRunner

from app.jobs.channels import build_channels
from app.cli import cli
from app.demo import write_demo_register
from app.files import write_private
from app.jobs.reports import run_monthly_reports
from app.jobs.base import JobContext
from integrations.kronofogden.local import FileKronofogdenClient
from integrations.kronofogden.protocol import Acknowledgement
from notifications.outbox import dispatch
from tests.notices.conftest import NOTICES, notice_body

NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)


@pytest.fixture(autouse=True)
def open_umask():
    previous = os.umask(0)
    yield
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def assert_private_tree(root: Path, files: list[Path]) -> None:
    assert files, "nothing was written"
    for path in files:
        assert mode(path) == 0o600, f"{path} is {oct(mode(path))}"
        for folder in path.relative_to(root).parents:
            if folder != Path("."):
                assert mode(root / folder) == 0o700, f"{root / folder} is {oct(mode(root / folder))}"
    assert mode(root) == 0o700


def test_write_private_is_atomic_0600_and_can_leave_an_existing_file(tmp_path):
    target = tmp_path / "new" / "deeper" / "file.bin"
    assert write_private(target, b"one")
    assert target.read_bytes() == b"one" and mode(target) == 0o600
    assert mode(tmp_path / "new") == 0o700 and mode(tmp_path / "new" / "deeper") == 0o700
    assert not write_private(target, b"two", replace=False)
    assert target.read_bytes() == b"one"
    assert write_private(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["file.bin"]  # no temporary file left behind


def test_an_existing_folder_keeps_its_mode(tmp_path):
    shared = tmp_path / "chosen-by-the-operator"
    shared.mkdir(mode=0o755)
    os.chmod(shared, 0o755)
    write_private(shared / "report.csv", b"x")
    assert mode(shared) == 0o755
    assert mode(shared / "report.csv") == 0o600


def test_letters_and_mails_from_the_outbox(app, client, landlord, make_user, settings, sessions):
    app.state.clock = lambda: NOW
    make_user("sara", "handler", "sodermalm", email="sara@stad.example")  # gets the new-case mail
    assert client.post(NOTICES, json=notice_body(), headers=landlord.headers).status_code == 201

    result = dispatch(sessions, build_channels(settings, sessions))

    root = Path(settings.storage_dir)
    letters = list((root / "letters").rglob("*.pdf"))
    mails = list((root / "mail").glob("*.eml"))
    assert letters and mails, result
    assert_private_tree(root, letters + mails)


def test_kronofogden_outbox_files(tmp_path):
    folder = tmp_path / "kronofogden-outbox"
    client = FileKronofogdenClient(folder)
    ack = Acknowledgement("KFM-2026-1", NOW, "Sara Handläggare", "08-508 12 345", "Södermalm",
                          "Södermalms stadsdelsnämnd")
    client.send_acknowledgement(ack, idempotency_key="outbox-1")
    receipt = client.send_acknowledgement(ack, idempotency_key="outbox-1")  # a replay reads the stored file
    assert receipt.authority_reference == "LOCAL-outbox-1"
    assert_private_tree(folder, [folder / "outbox-1.json"])
    assert [p.name for p in folder.iterdir()] == ["outbox-1.json"]


def test_the_report_archive(settings, sessions):
    run_monthly_reports(JobContext(settings, sessions, lambda: datetime(2026, 11, 1, 6, 0, tzinfo=timezone.utc)))
    root = Path(settings.storage_dir)
    assert_private_tree(root, list((root / "reports").rglob("*.pdf")))


def test_the_report_command_writes_its_file_0600(env_settings, tmp_path):
    output = tmp_path / "rapport.csv"
    result = CliRunner().invoke(cli, ["reports", "monthly", "--month", "2026-10", "--format", "csv",
                                      "--output", str(output)])
    assert result.exit_code == 0, result.output
    assert mode(output) == 0o600


def test_the_demo_register(tmp_path):
    root = tmp_path / "demo-files"
    path = write_demo_register(root)
    assert_private_tree(root, [path])

