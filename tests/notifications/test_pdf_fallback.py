"""Without Pango, WeasyPrint cannot load: Varsel runs on, says why once in its log, and
answers each letter or report asked for as PDF with a clear error.

"No Pango" is made real at the import: a `weasyprint` package first on the path that
raises the OSError the library loader raises when libpango is not installed.
"""

from __future__ import annotations

import copy
import logging
import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from app.jobs.channels import build_channels
from app.db import utcnow
from app.notices.schemas import EXAMPLE_NOTICE
from notifications import outbox, pdf
from notifications.models import OutboxMessage

LOADER_ERROR = ("cannot load library 'libpango-1.0-0': libpango-1.0-0: cannot open shared object file: "
                "No such file or directory")


def _without_pango(folder: Path) -> Path:
    package = folder / "weasyprint"
    package.mkdir(parents=True, exist_ok=True)
    (package / "__init__.py").write_text(f"raise OSError({LOADER_ERROR!r})\n", encoding="utf-8")
    return folder


@pytest.fixture
def no_pango(tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(_without_pango(tmp_path / "no-pango")))
    for name in [m for m in sys.modules if m == "weasyprint" or m.startswith("weasyprint.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setattr(pdf, "_reported", threading.Event())


@pytest.fixture
def pdf_log(caplog):
    caplog.set_level(logging.ERROR, logger="varsel.pdf")
    return lambda: [r for r in caplog.records if r.name == "varsel.pdf"]


def test_a_letter_waits_in_the_outbox_with_the_reason_and_goes_out_once_pango_is_there(
        no_pango, monkeypatch, client, landlord, settings, sessions, db, pdf_log):
    notice = copy.deepcopy(EXAMPLE_NOTICE)
    assert client.post("/api/v1/notices", headers=landlord.headers, json=notice).status_code == 201
    now = utcnow()
    letters_only = {"letter": build_channels(settings, sessions)["letter"]}
    result = outbox.dispatch(sessions, letters_only, now=lambda: now)
    assert (result.sent, result.retried, result.failed) == (0, 1, 0)
    with db() as session:
        letter = session.scalar(select(OutboxMessage).where(OutboxMessage.channel == "letter"))
        assert letter.status == "pending"
        assert "PDF rendering is not available" in letter.last_error
        assert "libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core" in letter.last_error
    records = pdf_log()
    assert len(records) == 1 and "pdf_rendering_unavailable" in str(records[0].msg)
    assert "libpango" in str(records[0].msg)
    # Asked again: the same clear error, and no second log line.
    outbox.dispatch(sessions, letters_only, now=lambda: now + timedelta(hours=1))
    assert len(pdf_log()) == 1
    monkeypatch.undo()  # the packages are installed
    result = outbox.dispatch(sessions, letters_only, now=lambda: now + timedelta(days=1))
    assert result.sent == 1
    assert list((Path(settings.storage_dir) / "letters").rglob("tenant_redemption_letter-*.pdf"))


def test_a_report_as_pdf_answers_503_and_the_other_formats_still_work(no_pango, client, staff_headers):
    admin = staff_headers("admin1", "admin")
    params = {"month": (utcnow() - timedelta(days=40)).strftime("%Y-%m")}
    answer = client.get("/api/v1/reports/monthly", params={**params, "format": "pdf"}, headers=admin)
    assert answer.status_code == 503
    assert answer.headers["content-type"] == "application/problem+json"
    body = answer.json()
    assert body["type"].endswith("/pdf-unavailable")
    assert "PDF rendering is not available" in body["detail"]
    for fmt in ("csv", "html", "json"):
        assert client.get("/api/v1/reports/monthly", params={**params, "format": fmt}, headers=admin).status_code == 200


def test_the_report_page_says_so_in_swedish_and_the_csv_still_comes(no_pango, app, make_user):
    from fastapi.testclient import TestClient

    from tests.security.helpers import HTML, web_sign_in

    make_user("chef", "manager", "sodermalm")
    browser = TestClient(app)
    assert web_sign_in(browser, "chef").status_code == 303
    page = browser.get("/rapporter", headers=HTML)
    assert page.status_code == 200 and 'role="img"' in page.text  # the charts are SVG: no PDF needed
    answer = browser.get("/rapporter/manadsrapport.pdf", headers=HTML)
    assert answer.status_code == 503 and answer.headers["content-type"].startswith("text/html")
    assert "PDF-filer kan inte skapas på servern just nu" in answer.text and "libpango" not in answer.text
    assert browser.get("/rapporter/manadsrapport.csv", headers=HTML).status_code == 200


def _run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(_without_pango(tmp_path / "no-pango")),
                                                        str(Path(__file__).resolve().parents[2])]),
           "VARSEL_DATABASE_URL": f"sqlite:///{tmp_path}/v.db", "VARSEL_STORAGE_DIR": str(tmp_path / "files")}
    return subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, cwd=tmp_path, capture_output=True,
                          text=True, timeout=120)


def test_the_demo_and_the_dispatcher_run_without_pango_and_the_cli_says_why_for_a_pdf(tmp_path):
    seeded = _run(["demo", "--seed-only"], tmp_path)
    assert seeded.returncode == 0, seeded.stderr
    dispatched = _run(["jobs", "run", "dispatch-outbox"], tmp_path)
    assert dispatched.returncode == 0, dispatched.stderr
    assert "retry later" in dispatched.stdout and "retry later 0" not in dispatched.stdout
    assert "pdf_rendering_unavailable" in dispatched.stderr
    report = _run(["reports", "monthly", "--month", (utcnow() - timedelta(days=40)).strftime("%Y-%m"),
                   "--format", "pdf", "--output", str(tmp_path / "r.pdf")], tmp_path)
    assert report.returncode == 1
    assert "error: PDF rendering is not available on this server" in report.stderr
    assert "Traceback" not in report.stderr
    assert not (tmp_path / "r.pdf").exists()
