"""The OpenAPI document says everything: security schemes, a description on every operation and nearly
every field, every error as problem+json, stable operation ids, patterns and formats, and the examples
of `examples/`."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from app.demo import EXAMPLES_DIR
from app.identity import IdentityNumberError, parse_identity_number, parse_org_number

PROBLEM = "application/problem+json"
OPENAPI = "/api/v1/openapi.json"


@pytest.fixture
def document(client) -> dict:
    answer = client.get(OPENAPI)
    assert answer.status_code == 200
    return answer.json()


def _operations(document: dict):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            yield path, method, operation


# --------------------------------------------------------------------------- the document


def test_every_caller_has_a_bearer_scheme_and_each_route_names_its_own(document):
    schemes = document["components"]["securitySchemes"]
    assert {name: (s["type"], s["scheme"]) for name, s in schemes.items()} == {
        "LandlordKey": ("http", "bearer"), "StaffToken": ("http", "bearer"), "AuthorityKey": ("http", "bearer")}
    security = {(path, method): op.get("security") for path, method, op in _operations(document)}
    assert security[("/api/v1/notices", "post")] == [{"LandlordKey": []}]
    assert security[("/api/v1/notices/{notice_id}", "get")] == [{"LandlordKey": []}]
    assert security[("/api/v1/queue", "get")] == [{"StaffToken": []}]
    assert security[("/api/v1/admin/users", "post")] == [{"StaffToken": []}]
    assert security[("/api/v1/kronofogden/eviction-notices", "post")] == [{"AuthorityKey": []}]
    assert security[("/api/v1/auth/token", "post")] is None  # where the staff token comes from
    # Public on purpose: where the staff token comes from, and the CSV template (no one's data).
    public = {("/api/v1/auth/token", "post"), ("/api/v1/notices/template.csv", "get")}
    assert security[("/api/v1/notices/template.csv", "get")] is None
    for (path, method), required in security.items():
        if path.startswith("/api/v1/") and (path, method) not in public:
            assert required, (path, method)


def test_every_operation_has_a_stable_readable_id_summary_and_description(document):
    ids = {(path, method): op["operationId"] for path, method, op in _operations(document)}
    assert len(set(ids.values())) == len(ids)
    for (path, method), operation_id in ids.items():
        assert re.fullmatch(r"[a-z]+(?:[A-Z][a-z]+)*", operation_id), (path, method, operation_id)
    published = {
        ("/api/v1/notices", "post"): "sendNotice",
        ("/api/v1/notices/batch", "post"): "sendNoticeBatch",
        ("/api/v1/notices", "get"): "listNotices",
        ("/api/v1/notices/{notice_id}", "get"): "getNotice",
        ("/api/v1/notices/{notice_id}/events", "post"): "reportNoticeEvent",
        ("/api/v1/queue", "get"): "getQueue",
        ("/api/v1/cases/{case_id}", "get"): "getCase",
        ("/api/v1/intake", "get"): "listUnroutedNotices",
        ("/api/v1/intake/{notice_id}/route", "post"): "routeNotice",
        ("/api/v1/reports/monthly", "get"): "getMonthlyReport",
        ("/api/v1/kronofogden/eviction-notices", "post"): "receiveEvictionNotice",
        ("/api/v1/auth/token", "post"): "issueStaffToken",
    }
    assert {key: ids[key] for key in published} == published
    for path, method, operation in _operations(document):
        assert operation.get("summary") and operation.get("description"), (path, method)
        for parameter in operation.get("parameters", []):
            assert parameter.get("description"), (path, method, parameter["name"])


def test_nearly_every_field_is_described(document):
    properties = [(name, prop, schema) for name, model in document["components"]["schemas"].items()
                  for prop, schema in model.get("properties", {}).items()]
    described = [p for p in properties if p[2].get("description")]
    assert len(properties) > 150
    assert len(described) / len(properties) >= 0.95, [f"{n}.{p}" for n, p, s in properties if s not in
                                                      [d[2] for d in described]]
    notice = document["components"]["schemas"]["NoticeIn"]["properties"]
    assert "JB 12 kap. 44 §" in notice["kind"]["description"]  # the domain's words where they are the law's
    assert "underrättelse" in notice["sent_on"]["description"]


def test_every_error_is_problem_json_and_each_route_declares_what_it_can_answer(document):
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["properties"]) == {"type", "title", "status", "detail", "errors", "request_id"}
    assert set(problem["required"]) == {"type", "title", "status", "request_id"}
    assert "HTTPValidationError" not in document["components"]["schemas"]
    for path, method, operation in _operations(document):
        for status, response in operation["responses"].items():
            if int(status) >= 400:
                assert response["description"], (path, method, status)
                assert list(response["content"]) == [PROBLEM], (path, method, status)
                assert response["content"][PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
    declared = {(path, method): set(op["responses"]) for path, method, op in _operations(document)}
    assert {"201", "200", "400", "401", "409", "413", "415", "422", "429", "503"} <= declared[
        ("/api/v1/notices", "post")]
    assert {"401", "404", "422", "429", "503"} <= declared[("/api/v1/notices/{notice_id}", "get")]
    assert {"401", "403", "404", "409", "422", "503"} <= declared[("/api/v1/cases/{case_id}/close", "post")]
    assert "404" not in declared[("/api/v1/notices", "post")] and "409" not in declared[("/api/v1/notices", "get")]
    retry = document["paths"]["/api/v1/notices"]["post"]["responses"]["429"]["headers"]
    assert "Retry-After" in retry


def test_the_examples_are_the_files_of_examples(document):
    def body(path: str) -> dict:
        return document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["examples"]

    for path, name in [("/api/v1/notices", "notice"), ("/api/v1/notices/batch", "batch"),
                       ("/api/v1/notices/{notice_id}/events", "event")]:
        example = body(path)[name]
        assert example["summary"]
        assert example["value"] == json.loads((EXAMPLES_DIR / f"{name}.json").read_text(encoding="utf-8"))


def test_patterns_and_formats_describe_what_validation_accepts(document):
    schemas = document["components"]["schemas"]
    postal = schemas["PropertyIn"]["properties"]["postal_code"]["pattern"]
    identity = schemas["TenantIn"]["properties"]["personal_identity_number"]["pattern"]
    org = schemas["KfLandlord"]["properties"]["org_number"]["pattern"]
    assert schemas["NoticeIn"]["properties"]["sent_on"]["format"] == "date"
    assert schemas["ArrearsIn"]["properties"]["due_date"]["format"] == "date"
    assert schemas["EventIn"]["properties"]["eviction_at"]["anyOf"][0]["format"] == "date-time"
    for good in ("118 46", "11846"):
        assert re.fullmatch(postal, good)
    for bad in ("1184", "118-46", "ABC 12"):
        assert not re.fullmatch(postal, bad)
    # Every number validation accepts has the documented shape (the pattern is not the whole rule:
    # checksum and date decide too).
    accepted = 0
    for number in ("19850412-1230", "850412-1230", "198504121230", "19121212+1212", "8504121230"):
        try:
            parse_identity_number(number, today=date(2026, 11, 20))
        except IdentityNumberError:
            continue
        accepted += 1
        assert re.fullmatch(identity, number), number
    assert accepted >= 4
    assert not re.fullmatch(identity, "85-04-12-1230")
    for number in ("556035-9555", "5560359555", "165560359555"):
        parse_org_number(number)
        assert re.fullmatch(org, number)
