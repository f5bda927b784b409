"""POST /api/v1/notices/batch with a CSV file, and GET /api/v1/notices/template.csv.

A row is a notice flattened with dots; it is judged exactly like a JSON item
(the same per-item answer, with `row` beside `index`), and a file that cannot be
read as a whole gets one 422 that says what to fix. "Today" is pinned to
2026-11-20 (tests/notices/conftest.py).
"""

from __future__ import annotations

import csv
import io
import json
import pytest

from app.calendar import local_today
from app.demo import EXAMPLES_DIR, refresh_example
from app.notices import csv_batch
from app.notices.schemas import NoticeIn
from app.text import SINGLE_LINE_MESSAGE
from tests.notices.conftest import BATCH, NOTICES, assert_problem, assert_receipt_shape, deadlines, notice_body

TEMPLATE = "/api/v1/notices/template.csv"
CSV = {"Content-Type": "text/csv"}

# The spec's example notice (tests/notices/conftest.py: notice_body) as a spreadsheet row.
ROW = {
    "external_id": "CSV-1", "kind": "rent_arrears", "sent_on": "2026-11-20", "tenant_served_on": "2026-11-19",
    "termination_on": "2026-11-18", "property.street_address": "Götgatan 30", "property.postal_code": "118 46",
    "property.city": "Stockholm", "property.apartment_number": "1102", "property.rooms": "2",
    "property.coordinates.lat": "59,3146", "property.coordinates.lon": "18,0735",
    "tenants.0.name": "Anna Andersson", "tenants.0.personal_identity_number": "19850412-1230",
    "tenants.0.phone": "+46701234567", "tenants.0.email": "anna@example.se",
    "household.children_under_18": "2", "household.residents_65_or_older": "0", "household.consent": "ja",
    "arrears.amount_sek": "16 900,00", "arrears.due_date": "2026-10-31", "arrears.interest": "referensränta + 8 %",
    "arrears.monthly_rent_sek": "8450", "arrears.payment_instructions": "Bankgiro 123-4567, ange OCR 998877",
    "contact.name": "Kim Lind", "contact.phone": "08-123 456 00", "contact.email": "kim.lind@hsb.example",
}
DISTURBANCE = {"disturbance.description": "Upprepade störningar nattetid.", "disturbance.requested_on": "2026-11-10"}


def csv_file(rows: list[dict[str, str]], delimiter: str = ";", bom: bool = True, columns: list[str] | None = None,
             encoding: str = "utf-8") -> bytes:
    names = columns or list(dict.fromkeys([*ROW, *DISTURBANCE, *(k for r in rows for k in r)]))
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(names)
    for row in rows:
        writer.writerow([row.get(name, "") for name in names])
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode(encoding)


def row(**changes: str) -> dict[str, str]:
    return {**ROW, **{k.replace("__", "."): v for k, v in changes.items()}}


def post_csv(client, landlord, data: bytes, content_type: str = "text/csv"):
    return client.post(BATCH, content=data, headers={**landlord.headers, "Content-Type": content_type})


def results_of(answer) -> list[dict]:
    assert answer.status_code == 200, answer.text
    return answer.json()["results"]


# ----------------------------------------------------------------------------- the done-criterion

def test_three_rows_one_invalid_answer_per_row_and_replay_when_sent_again(client, landlord, row_counts):
    before = row_counts()
    data = csv_file([row(external_id="CSV-1"),
                     row(external_id="CSV-2", tenants__0__personal_identity_number="19850412-1231"),
                     row(external_id="CSV-3", property__apartment_number="1103")])

    results = results_of(post_csv(client, landlord, data))

    assert [(r["index"], r["row"], r["status"]) for r in results] == [(0, 1, 201), (1, 2, 422), (2, 3, 201)]
    for result in (results[0], results[2]):
        assert_receipt_shape(result["receipt"])
        assert result["receipt"]["district"] == {"code": "sodermalm", "name": "Södermalm"}
        assert result["receipt"]["deadlines"] == deadlines("2026-12-11", "2026-12-16", False)
    problem = results[1]["problem"]
    assert problem["status"] == 422 and problem["type"].endswith("/validation")
    assert problem["errors"] == [{"field": "tenants[0].personal_identity_number", "message": "checksum does not match"}]
    assert row_counts()["notices"] - before["notices"] == 2

    again = results_of(post_csv(client, landlord, data))
    assert [(r["row"], r["status"]) for r in again] == [(1, 200), (2, 422), (3, 200)]
    assert again[0]["receipt"] == results[0]["receipt"] and again[2]["receipt"] == results[2]["receipt"]
    assert row_counts()["notices"] - before["notices"] == 2
    listed = client.get(NOTICES, headers=landlord.headers).json()["items"]
    assert sorted(i["external_id"] for i in listed) == ["CSV-1", "CSV-3"]


def test_a_row_is_the_same_notice_as_its_json(client, landlord):
    """Decimal comma, thousands space, 'ja' for true: the row and the JSON body are one notice (a retry)."""
    created = results_of(post_csv(client, landlord, csv_file([row(external_id="HSB-2026-000123")])))[0]
    assert created["status"] == 201
    as_json = client.post(NOTICES, json=notice_body(), headers=landlord.headers)
    assert as_json.status_code == 200, as_json.text  # identical body: a replay, not a 409
    assert as_json.json() == created["receipt"]


@pytest.mark.parametrize("delimiter", [";", ","])
@pytest.mark.parametrize("bom", [True, False], ids=["bom", "no-bom"])
def test_semicolon_or_comma_with_or_without_bom(client, landlord, delimiter, bom):
    data = csv_file([row(external_id="D-1"), row(external_id="D-2")], delimiter=delimiter, bom=bom)
    answer = post_csv(client, landlord, data, content_type="text/csv; charset=utf-8")
    assert [r["status"] for r in results_of(answer)] == [201, 201]


def test_excels_sep_line_and_quoted_cells_with_delimiters_and_line_breaks(client, landlord):
    body = csv_file([row(external_id="Q-1", arrears__payment_instructions="Bankgiro 123-4567;\nange OCR 998877")])
    data = b"\xef\xbb\xbfsep=;\r\n" + body.removeprefix(b"\xef\xbb\xbf")
    results = results_of(post_csv(client, landlord, data))
    assert results[0]["status"] == 201, results[0]


def test_empty_cells_are_absent_fields(client, landlord):
    warning = {**{k: v for k, v in row(external_id="E-2", kind="disturbance_warning").items()
                  if not k.startswith("arrears.")}, **DISTURBANCE, "tenant_served_on": "", "termination_on": ""}
    results = results_of(post_csv(client, landlord, csv_file([row(external_id="E-1", tenant_served_on=""), warning])))
    assert [r["status"] for r in results] == [201, 201], results
    assert [d["estimated"] for d in results[0]["receipt"]["deadlines"]] == [True, True]  # served: unknown
    assert results[1]["receipt"]["deadlines"] == []


def test_blank_rows_are_skipped_and_rows_keep_their_numbers(client, landlord):
    data = csv_file([row(external_id="B-1"), {}, row(external_id="B-3")])
    assert [(r["index"], r["row"]) for r in results_of(post_csv(client, landlord, data))] == [(0, 1), (1, 3)]


def test_json_batches_carry_no_row(client, landlord):
    answer = client.post(BATCH, json={"notices": [notice_body()]}, headers=landlord.headers)
    assert set(answer.json()["results"][0]) == {"index", "status", "receipt", "problem"}


# ----------------------------------------------------------------------------- a row's own problems

@pytest.mark.parametrize(("change", "field", "message"), [
    ({"tenants.0.name": "Anna\x00Andersson"}, "tenants[0].name", SINGLE_LINE_MESSAGE),
    ({"property.rooms": "1" + "0" * 30}, "property.rooms", "Input should be less than or equal to 20"),
    ({"property.rooms": "två"}, "property.rooms", "Input should be a valid integer"),
    ({"arrears.amount_sek": "999 999 999 999 999 999,00"}, "arrears.amount_sek",
     "must not be more than 99999999.99 (SEK)"),
    ({"arrears.amount_sek": "16900,005"}, "arrears.amount_sek", "at most two decimals"),
    ({"arrears.amount_sek": "1e30"}, "arrears.amount_sek", "must be a JSON number (SEK, at most two decimals)"),
    ({"property.coordinates.lat": "NaN"}, "property.coordinates.lat", "must be a number (WGS84 decimal degrees)"),
    ({"household.consent": "kanske"}, "household.consent", "Input should be a valid boolean"),
    ({"sent_on": "20/11/2026"}, "sent_on", "must be a date written YYYY-MM-DD"),
    ({"sent_on": "2026-11-21"}, "sent_on", "must not be in the future"),
    ({"tenants.0.name": "", "tenants.1.name": "Bo Berg"}, "tenants[0].name", "field required"),
])
def test_a_bad_cell_is_its_rows_422_naming_the_field(client, landlord, row_counts, change, field, message):
    before = row_counts()
    results = results_of(post_csv(client, landlord, csv_file([row(external_id="X-1", **{}) | change,
                                                              row(external_id="X-2")])))
    assert [r["status"] for r in results] == [422, 201]
    assert {"field": field, "message": message} in results[0]["problem"]["errors"], results[0]["problem"]
    assert row_counts()["notices"] - before["notices"] == 1


def test_cells_beyond_the_header_are_refused_with_their_row(client, landlord):
    good = csv_file([row(external_id="C-1")])
    header, line = good.decode("utf-8-sig").splitlines()[:2]
    data = f"{header}\r\n{line};overflow\r\n{line.replace('C-1', 'C-2')};\r\n".encode()
    results = results_of(post_csv(client, landlord, data))
    assert [r["status"] for r in results] == [422, 201]
    assert results[0]["problem"]["errors"][0]["message"] == "unknown field"
    assert "no header" in results[0]["problem"]["errors"][0]["field"]


# ----------------------------------------------------------------------------- a file that cannot be read

def _file_problem(answer) -> dict:
    body = assert_problem(answer, 422, "csv-file")
    assert body["detail"] and body["errors"]
    return body


@pytest.mark.parametrize(("data", "says"), [
    (csv_file([row()], bom=False, encoding="cp1252"), "not UTF-8"),
    ("\ufeff".encode("utf-16-le") + "external_id;kind\r\n".encode("utf-16-le"), "UTF-16"),
    (b"", "empty"),
    (b"\xef\xbb\xbf\r\n\r\n", "empty"),
    (csv_file([]), "no rows"),
    (csv_file([row()]).replace(b"property.street_address", b"property.stret_address"),
     "unknown column 'property.stret_address' (did you mean 'property.street_address'?)"),
    (csv_file([row()], columns=[c for c in ROW if c != "contact.name"]), "missing required column(s): contact.name"),
    (csv_file([row()], columns=[*ROW, "kind"]), "column 'kind' appears twice"),
    (csv_file([row()]).replace(b"external_id", b"external\x00id"), "unknown column 'external\\x00id'"),
    (csv_file([row(external_id='"unclosed')]).replace(b'"""unclosed"', b'"unclosed'), "cannot be read as CSV"),
], ids=["cp1252", "utf-16", "nothing", "blank-lines", "header-only", "typo", "missing", "twice", "nul-in-header",
        "unclosed-quote"])
def test_an_unreadable_file_is_one_422_saying_what_to_fix(client, landlord, row_counts, data, says):
    before = row_counts()
    body = _file_problem(post_csv(client, landlord, data))
    assert says in body["detail"], body["detail"]
    assert row_counts() == before


def test_a_charset_other_than_utf8_is_refused(client, landlord, row_counts):
    before = row_counts()
    body = _file_problem(post_csv(client, landlord, csv_file([row()]), content_type="text/csv; charset=latin-1"))
    assert "UTF-8" in body["detail"]
    assert row_counts() == before


def test_more_than_500_rows_is_one_422_and_500_rows_parse(client, landlord, row_counts):
    before = row_counts()
    rows = [row(external_id=f"M-{i}") for i in range(501)]
    body = _file_problem(post_csv(client, landlord, csv_file(rows)))
    assert "more than 500 rows" in body["detail"]
    assert row_counts() == before
    assert len(csv_batch.parse(csv_file(rows[:500])).items) == 500


def test_a_file_over_2_mib_is_413_and_other_media_types_415(client, landlord):
    data = csv_file([row()])
    padded = data + b"\r\n" * ((2 * 1024 * 1024 - len(data)) // 2 + 1)
    assert_problem(post_csv(client, landlord, padded), 413)
    answer = post_csv(client, landlord, data, content_type="text/plain")
    assert "text/csv" in assert_problem(answer, 415)["detail"]
    assert_problem(client.post(NOTICES, content=data, headers={**landlord.headers, **CSV}), 415)  # batch only


def test_a_csv_without_a_key_is_401(client):
    assert_problem(client.post(BATCH, content=csv_file([row()]), headers=CSV), 401)


def test_malformed_json_to_the_batch_is_still_400_and_a_bad_document_422(client, landlord):
    headers = {**landlord.headers, "Content-Type": "application/json"}
    assert_problem(client.post(BATCH, content=b"{bad", headers=headers), 400)
    body = assert_problem(client.post(BATCH, content=b'{"notices": []}', headers=headers), 422)
    assert body["errors"][0]["field"] == "notices"
    assert_problem(client.post(BATCH, content=b"", headers=headers), 422)


# ----------------------------------------------------------------------------- the template

def test_the_template_names_every_column_and_its_example_row_is_accepted(client, landlord):
    answer = client.get(TEMPLATE)
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "text/csv; charset=utf-8"
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")
    header = answer.content.decode("utf-8-sig").splitlines()[0].split(";")
    assert header == [c.name for c in csv_batch.COLUMNS]
    assert {"property.street_address", "tenants.0.name", "tenants.3.email", "arrears.amount_sek"} <= set(header)

    results = results_of(post_csv(client, landlord, answer.content))
    assert results[0]["status"] == 201, results[0]
    assert results[0]["receipt"]["external_id"] == "EXEMPEL-2026-0001-20261120"


def test_the_templates_example_is_examples_notice_json_dated_today(client, clock):
    today = local_today(clock())
    from_file = json.loads((EXAMPLES_DIR / "notice.json").read_text(encoding="utf-8"))
    text = client.get(TEMPLATE).content.decode("utf-8-sig")
    parsed = csv_batch.parse(text.encode())
    assert NoticeIn.model_validate(parsed.items[0]) == NoticeIn.model_validate(refresh_example(from_file, today))
    assert parsed.items[0]["sent_on"] == today.isoformat()


def test_a_template_downloaded_today_is_still_accepted_a_year_later(client, landlord, make_landlord, clock):
    downloaded = client.get(TEMPLATE).content
    clock.advance(days=364)
    assert results_of(post_csv(client, landlord, downloaded))[0]["status"] == 201
    clock.advance(days=3)  # more than a year after the day it was dated
    later = results_of(post_csv(client, make_landlord("Annan AB"), downloaded))[0]
    assert later["status"] == 422
    assert later["problem"]["errors"][0] == {"field": "sent_on", "message": "must not be more than one year back"}


def test_openapi_documents_csv_for_the_batch(client):
    document = client.get("/api/v1/openapi.json").json()
    body = document["paths"]["/api/v1/notices/batch"]["post"]["requestBody"]["content"]
    assert set(body) == {"application/json", "text/csv"}
    assert "template.csv" in body["text/csv"]["schema"]["description"]
    assert "/api/v1/notices/template.csv" in document["paths"]
