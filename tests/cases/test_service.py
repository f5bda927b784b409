"""The case service is the one front door: the same rules whether a command comes from the API or a page."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import select

from app.cases import transitions
from app.cases.models import Case
from app.notices.schemas import EXAMPLE_NOTICE
from app.routing.models import District
from app.security.actors import SYSTEM
from tests.conftest import TEST_PASSWORD
from tests.support.people import personnummer

HTML = {"Accept": "text/html"}


def _case(client, send, notice_body, headers) -> str:
    send(notice_body(tenants=[{"name": "Anna", "personal_identity_number": personnummer(date(1985, 4, 12))}]))
    return client.get("/api/v1/queue", headers=headers).json()["items"][0]["case_id"]


def _sign_in(client, username: str) -> str:
    form = client.get("/logga-in", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    answer = client.post("/logga-in", data={"username": username, "password": TEST_PASSWORD, "csrf_token": csrf},
                         headers=HTML, follow_redirects=False)
    page = client.get(answer.headers["location"], headers=HTML)
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def test_a_closed_case_is_reopened_with_a_reason_and_gets_its_future_deadlines_back(client, staff_headers,
                                                                                   notice_body, send):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    closed = client.post(f"/api/v1/cases/{case_id}/close", headers=handler, json={"outcome": "rent_paid"}).json()
    assert {d["kind"]: d["status"] for d in closed["deadlines"]}["redemption_period_end"] == "cancelled"

    assert client.post(f"/api/v1/cases/{case_id}/reopen", headers=handler, json={"reason": ""}).status_code == 422
    answer = client.post(f"/api/v1/cases/{case_id}/reopen", headers=handler,
                         json={"reason": "Hyresvärden meddelar att betalningen inte kom fram."})
    assert answer.status_code == 200, answer.text
    case = answer.json()
    assert case["status"] == "open" and case["outcome"] is None
    redemption = next(d for d in case["deadlines"] if d["kind"] == "redemption_period_end")
    assert redemption["status"] == "pending"
    reopened = [e for e in case["timeline"] if e["type"] == "case_reopened"]
    assert reopened[0]["data"]["reason"] == "Hyresvärden meddelar att betalningen inte kom fram."
    assert "redemption_period_end" in reopened[0]["data"]["deadlines_reinstated"]
    # An open case cannot be reopened; a closed one cannot be worked.
    again = client.post(f"/api/v1/cases/{case_id}/reopen", headers=handler, json={"reason": "igen"})
    assert again.status_code == 409


def test_only_handlers_and_managers_may_reopen(client, staff_headers, notice_body, send):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    client.post(f"/api/v1/cases/{case_id}/close", headers=handler, json={"outcome": "rent_paid"})
    other = staff_headers("kim", "handler", "farsta")
    assert client.post(f"/api/v1/cases/{case_id}/reopen", headers=other, json={"reason": "x"}).status_code == 404
    admin = staff_headers("root", "admin")
    assert client.post(f"/api/v1/cases/{case_id}/reopen", headers=admin, json={"reason": "x"}).status_code == 404


def test_transitions_refuse_to_close_a_closed_case_whoever_calls(client, staff_headers, notice_body, send, db):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    client.post(f"/api/v1/cases/{case_id}/close", headers=handler, json={"outcome": "rent_paid"})
    with db() as session:
        case = session.get(Case, uuid.UUID(case_id))
        with pytest.raises(transitions.NotAllowed):
            transitions.close(session, case, outcome="other", note=None, actor=SYSTEM,
                              now=datetime(2026, 11, 21, tzinfo=timezone.utc))


def _unrouted_notice(client, landlord) -> str:
    answer = client.post("/api/v1/notices", headers=landlord.headers, json={
        **EXAMPLE_NOTICE,
        "external_id": "U-1",
        "property": {"street_address": "Okänd väg 1", "postal_code": "121 32", "city": "Stockholm"},
    })
    assert answer.status_code == 201, answer.text
    assert answer.json()["district"] is None
    return answer.json()["id"]


def _dissolve(db, code: str) -> None:
    with db() as session:
        district = session.scalar(select(District).where(District.code == code))
        district.valid_to = date(2020, 1, 1)


def test_manual_routing_refuses_a_dissolved_district_in_the_api(client, landlord, staff_headers, db):
    notice_id = _unrouted_notice(client, landlord)
    _dissolve(db, "farsta")
    intake = staff_headers("mottagning", "intake")
    answer = client.post(f"/api/v1/intake/{notice_id}/route", headers=intake, json={"district": "farsta"})
    assert answer.status_code == 422
    assert answer.json()["errors"][0]["field"] == "district"


def test_manual_routing_refuses_a_dissolved_district_on_the_page_too(client, landlord, make_user, db):
    notice_id = _unrouted_notice(client, landlord)
    _dissolve(db, "farsta")
    make_user("mottagning", "intake")
    csrf = _sign_in(client, "mottagning")
    answer = client.post(f"/manuell-fordelning/{notice_id}", data={"district": "farsta", "csrf_token": csrf},
                         headers=HTML, follow_redirects=False)
    assert answer.status_code == 422
    assert "Välj en stadsdel." in answer.text
    routed = client.post(f"/manuell-fordelning/{notice_id}", data={"district": "skarpnack", "csrf_token": csrf},
                         headers=HTML, follow_redirects=False)
    assert routed.status_code == 303


def test_a_page_refusal_speaks_swedish_and_the_api_english(client, staff_headers, make_user, notice_body, send):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    api = client.post(f"/api/v1/cases/{case_id}/assign", headers=handler, json={"username": "nobody"})
    assert api.status_code == 422
    assert api.json()["errors"] == [{"field": "username",
                                     "message": "not an active handler or manager of this case's district"}]
    csrf = _sign_in(client, "sara")
    page = client.post(f"/arenden/{case_id}/tilldela", data={"username": "nobody", "csrf_token": csrf},
                       headers=HTML)
    assert page.status_code == 422
    assert "Välj en handläggare i stadsdelen." in page.text


@pytest.mark.parametrize("amount", ["NaN", "Infinity", "-Infinity", "abc"])
def test_a_payment_commitment_amount_that_is_no_number_is_a_form_error(client, staff_headers, notice_body, send,
                                                                       amount):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _case(client, send, notice_body, handler)
    csrf = _sign_in(client, "sara")
    page = client.post(f"/arenden/{case_id}/betalningsatagande", headers=HTML, data={
        "amount_sek": amount, "covers_until": "2026-12-31", "decided_on": "2026-11-20", "csrf_token": csrf})
    assert page.status_code == 422
    assert "Beloppet ska vara ett tal" in page.text
