"""Families with children are offered budget and debt advice within a week: the handler records the offer."""

from __future__ import annotations

import re

from tests.conftest import TEST_PASSWORD

HTML = {"Accept": "text/html"}
CHILDREN = {"children_under_18": 2, "residents_65_or_older": 0, "consent": True}


def _family_case(client, send, notice_body, headers) -> str:
    send(notice_body(household=CHILDREN))
    return client.get("/api/v1/queue", headers=headers).json()["items"][0]["case_id"]


def _offer(case: dict) -> dict:
    return next(d for d in case["deadlines"] if d["kind"] == "budget_advice_offer")


def test_recording_the_offer_meets_the_deadline_once(client, staff_headers, notice_body, send):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _family_case(client, send, notice_body, handler)
    assert _offer(client.get(f"/api/v1/cases/{case_id}", headers=handler).json())["status"] == "pending"
    answer = client.post(f"/api/v1/cases/{case_id}/budget-advice-offer", headers=handler)
    assert answer.status_code == 200, answer.text
    offer = _offer(answer.json())
    assert (offer["status"], offer["resolution"]) == ("met", "offered")
    again = client.post(f"/api/v1/cases/{case_id}/budget-advice-offer", headers=handler)
    assert again.status_code == 422
    assert again.json()["errors"][0]["field"] == "budget_advice_offer"


def test_a_case_without_children_has_no_offer_to_record(client, staff_headers, notice_body, send):
    handler = staff_headers("sara", "handler", "sodermalm")
    send(notice_body(household={"children_under_18": 0, "residents_65_or_older": 0, "consent": True}))
    case_id = client.get("/api/v1/queue", headers=handler).json()["items"][0]["case_id"]
    assert client.post(f"/api/v1/cases/{case_id}/budget-advice-offer", headers=handler).status_code == 422


def test_the_case_page_offers_the_button_and_says_what_was_saved(client, staff_headers, make_user, notice_body,
                                                                   send):
    handler = staff_headers("sara", "handler", "sodermalm")
    case_id = _family_case(client, send, notice_body, handler)
    form = client.get("/logga-in", headers=HTML)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    signed_in = client.post("/logga-in", data={"username": "sara", "password": TEST_PASSWORD, "csrf_token": csrf},
                            headers=HTML, follow_redirects=False)
    page = client.get(f"/arenden/{case_id}", headers=HTML)
    assert signed_in.status_code == 303 and "/budgetradgivning" in page.text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = client.post(f"/arenden/{case_id}/budgetradgivning", data={"csrf_token": csrf}, headers=HTML)
    assert done.status_code == 200
    assert "Erbjudande om budget- och skuldrådgivning registrerat." in done.text
    assert "/budgetradgivning" not in done.text  # met: no button any more
