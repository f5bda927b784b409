"""The request guard (app/input_guard.py): control characters in paths, query strings and forms.

A NUL there used to be a 500 on PostgreSQL ("text fields cannot contain NUL")
and stored data on SQLite. Now: 422, naming the field, problem+json for API
clients and the Swedish error page for browsers, and nothing stored.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from app.cases.models import Case, ContactAttempt
from app.notices.schemas import EXAMPLE_NOTICE
from app.text import MULTI_LINE_MESSAGE, SINGLE_LINE_MESSAGE
from tests.conftest import TEST_PASSWORD

HTML = {"Accept": "text/html"}
PROBLEM = "application/problem+json"


def _problem_fields(answer) -> list[str]:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith(PROBLEM)
    body = answer.json()
    assert body["type"] == "https://varsel.example/problems/validation"
    assert body["request_id"]
    return [e["field"] for e in body["errors"]]


# --------------------------------------------------------------------------- the API

@pytest.mark.parametrize(("query", "field"), [
    ("external_id=%00", "external_id"),
    ("external_id=a%0Ab", "external_id"),
    ("external_id=ok&cursor=%1F", "cursor"),
    ("external_id=%7F", "external_id"),
    ("%00=1", "\\u0000"),
])
def test_control_characters_in_query_parameters(client, landlord, query, field):
    assert _problem_fields(client.get(f"/api/v1/notices?{query}", headers=landlord.headers)) == [field]


def test_the_message_says_what_is_wrong(client, landlord):
    answer = client.get("/api/v1/notices?external_id=%00", headers=landlord.headers)
    assert answer.json()["errors"] == [{"field": "external_id", "message": SINGLE_LINE_MESSAGE}]


def test_ordinary_unicode_in_the_query_passes(client, landlord):
    answer = client.get("/api/v1/notices?external_id=G%C3%B6tgatan%20%E6%9D%B1", headers=landlord.headers)
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(("path", "field"), [
    ("/api/v1/notices/%00", "notice_id"),
    ("/api/v1/notices/abc%01def", "notice_id"),
])
def test_control_characters_in_path_parameters(client, landlord, path, field):
    assert _problem_fields(client.get(path, headers=landlord.headers)) == [field]


def test_a_path_parameter_of_an_event_post(client, landlord):
    answer = client.post("/api/v1/notices/%00/events", json={"type": "rent_paid", "occurred_on": "2026-11-20"},
                         headers=landlord.headers)
    assert _problem_fields(answer) == ["notice_id"]


def test_a_path_no_route_knows(client):
    assert _problem_fields(client.get("/api/v1/nothing/%00")) == ["(path)"]
    assert _problem_fields(client.get("/static/a%00.css")) == ["(path)"]


def test_staff_query_parameters(client, staff_headers):
    headers = staff_headers("sara", "handler", "sodermalm")
    assert _problem_fields(client.get("/api/v1/queue?flag=%00", headers=headers)) == ["flag"]
    assert _problem_fields(client.get("/api/v1/cases/%00", headers=headers)) == ["case_id"]


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
def test_the_token_form(client, make_user, multipart):
    make_user("sara", "handler", "sodermalm")
    fields = {"username": "sara\x00", "password": TEST_PASSWORD}
    if multipart:
        answer = client.post("/api/v1/auth/token", files={k: (None, v) for k, v in fields.items()})
    else:
        answer = client.post("/api/v1/auth/token", data=fields)
    assert _problem_fields(answer) == ["username"]


# --------------------------------------------------------------------------- the staff web UI

def _sign_in(client, username: str) -> str:
    form = client.get("/logga-in", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/logga-in", data={"username": username, "password": TEST_PASSWORD, "csrf_token": csrf},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    page = client.get(answer.headers["location"], headers=HTML)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


@pytest.fixture
def case_page(client, landlord, make_user, db):
    answer = client.post("/api/v1/notices", json=EXAMPLE_NOTICE, headers=landlord.headers)
    assert answer.status_code == 201, answer.text
    make_user("sara", "handler", "sodermalm")
    csrf = _sign_in(client, "sara")
    with db() as session:
        case_id = session.scalar(select(Case.id))
    return f"/arenden/{case_id}", csrf


def _contacts(db) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(ContactAttempt))


def _swedish_page(answer, field: str) -> None:
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    assert "Kontrollera uppgifterna" in answer.text
    assert f"Kontrollera fälten: {field}." in answer.text


@pytest.mark.parametrize("multipart", [False, True], ids=["urlencoded", "multipart"])
@pytest.mark.parametrize("char", ["\x00", "\x08", "\x7f"], ids=repr)
def test_a_form_field_with_a_control_character_shows_the_swedish_page(client, case_page, db, multipart, char):
    url, csrf = case_page
    fields = {"channel": "phone", "reached": "yes", "note": f"Ringde{char}", "csrf_token": csrf}
    if multipart:
        answer = client.post(f"{url}/kontakt", files={k: (None, v) for k, v in fields.items()}, headers=HTML)
    else:
        answer = client.post(f"{url}/kontakt", data=fields, headers=HTML)
    _swedish_page(answer, "note")
    assert _contacts(db) == 0


def test_the_same_form_from_an_api_client_gets_problem_json(client, case_page, db):
    url, csrf = case_page
    answer = client.post(f"{url}/kontakt", data={"channel": "phone", "note": "a\x00", "csrf_token": csrf})
    assert _problem_fields(answer) == ["note"]
    assert answer.json()["errors"][0]["message"] == MULTI_LINE_MESSAGE
    assert _contacts(db) == 0


def test_a_textarea_keeps_its_line_breaks(client, case_page, db):
    url, csrf = case_page
    answer = client.post(f"{url}/kontakt", headers=HTML, follow_redirects=False,
                         data={"channel": "phone", "reached": "yes", "note": "Rad ett\r\nRad två\tslut",
                               "csrf_token": csrf})
    assert answer.status_code == 303, answer.text
    with db() as session:
        assert session.scalar(select(ContactAttempt.note)) == "Rad ett\r\nRad två\tslut"


def test_page_query_parameters_and_path_parameters(client, case_page):
    url, _csrf = case_page
    _swedish_page(client.get("/ko?flag=%00", headers=HTML), "flag")
    _swedish_page(client.get("/arenden/%00", headers=HTML), "case_id")
    _swedish_page(client.get(f"{url}?ok=%00", headers=HTML), "ok")


def test_admin_path_parameter(client, make_user):
    make_user("admin", "admin")
    csrf = _sign_in(client, "admin")
    answer = client.post("/admin/stadsdelar/soder%00malm", headers=HTML, data={"phone": "08-1", "csrf_token": csrf})
    _swedish_page(answer, "code")
