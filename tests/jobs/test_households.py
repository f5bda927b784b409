"""Who lives there: the population register is asked after commit, and the case follows its answer."""

from __future__ import annotations

import copy
from datetime import datetime, timezone

from sqlalchemy import select

from app.cases.models import Case
from app.jobs.households import lookup_households
from app.notices.schemas import EXAMPLE_NOTICE
from app.security.models import AuditEvent
from integrations.population_register.http import HttpPopulationRegister
from tests.support.httpserver import LocalHTTPServer, Reply

NOW = datetime(2026, 11, 20, 8, 14, 3, tzinfo=timezone.utc)


def _post_unknown_household(app, client, landlord) -> str:
    app.state.clock = lambda: NOW
    body = copy.deepcopy(EXAMPLE_NOTICE)
    body["household"] = None
    body["tenants"] = [{"name": "Anna Andersson"}]
    answer = client.post("/api/v1/notices", json=body, headers=landlord.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()["id"]


def test_the_register_finds_children_and_the_case_escalates(app, client, landlord, sessions, db, staff_headers):
    _post_unknown_household(app, client, landlord)
    with db() as session:
        case = session.scalar(select(Case))
        assert case.household_lookup == "pending"
        assert "household_unknown" in case.flags

    def register(request):
        assert request.path == "/v1/household-lookup"
        assert request.json() == {"street_address": "Götgatan 30", "postal_code": "11846", "apartment_number": "1102"}
        return Reply(200, {"residents": [{"birth_date": "1985-04-12", "coordination_number": False},
                                         {"birth_date": "2015-06-01", "coordination_number": False},
                                         {"birth_date": "2019-01-30", "coordination_number": False}]})

    with LocalHTTPServer(register) as server:
        result = lookup_households(sessions, HttpPopulationRegister(server.url, "k", retries=0), now=NOW)
        assert server.requests[0].headers["authorization"] == "Bearer k"
    assert (result.found, result.not_found, result.unavailable) == (1, 0, 0)
    with db() as session:
        case = session.scalar(select(Case))
        assert case.household_lookup == "done"
        assert case.flags == ["children"]
        assert case.priority == "high"
        assert case.joint_assessment_units == ["children_families"]
        assert case.explanation["flags"]["children"] == "2 barn under 18 år enligt folkbokföringen."
        audits = session.scalars(select(AuditEvent).where(AuditEvent.action == "population_register.household_at"))
        assert [a.details for a in audits] == [{"outcome": "found"}]
    # nothing is asked twice
    with LocalHTTPServer(register) as server:
        lookup_households(sessions, HttpPopulationRegister(server.url, retries=0), now=NOW)
        assert server.requests == []


def test_a_register_that_is_down_is_asked_again_later(app, client, landlord, sessions, db):
    _post_unknown_household(app, client, landlord)
    with LocalHTTPServer(lambda r: Reply(503, {"error": "down"})) as server:
        result = lookup_households(sessions, HttpPopulationRegister(server.url, retries=0, backoff_s=0), now=NOW)
    assert result.unavailable == 1
    with db() as session:
        case = session.scalar(select(Case))
        assert case.household_lookup == "pending"
        assert case.household["register_attempts"] == 1
    with LocalHTTPServer(lambda r: Reply(404, {"error": "no such address"})) as server:
        result = lookup_households(sessions, HttpPopulationRegister(server.url, retries=0), now=NOW)
    assert result.not_found == 1
    with db() as session:
        case = session.scalar(select(Case))
        assert case.household_lookup == "not_found"
        assert "household_unknown" in case.flags  # the handler finds out


def test_the_handler_records_the_household(app, client, landlord, staff_headers):
    _post_unknown_household(app, client, landlord)
    handler = staff_headers("h1", "handler", "sodermalm")
    [item] = client.get("/api/v1/queue", headers=handler).json()["items"]
    answer = client.post(f"/api/v1/cases/{item['case_id']}/household", headers=handler,
                         json={"children_under_18": 0, "residents_65_or_older": 1})
    assert answer.status_code == 200, answer.text
    case = answer.json()
    assert case["flags"] == ["age_65_plus"]
    assert case["explanation"]["flags"]["age_65_plus"] == "1 boende 65 år eller äldre enligt handläggaren."
    assert case["joint_assessment"]["units"] == ["disability", "elderly_care"]
