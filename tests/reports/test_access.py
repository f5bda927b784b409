"""Who may read which summary, and what a bad request gets (problem+json)."""

from __future__ import annotations

from datetime import datetime

import pytest

from app.calendar import STOCKHOLM

REPORT = "/api/v1/reports/monthly"
PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def november(app):
    app.state.clock = lambda: datetime(2026, 11, 2, 8, 0, tzinfo=STOCKHOLM)


def _problem(answer, status: int) -> dict:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["status"] == status and body["request_id"]
    return body


def test_a_manager_reads_their_own_district_only(client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    own = client.get(REPORT, params={"month": "2026-10", "district": "sodermalm"}, headers=manager)
    assert own.status_code == 200 and own.json()["district"] == {"code": "sodermalm", "name": "Södermalm"}
    assert client.get(REPORT, params={"month": "2026-10"}, headers=manager).json()["district"]["code"] == "sodermalm"
    for other in ("jarva", "no-such-district"):
        for fmt in ("json", "pdf", "csv", "html"):
            _problem(client.get(REPORT, params={"month": "2026-10", "district": other, "format": fmt},
                                headers=manager), 404)


def test_an_admin_reads_any_district_or_the_whole_city(client, staff_headers):
    admin = staff_headers("admin1", "admin")
    city = client.get(REPORT, params={"month": "2026-10"}, headers=admin)
    assert city.status_code == 200 and city.json()["district"] is None
    assert [d["code"] for d in city.json()["by_district"]][:2] == ["bromma", "enskede-arsta-vantor"]
    jarva = client.get(REPORT, params={"month": "2026-10", "district": "jarva"}, headers=admin)
    assert jarva.status_code == 200 and jarva.json()["district"]["code"] == "jarva"
    assert jarva.json()["by_district"] is None
    _problem(client.get(REPORT, params={"month": "2026-10", "district": "atlantis"}, headers=admin), 404)


@pytest.mark.parametrize("role,unit", [("handler", None), ("joint_assessor", "elderly_care"), ("intake", None)])
def test_other_roles_are_not_told_the_reports_exist(client, staff_headers, role, unit):
    district = None if role == "intake" else "sodermalm"
    headers = staff_headers(f"u-{role}", role, district, unit)
    for params in ({"month": "2026-10"}, {"month": "2026-10", "district": "sodermalm"}):
        _problem(client.get(REPORT, params=params, headers=headers), 404)


def test_landlords_and_strangers_are_turned_away(client, landlord):
    _problem(client.get(REPORT, params={"month": "2026-10"}), 401)
    _problem(client.get(REPORT, params={"month": "2026-10"}, headers=landlord.headers), 401)


@pytest.mark.parametrize("month", ["2026-13", "2026-00", "2026-1", "26-10", "oktober", "2026-10-01", "1999-12"])
def test_a_month_that_is_not_one_is_a_422_naming_the_field(client, staff_headers, month):
    manager = staff_headers("chef", "manager", "sodermalm")
    body = _problem(client.get(REPORT, params={"month": month}, headers=manager), 422)
    assert [e["field"] for e in body["errors"]] == ["month"]


def test_a_month_after_the_current_one_is_a_422(client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    body = _problem(client.get(REPORT, params={"month": "2026-12"}, headers=manager), 422)
    assert body["errors"] == [{"field": "month", "message": "must not be after the current month"}]
    # The running month is allowed (counted up to now).
    assert client.get(REPORT, params={"month": "2026-11"}, headers=manager).status_code == 200


def test_an_unknown_format_is_a_422(client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    body = _problem(client.get(REPORT, params={"month": "2026-10", "format": "xlsx"}, headers=manager), 422)
    assert "format" in body["errors"][0]["field"]


def test_without_month_the_last_complete_month(client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    assert client.get(REPORT, headers=manager).json()["month"] == "2026-10"


def test_reading_a_summary_is_audited(client, staff_headers, db):
    from sqlalchemy import select

    from app.security.models import AuditEvent

    manager = staff_headers("chef", "manager", "sodermalm")
    client.get(REPORT, params={"month": "2026-10", "format": "csv"}, headers=manager)
    with db() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "report.monthly"))
        assert event.actor_name == "chef"
        assert event.details == {"month": "2026-10", "format": "csv"}
