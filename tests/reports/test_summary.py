"""The summary's numbers, each worked out by hand (tests/reports/expected.py), through the API."""

from __future__ import annotations

from app.reports.summary import Month, compute_summary
from app.routing.districts import district_by_code
from tests.reports.conftest import REPORT_NOW
from tests.reports.expected import CITY_OCTOBER, SODERMALM_OCTOBER

REPORT = "/api/v1/reports/monthly"


def test_the_managers_october_at_a_glance(history, client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    answer = client.get(REPORT, params={"month": "2026-10", "district": "sodermalm"}, headers=manager)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/json"
    assert answer.json() == SODERMALM_OCTOBER


def test_without_district_a_manager_gets_their_own(history, client, staff_headers):
    manager = staff_headers("chef", "manager", "sodermalm")
    answer = client.get(REPORT, params={"month": "2026-10"}, headers=manager)
    assert answer.status_code == 200, answer.text
    assert answer.json() == SODERMALM_OCTOBER


def test_the_whole_city_for_an_admin(history, client, staff_headers):
    admin = staff_headers("admin1", "admin")
    answer = client.get(REPORT, params={"month": "2026-10"}, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json() == CITY_OCTOBER
    # An admin may also read any one district: the same numbers the district's manager sees.
    answer = client.get(REPORT, params={"month": "2026-10", "district": "sodermalm"}, headers=admin)
    assert answer.json() == SODERMALM_OCTOBER


def test_month_boundaries_are_stockholm_midnight(history, client, staff_headers):
    """N0 came at 23:30 on 30 September (21:30 UTC), N6 at 00:30 on 1 November (23:30 UTC on 31 October)."""
    manager = staff_headers("chef", "manager", "sodermalm")
    september = client.get(REPORT, params={"month": "2026-09"}, headers=manager).json()
    assert september["notices"]["received"] == 1
    assert september["cases"] == {"opened": 1, "closed": 0, "closed_by_outcome": {
        **SODERMALM_OCTOBER["cases"]["closed_by_outcome"], "referred": 0, "rent_paid": 0, "evicted": 0,
        "declined_support": 0}}
    assert september["period_start"] == "2026-09-01T00:00:00+02:00"
    assert september["backlog"] == {"as_of": "2026-10-01T00:00:00+02:00", "total": 3,  # CY, CX, C0
                                    "by_age": {"0-7": 1, "8-30": 0, "31-90": 1, "over_90": 1}}
    # November is running: counted up to now (2 Nov 08:00); CX was closed as evicted on 1 Nov, but the
    # landlord reported its eviction in October, where it is counted — once.
    november = client.get(REPORT, params={"month": "2026-11"}, headers=manager).json()
    assert november["notices"] == {"received": 1, "by_kind": {"rent_arrears": 1, "disturbance_warning": 0,
                                                              "disturbance_termination": 0},
                                   "by_landlord": [{"landlord": "Bostadsbolaget AB", "count": 1}]}
    assert november["cases"]["closed"] == 1 and november["cases"]["closed_by_outcome"]["evicted"] == 1
    assert november["evictions"] == {"carried_out": 0, "children_affected": 0, "age_65_plus_affected": 0}
    assert november["backlog"]["as_of"] == "2026-11-02T08:00:00+01:00"
    assert november["backlog"]["total"] == 4  # CY, C4, C5, C6
    assert [p["month"] for p in november["trend"]][-2:] == ["2026-10", "2026-11"]
    assert november["trend"][-2] == SODERMALM_OCTOBER["trend"][-1]


def test_the_trend_agrees_with_each_months_own_numbers(history, db):
    with db() as session:
        district = district_by_code(session, "sodermalm")
        october = compute_summary(session, Month(2026, 10), district, now=REPORT_NOW)
        for point in october.trend:
            month = compute_summary(session, Month.parse(point.month), district, now=REPORT_NOW)
            assert (point.notices_received, point.cases_opened, point.evictions, point.missed_deadlines) == (
                month.notices.received, month.cases.opened, month.evictions.carried_out,
                month.timeliness.missed_deadlines.total), point.month


def test_flags_are_matched_as_whole_json_elements(history, db, client, staff_headers):
    """`children` must not match another flag that merely contains the word."""
    from sqlalchemy import select

    from app.cases.models import Case
    from app.reports.summary import has_flag

    with db() as session:
        case = session.scalar(select(Case).where(Case.id == _uuid(history.cases["N3"])))
        case.flags = ["children_checked", "not_age_65_plus_"]
    with db() as session:
        assert session.scalar(select(Case.id).where(Case.id == case.id, has_flag("children"))) is None
        assert session.scalar(select(Case.id).where(Case.id == case.id, has_flag("age_65_plus"))) is None
        assert session.scalar(select(Case.id).where(Case.id == case.id, has_flag("children_checked"))) == case.id
    manager = staff_headers("chef", "manager", "sodermalm")
    answer = client.get(REPORT, params={"month": "2026-10"}, headers=manager).json()
    assert answer["households"] == SODERMALM_OCTOBER["households"]


def _uuid(text: str):
    import uuid

    return uuid.UUID(text)


def test_notices_no_district_could_take_count_for_the_city_only(history, client, staff_headers, app):
    """An address the postal-code table cannot route (111 52, shared by three districts) waits for intake."""
    from datetime import date

    from tests.reports.conftest import local, notice_body
    from tests.support.people import personnummer

    app.state.clock = lambda: local(2026, 10, 16, 11)
    body = notice_body("R-unrouted", day=local(2026, 10, 16).date(), apartment="1601",
                       pin=personnummer(date(1980, 2, 15), "321"))
    body["property"] = {"street_address": "Vasagatan 10", "postal_code": "111 52", "city": "Stockholm",
                        "apartment_number": "1601", "rooms": 2}
    answer = client.post("/api/v1/notices", json=body, headers=history.landlord_b.headers)
    assert answer.status_code == 201 and answer.json()["district"] is None, answer.text
    app.state.clock = history.clock

    admin = staff_headers("admin1", "admin")
    city = client.get(REPORT, params={"month": "2026-10"}, headers=admin).json()
    assert city["notices"]["received"] == CITY_OCTOBER["notices"]["received"] + 1
    assert city["cases"]["opened"] == CITY_OCTOBER["cases"]["opened"] + 1
    assert city["by_district"][-1] == {"code": None, "name": "Ej fördelade till stadsdel",
                                       "notices_received": 1, "cases_opened": 1}
    assert city["by_district"][:-1] == CITY_OCTOBER["by_district"]
    manager = staff_headers("chef", "manager", "sodermalm")
    assert client.get(REPORT, params={"month": "2026-10"}, headers=manager).json() == SODERMALM_OCTOBER
