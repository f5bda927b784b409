"""Fixtures for the monthly-summary tests."""

from __future__ import annotations

import copy
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from app.calendar import STOCKHOLM
from app.cases import transitions
from app.cases.models import Case
from app.jobs.sweep import sweep
from app.households.models import JointAssessmentPart
from app.notices.models import Notice
from app.notices.schemas import EXAMPLE_NOTICE
from app.security.actors import Actor
from tests.security.helpers import HTML, web_sign_in
from tests.support.people import personnummer


# ----------------------------------------------------------------------------- the October history
#
# One district-month built through the real API, with the app's clock pinned at
# each step and the deadline sweep run at each step (as the scheduler would,
# every minute). Every number the tests expect is worked out by hand in
# tests/reports/expected.py from this timeline (Stockholm time):
#
#   2026-06-15 10:00  Ny  landlord B  disturbance_warning  household 0/0      → case CY (never closed)
#   2026-08-10 10:00  Nx  landlord A  rent_arrears         1 child            → case CX
#   2026-09-30 23:30  N0  landlord B  disturbance_warning  household unknown  → case C0 (apartment 0401)
#   2026-10-01 00:30  N1  landlord A  rent_arrears         2 children         → C1  (22:30 UTC on 30 Sep: October)
#   2026-10-02 10:00  C1 contact, reached
#   2026-10-05 10:00  N2  landlord A  rent_arrears         tenant aged 70     → C2
#   2026-10-08 10:00  C0 closed: referred
#   2026-10-09 10:00  C2 contact, reached (its first-contact deadline was missed on the 7th)
#   2026-10-10 12:00  J1  landlord A  rent_arrears  Järva  1 child            → CJ
#   2026-10-12 09:00  N3  landlord B  disturbance_warning  household 0/0      → C3
#   2026-10-13 09:00  C3 contact, not reached
#   2026-10-14 09:00  C3 contact, not reached (two attempts: first contact met);
#                     Nx: landlord event eviction_executed; CX children_families part completed
#   2026-10-15 10:00  C1 closed: rent_paid
#   2026-10-20 14:00  N4  landlord B  rent_arrears  apartment 0401 again (repeat) → C4;
#                     C2 elderly_care part completed
#   2026-10-22 08:00  sweep (C4's first contact missed)
#   2026-10-27 08:00  sweep (C2's redemption period missed)
#   2026-10-28 16:00  N5  landlord A  disturbance_termination  1 child        → C5
#   2026-10-28 17:00  C5 contact, reached
#   2026-10-30 10:00  C2 closed: evicted; C3 closed: declined_support
#   2026-11-01 00:30  N6  landlord A  rent_arrears                            → C6 (23:30 UTC on 31 Oct: November)
#   2026-11-01 10:00  CX closed: evicted (already counted by the landlord's event)
#   2026-11-02 08:00  sweep; "now" for the reports




ADDRESSES = {
    "sodermalm": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm"},
    "jarva": {"street_address": "Kistagången 12", "postal_code": "164 40", "city": "Kista"},
}
TENANT_NAME = "Tova Testsson"
REPORT_NOW = datetime(2026, 11, 2, 8, 0, tzinfo=STOCKHOLM)


def local(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=STOCKHOLM)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now.astimezone(UTC)

    def __call__(self) -> datetime:
        return self.now


def notice_body(external_id: str, *, day: date, kind: str = "rent_arrears", district: str = "sodermalm",
                apartment: str, pin: str, household: dict[str, Any] | None = None) -> dict[str, Any]:
    body = copy.deepcopy(EXAMPLE_NOTICE)
    body.update(external_id=external_id, kind=kind, sent_on=day.isoformat(), household=household)
    body["property"] = {**ADDRESSES[district], "apartment_number": apartment, "rooms": 2}
    body["tenants"] = [{"name": TENANT_NAME, "personal_identity_number": pin}]
    if kind == "rent_arrears":
        body.update(tenant_served_on=day.isoformat(), termination_on=day.isoformat(), disturbance=None,
                    arrears={"amount_sek": 9000, "due_date": (day - timedelta(days=1)).isoformat(),
                             "payment_instructions": "Bankgiro 123-4567"})
    else:
        body.update(tenant_served_on=None, arrears=None,
                    termination_on=day.isoformat() if kind == "disturbance_termination" else None,
                    disturbance={"description": "Störningar nattetid.", "requested_on": day.isoformat()})
    return body


def household(children: int, seniors: int = 0) -> dict[str, Any]:
    return {"children_under_18": children, "residents_65_or_older": seniors, "consent": True}


@dataclass
class History:
    """What the October history built: notice and case ids by name, and the users' headers."""

    notices: dict[str, str] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    landlord_a: Any = None
    landlord_b: Any = None
    worker: dict[str, str] = field(default_factory=dict)
    clock: Clock | None = None


@pytest.fixture
def history(app, client, db, sessions, landlord, make_landlord, staff_headers) -> History:
    clock = Clock(local(2026, 6, 15, 10))
    app.state.clock = clock
    built = History(landlord_a=landlord, landlord_b=make_landlord("Hyresvärden Söder AB"), clock=clock)
    built.worker = staff_headers("handlaggare", "handler", "sodermalm")  # no email: case work only
    pins = iter(personnummer(date(1980, 1, day), "321") for day in range(1, 29))

    def at(moment: datetime) -> None:
        clock.now = moment.astimezone(UTC)
        sweep(sessions, now=clock)

    def pin_requested_at() -> None:
        # Joint-assessment parts take `requested_at` from the wall clock (JointAssessmentPart's
        # default), not from the app's clock; give the parts just made the pinned time.
        with db() as session:
            session.execute(update(JointAssessmentPart).where(JointAssessmentPart.requested_at > clock.now)
                            .values(requested_at=clock.now))

    def send(name: str, who: Any, **body: Any) -> None:
        answer = client.post("/api/v1/notices", json=notice_body(f"R-{name}", day=clock.now.astimezone(STOCKHOLM)
                                                                 .date(), **body), headers=who.headers)
        assert answer.status_code == 201, answer.text
        built.notices[name] = answer.json()["id"]
        with db() as session:
            built.cases[name] = str(session.get(Notice, uuid.UUID(answer.json()["id"])).case_id)
        pin_requested_at()

    def work(name: str, action: str, body: dict[str, Any]) -> None:
        answer = client.post(f"/api/v1/cases/{built.cases[name]}/{action}", json=body, headers=built.worker)
        assert answer.status_code in (200, 201), answer.text

    def complete_part(name: str, unit: str) -> None:
        with db() as session:
            case = session.get(Case, uuid.UUID(built.cases[name]))
            part = session.scalar(select(JointAssessmentPart).where(JointAssessmentPart.case_id == case.id,
                                                                    JointAssessmentPart.unit == unit))
            assessor = Actor(kind="staff", id=None, name="bedomare", role="joint_assessor", unit=unit)
            transitions.complete_joint_part(session, case, part, "Bedömning klar.", assessor, clock.now)

    a, b = built.landlord_a, built.landlord_b
    at(local(2026, 6, 15, 10))
    send("Ny", b, kind="disturbance_warning", apartment="0701", pin=next(pins), household=household(0))
    at(local(2026, 8, 10, 10))
    send("Nx", a, apartment="0801", pin=next(pins), household=household(1))
    at(local(2026, 9, 30, 23, 30))
    send("N0", b, kind="disturbance_warning", apartment="0401", pin=next(pins))
    at(local(2026, 10, 1, 0, 30))
    send("N1", a, apartment="0101", pin=next(pins), household=household(2))
    at(local(2026, 10, 2, 10))
    work("N1", "contacts", {"channel": "phone", "reached": True})
    at(local(2026, 10, 5, 10))
    send("N2", a, apartment="0201", pin=personnummer(date(1956, 3, 2), "321"))
    at(local(2026, 10, 8, 10))
    work("N0", "close", {"outcome": "referred"})
    at(local(2026, 10, 9, 10))
    work("N2", "contacts", {"channel": "home_visit", "reached": True})
    at(local(2026, 10, 10, 12))
    send("J1", a, district="jarva", apartment="1001", pin=next(pins), household=household(1))
    at(local(2026, 10, 12, 9))
    send("N3", b, kind="disturbance_warning", apartment="0301", pin=next(pins), household=household(0))
    at(local(2026, 10, 13, 9))
    work("N3", "contacts", {"channel": "letter", "reached": False})
    at(local(2026, 10, 14, 9))
    work("N3", "contacts", {"channel": "phone", "reached": False})
    answer = client.post(f"/api/v1/notices/{built.notices['Nx']}/events",
                         json={"type": "eviction_executed", "occurred_on": "2026-10-14"}, headers=a.headers)
    assert answer.status_code == 201, answer.text
    complete_part("Nx", "children_families")
    at(local(2026, 10, 15, 10))
    work("N1", "close", {"outcome": "rent_paid"})
    at(local(2026, 10, 20, 14))
    send("N4", b, apartment="0401", pin=next(pins))
    complete_part("N2", "elderly_care")
    at(local(2026, 10, 22, 8))
    at(local(2026, 10, 27, 8))
    at(local(2026, 10, 28, 16))
    send("N5", a, kind="disturbance_termination", apartment="0501", pin=next(pins), household=household(1))
    at(local(2026, 10, 28, 17))
    work("N5", "contacts", {"channel": "phone", "reached": True})
    at(local(2026, 10, 30, 10))
    work("N2", "close", {"outcome": "evicted"})
    work("N3", "close", {"outcome": "declined_support"})
    at(local(2026, 11, 1, 0, 30))
    send("N6", a, apartment="0601", pin=next(pins))
    at(local(2026, 11, 1, 10))
    work("Nx", "close", {"outcome": "evicted"})
    at(REPORT_NOW)
    return built


@pytest.fixture
def browser_of(app, make_user):
    """A signed-in browser (its own cookie jar) of a new user."""

    def make(username: str, role: str, district: str | None = None, unit: str | None = None) -> TestClient:
        make_user(username, role, district, unit)
        client = TestClient(app)
        assert web_sign_in(client, username).status_code == 303
        client.headers.update(HTML)
        return client

    return make
