"""Reading the report's forms back as a user would: the CSV in a spreadsheet, the PDF's text."""

from __future__ import annotations

import csv
import io
import re

from pypdf import PdfReader

from app.reports.render import LABELS

MONTHS_SV = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
TREND_SERIES = ("notices_received", "cases_opened", "evictions", "missed_deadlines")


def csv_rows(data: bytes) -> list[tuple[str, str, str]]:
    assert data.startswith("\ufeff".encode()), "UTF-8 with BOM, for Excel"
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
    header, *rows = list(reader)
    assert header == ["section", "metric", "value"]
    return [tuple(row) for row in rows]  # type: ignore[misc]


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages).replace("\u00a0", " ")


def pdf_lines(data: bytes) -> set[str]:
    return {re.sub(r"\s+", " ", line).strip() for line in pdf_text(data).splitlines()}


def shown(metric: str, value: str) -> str:
    """How a CSV value is written in the PDF and HTML: Swedish decimals and per cent."""
    if value == "":
        return "–"
    if metric.endswith("_share"):
        return f"{float(value) * 100:.1f}".replace(".", ",") + " %"
    number = float(value)
    if number.is_integer():
        return f"{int(number):,}".replace(",", " ")
    return f"{number:.1f}".replace(".", ",")


def expected_lines(rows: list[tuple[str, str, str]]) -> list[str]:
    """One line per labelled number ("Mottagna underrättelser 5"), and one per trend month."""
    lines = []
    for section, metric, value in rows:
        if section == "notices_by_landlord":
            lines.append(f"{metric} {shown(metric, value)}")
        elif (section, metric) in LABELS:
            lines.append(f"{LABELS[(section, metric)]} {shown(metric, value)}")
    trend: dict[str, dict[str, str]] = {}
    for section, metric, value in rows:
        if section.startswith("trend_"):
            trend.setdefault(metric, {})[section.removeprefix("trend_")] = value
    for month, values in trend.items():
        year, number = month.split("-")
        lines.append(" ".join([MONTHS_SV[int(number) - 1], year, *(values[s] for s in TREND_SERIES)]))
    return lines


def numbered_rows(rows: list[tuple[str, str, str]]) -> int:
    return sum(1 for section, _, _ in rows if section != "report")
