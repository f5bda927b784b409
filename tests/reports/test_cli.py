"""`varsel reports monthly …`: the files it writes agree with each other and with the API."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from app.reports.cli import reports_cli
from tests.reports.expected import CITY_OCTOBER, SODERMALM_OCTOBER
from tests.reports.forms import csv_rows, expected_lines, pdf_lines

runner = CliRunner()


def _monthly(*args: str):
    return runner.invoke(reports_cli, ["monthly", *args])


def test_csv_and_pdf_files_agree(history, env_settings, tmp_path):
    csv_file, pdf_file = tmp_path / "oktober.csv", tmp_path / "oktober.pdf"
    result = _monthly("--month", "2026-10", "--district", "sodermalm", "--format", "csv", "--output", str(csv_file))
    assert result.exit_code == 0, result.output
    assert "computing 2026-10 for sodermalm…" in result.stderr
    assert "rendering csv…" in result.stderr
    assert f"wrote {csv_file} (" in result.stderr and " KiB)" in result.stderr
    assert result.stdout == ""
    result = _monthly("--month", "2026-10", "--district", "sodermalm", "--format", "pdf", "--output", str(pdf_file))
    assert result.exit_code == 0, result.output
    size = pdf_file.stat().st_size
    assert f"wrote {pdf_file} ({-(-size // 1024)} KiB)" in result.stderr

    rows = csv_rows(csv_file.read_bytes())
    values = {(s, m): v for s, m, v in rows}
    assert values[("notices", "received")] == "5"
    assert values[("evictions", "carried_out")] == "2"
    lines = pdf_lines(pdf_file.read_bytes())
    assert [line for line in expected_lines(rows) if line not in lines] == []


def test_json_and_the_whole_city(history, env_settings, tmp_path):
    out = tmp_path / "stad.json"
    result = _monthly("--month", "2026-10", "--format", "json", "--output", str(out))
    assert result.exit_code == 0, result.output
    assert "computing 2026-10 for the whole city…" in result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    # Run now (not at the pinned report time): only the moment of generation differs.
    assert {k: v for k, v in data.items() if k != "generated_at"} == {
        k: v for k, v in CITY_OCTOBER.items() if k != "generated_at"}
    out = tmp_path / "sodermalm.html"
    assert _monthly("--month", "2026-10", "--district", "sodermalm", "--format", "html",
                    "--output", str(out)).exit_code == 0
    assert "<h1>Månadsrapport oktober 2026</h1>" in out.read_text(encoding="utf-8")
    assert SODERMALM_OCTOBER["notices"]["received"] == 5


def test_bad_input_is_explained(env_settings, tmp_path):
    out = str(tmp_path / "x.pdf")
    result = _monthly("--month", "2026-13", "--format", "pdf", "--output", out)
    assert result.exit_code == 2 and "--month the month must be 01–12" in result.stderr
    result = _monthly("--month", "2026-10", "--format", "xlsx", "--output", out)
    assert result.exit_code == 2 and "--format must be one of json, csv, html, pdf" in result.stderr
    result = _monthly("--month", "2026-10", "--district", "atlantis", "--format", "pdf", "--output", out)
    assert result.exit_code == 1 and "no district 'atlantis'" in result.stderr
    result = _monthly("--month", "2999-01", "--format", "pdf", "--output", out)
    assert result.exit_code == 2 and "must not be after the current month" in result.stderr
    result = _monthly("--month", "2026-10", "--format", "pdf", "--output", str(tmp_path / "nowhere" / "x.pdf"))
    assert result.exit_code == 1 and "no folder" in result.stderr
    assert not (tmp_path / "x.pdf").exists()


def test_the_group_lists_its_command():
    result = runner.invoke(reports_cli, ["--help"])
    assert result.exit_code == 0 and "monthly" in result.stdout
