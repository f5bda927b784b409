"""JSON, CSV, HTML and PDF show the same numbers; none of them shows a person."""

from __future__ import annotations

import html
import io
import json
import re

from pypdf import PdfReader

from tests.reports.conftest import TENANT_NAME
from tests.reports.expected import CITY_OCTOBER, SODERMALM_OCTOBER
from tests.reports.forms import csv_rows, expected_lines, numbered_rows, pdf_lines, pdf_text, shown

REPORT = "/api/v1/reports/monthly"


def _get(client, headers, fmt: str, **params):
    answer = client.get(REPORT, params={"month": "2026-10", "format": fmt, **params}, headers=headers)
    assert answer.status_code == 200, answer.text
    return answer


def test_csv_is_one_row_per_number_with_the_jsons_values(history, client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    answer = _get(client, manager, "csv")
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert answer.headers["content-disposition"] == 'attachment; filename="manadsrapport-sodermalm-2026-10.csv"'
    assert b"\r\n" in answer.content
    rows = csv_rows(answer.content)
    values = {(section, metric): value for section, metric, value in rows}
    assert values[("report", "month")] == "2026-10"
    assert values[("report", "district")] == "sodermalm"
    assert values[("notices", "received")] == "5"
    assert values[("notices_by_kind", "rent_arrears")] == "3"
    assert values[("notices_by_landlord", "Hyresvärden Söder AB")] == "2"
    assert values[("households", "children")] == "2"
    assert values[("cases_closed_by_outcome", "evicted")] == "1"
    assert values[("evictions", "children_affected")] == "1"
    assert values[("timeliness", "first_contact_within_service_level_share")] == "0.6"
    assert values[("timeliness", "median_vardagar_to_first_contact")] == "1"
    assert values[("timeliness", "contacted_before_redemption_end_share")] == "0.6667"
    assert values[("first_contact", "missed")] == "2"
    assert values[("missed_deadlines", "budget_advice_offer")] == "1"
    assert values[("joint_assessments_requested", "children_families")] == "2"
    assert values[("joint_assessments_completed", "total")] == "2"
    assert values[("backlog", "over_90")] == "1"
    assert values[("trend_missed_deadlines", "2026-08")] == "3"
    assert values[("trend_evictions", "2026-10")] == "2"
    # Every number of the JSON is a row: 12 trend months × 4 series among them.
    assert sum(1 for s, _, _ in rows if s.startswith("trend_")) == 48
    notices, households, cases, evictions = 1 + 3 + 2, 4, 2 + 10, 3
    timeliness, missed, joint, backlog = 1 + 5 + 6, 1 + 4, 2 * (1 + 3), 1 + 4
    assert numbered_rows(rows) == notices + households + cases + evictions + timeliness + missed + joint + backlog + 48


def test_the_pdf_carries_the_same_numbers_as_the_csv(history, client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    rows = csv_rows(_get(client, manager, "csv").content)
    answer = _get(client, manager, "pdf")
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == 'attachment; filename="manadsrapport-sodermalm-2026-10.pdf"'
    lines = pdf_lines(answer.content)
    expected = expected_lines(rows)
    assert len(expected) == numbered_rows(rows) - 48 + 12
    missing = [line for line in expected if line not in lines]
    assert missing == []
    # A few by hand, in the reader's words:
    for line in ("Mottagna underrättelser 5", "Obetald hyra 3", "Bostadsbolaget AB 3",
                 "– varav med barn 2", "Genomförda avhysningar 2", "– varav hushåll med barn 1",
                 "Andel med första kontakt inom servicenivån 60,0 %",
                 "Median, vardagar från mottagande till första kontakt 1",
                 "Andel nådda före återvinningsfristens slut 66,7 %", "Missade tidsfrister i månaden 5",
                 "Öppna ärenden vid månadens slut 4", "Mer än 90 dagar 1", "okt 2026 5 5 2 5",
                 "aug 2026 1 1 0 3"):
        assert line in lines, line
    text = pdf_text(answer.content)
    assert "Månadsrapport oktober 2026" in text and "Södermalm" in text
    reader = PdfReader(io.BytesIO(answer.content))
    assert str(reader.trailer["/Root"]["/Lang"]) == "sv"


def test_the_city_wide_pdf_agrees_with_its_csv(history, client, staff_headers):
    admin = staff_headers("admin1", "admin")
    rows = csv_rows(_get(client, admin, "csv").content)
    assert ("by_district_notices_received", "jarva", "1") in rows
    lines = pdf_lines(_get(client, admin, "pdf").content)
    assert [line for line in expected_lines(rows) if line not in lines] == []
    assert "Järva 1 1" in lines and "Södermalm 5 5" in lines and "Bromma 0 0" in lines
    assert CITY_OCTOBER["notices"]["received"] == 6


def test_html_is_swedish_accessible_and_shows_the_numbers_and_charts(history, client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    rows = csv_rows(_get(client, manager, "csv").content)
    page = _get(client, manager, "html")
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    text = page.text
    assert '<html lang="sv">' in text
    assert "<title>Månadsrapport oktober 2026 – Södermalm</title>" in text
    assert "<h1>Månadsrapport oktober 2026</h1>" in text
    for heading in ("Underrättelser", "Hushåll", "Ärenden", "Avhysningar", "Kontakt och tidsfrister",
                    "Gemensam initial bedömning", "Öppna ärenden vid månadens slut",
                    "Utvecklingen de senaste tolv månaderna"):
        assert f">{heading}</h2>" in text, heading
    cells = {(html.unescape(th), html.unescape(td).replace("\u00a0", " "))
             for th, td in re.findall(r'<th scope="row">([^<]*)</th><td class="num">([^<]*)</td>', text)}
    for line in expected_lines(rows):
        if re.match(r"^[a-z]{3} \d{4} ", line):
            continue  # trend rows are checked below
        assert any(f"{label} {value}" == line for label, value in cells), line
    trend_rows = re.findall(r'<tr><th scope="row"[^>]*>([^<]*)</th>((?:<td class="num">[^<]*</td>){4})</tr>', text)
    trend = {m: " ".join(re.findall(r'<td class="num">([^<]*)</td>', tds)) for m, tds in trend_rows}
    assert trend["okt 2026"] == "5 5 2 5" and trend["aug 2026"] == "1 1 0 3" and trend["nov 2025"] == "0 0 0 0"
    # Charts: inline SVG, each with a title; nothing loaded from anywhere, no script.
    assert text.count("<svg ") == 6  # four trend series, outcomes, backlog by age
    assert text.count('role="img"') == 6
    assert "<title>Missade tidsfrister</title>" in text
    assert "<script" not in text and "http://" not in text.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in text
    assert shown("x_share", "0.6") == "60,0 %"


def test_no_form_carries_personal_data(history, client, staff_headers):
    admin = staff_headers("admin1", "admin")
    manager = staff_headers("chef", "manager", "sodermalm")
    forms = [_get(client, who, fmt).content for who in (admin, manager) for fmt in ("json", "csv", "html")]
    texts = [data.decode("utf-8-sig") for data in forms]
    texts += [pdf_text(_get(client, who, "pdf").content) for who in (admin, manager)]
    for text in texts:
        assert TENANT_NAME not in text and "Tova" not in text
        assert "Götgatan" not in text and "Kistagången" not in text
        assert "Kim Lind" not in text and not re.search(r"[\w.]+@[\w-]+\.\w+", text)
        assert not re.search(r"\d{6}[-+]?\d{4}", text)  # no identity numbers
        assert "handlaggare" not in text  # nor staff


def test_json_form_is_the_summary(history, client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    assert json.loads(_get(client, manager, "json").content) == SODERMALM_OCTOBER
