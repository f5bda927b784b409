"""Test keys (spec "Test keys"): a test key's notices are validated and answered like real ones, with
`"test": true`, but kept apart — in no staff queue, case, intake list, search, report or outbox, never
sent to an outside register or geocoder — and deleted after 30 days. The landlord still sees them."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from app.cases.models import Case, TimelineEvent
from app.deadlines.models import Deadline, DeadlineAlert
from app.households.models import JointAssessmentPart
from app.jobs.geocoding import geocode_unrouted
from app.jobs.households import lookup_households
from app.jobs.purge import purge_expired
from app.jobs.sweep import sweep
from app.notices.models import Notice, Tenant
from app.routing.service import RouterProvider
from app.security import service as accounts
from integrations.geocoding.http import HttpGeocoder
from integrations.population_register.http import HttpPopulationRegister
from notifications.models import OutboxMessage
from tests.conftest import TEST_PASSWORD, LandlordCredentials
from tests.notices.conftest import BATCH, NOTICES, manual_routing_body, notice_body
from tests.support.httpserver import LocalHTTPServer, Reply

PERSON = "19850412-1230"  # the spec example's tenant
CHILDREN = {"children_under_18": 2, "residents_65_or_older": 0, "consent": True}


@pytest.fixture
def test_key(db, settings, landlord) -> LandlordCredentials:
    """A test key of the same landlord as `landlord` (whose key is a real one)."""
    with db() as session:
        issued = accounts.create_landlord_key(session, settings, org_number=landlord.org_number, test=True)
        return LandlordCredentials(landlord.id, landlord.org_number, issued.plaintext, issued.api_key.prefix)


def _send(client, key: LandlordCredentials, body: dict) -> dict:
    answer = client.post(NOTICES, json=body, headers=key.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _case_of(db, notice_id: str) -> Case:
    with db() as session:
        notice = session.get(Notice, uuid.UUID(notice_id))
        return session.get(Case, notice.case_id)


# --------------------------------------------------------------------------- answered like a real notice


def test_a_test_notice_gets_the_same_validation_deadlines_and_receipt_with_test_true(client, landlord, test_key):
    body = notice_body()
    tested = client.post(NOTICES, json=body, headers=test_key.headers)
    assert tested.status_code == 201, tested.text
    assert tested.headers["location"] == f"/api/v1/notices/{tested.json()['id']}"
    # The landlord goes live with the same references it tested with: a new notice, not a retry of the test.
    real = client.post(NOTICES, json=body, headers=landlord.headers)
    assert real.status_code == 201, real.text
    assert tested.json()["test"] is True
    assert "test" not in real.json()  # a real receipt is exactly the published one
    assert tested.json()["id"] != real.json()["id"]
    same = {k: v for k, v in tested.json().items() if k not in ("id", "test")}
    assert same == {k: v for k, v in real.json().items() if k != "id"}
    assert same["status"] == "routed" and same["district"]["code"] == "sodermalm" and len(same["deadlines"]) == 2

    again = client.post(NOTICES, json=body, headers=test_key.headers)
    assert again.status_code == 200 and again.json() == tested.json()  # a retry within the test data
    changed = client.post(NOTICES, json={**body, "sent_on": "2026-11-19"}, headers=test_key.headers)
    assert changed.status_code == 409

    wrong = notice_body({"tenants[0].personal_identity_number": "19850412-1231"}, external_id="T-2")
    refused = [client.post(NOTICES, json=wrong, headers=key.headers) for key in (test_key, landlord)]
    assert [a.status_code for a in refused] == [422, 422]
    assert refused[0].json()["errors"] == refused[1].json()["errors"]

    batch = client.post(BATCH, json={"notices": [notice_body(external_id="T-3"), wrong]}, headers=test_key.headers)
    results = batch.json()["results"]
    assert [r["status"] for r in results] == [201, 422]
    assert results[0]["receipt"]["test"] is True


def test_the_landlord_sees_its_test_notices_in_list_and_get(client, landlord, test_key):
    tested = _send(client, test_key, notice_body(external_id="T-1"))
    real = _send(client, landlord, notice_body(external_id="R-1"))
    for key in (test_key, landlord):
        one = client.get(f"{NOTICES}/{tested['id']}", headers=key.headers)
        assert one.status_code == 200 and one.json() == tested
        listed = client.get(NOTICES, headers=key.headers).json()["items"]
        assert {n["id"]: n.get("test") for n in listed} == {tested["id"]: True, real["id"]: None}
        found = client.get(NOTICES, params={"external_id": "T-1"}, headers=key.headers).json()["items"]
        assert [n["test"] for n in found] == [True]


# --------------------------------------------------------------------------- apart from the staff's work


def test_no_staff_role_sees_a_test_notice_or_its_case(client, landlord, test_key, staff_headers, db):
    tested = _send(client, test_key, notice_body({"household": CHILDREN}, external_id="T-1"))
    unrouted = _send(client, test_key, manual_routing_body(external_id="T-2"))
    assert unrouted["district"] is None
    case_id = _case_of(db, tested["id"]).id
    staff = {
        "handler": staff_headers("hanna", "handler", "sodermalm"),
        "manager": staff_headers("maja", "manager", "sodermalm"),
        "joint_assessor": staff_headers("jonas", "joint_assessor", "sodermalm", "children_families"),
    }
    intake = staff_headers("ines", "intake")
    searches = [{}, {"status": "all"}, {"q": "Anna Andersson"}, {"q": PERSON}, {"q": "Götgatan"}]
    for role, headers in staff.items():
        for params in searches:
            answer = client.get("/api/v1/queue", params=params, headers=headers)
            assert answer.status_code == 200 and answer.json()["items"] == [], (role, params)
        assert client.get(f"/api/v1/cases/{case_id}", headers=headers).status_code == 404, role
    assert client.get("/api/v1/intake", headers=intake).json()["items"] == []
    route = client.post(f"/api/v1/intake/{unrouted['id']}/route", json={"district": "sodermalm"}, headers=intake)
    assert route.status_code == 404

    # The same notices sent for real are all there: the filters above are not empty by accident.
    real = _send(client, landlord, notice_body({"household": CHILDREN}, external_id="T-1"))
    _send(client, landlord, manual_routing_body(external_id="T-2"))
    for role, headers in staff.items():
        for params in searches:
            items = client.get("/api/v1/queue", params=params, headers=headers).json()["items"]
            assert [i["notice_ids"] for i in items] == [[real["id"]]], (role, params)
    assert len(client.get("/api/v1/intake", headers=intake).json()["items"]) == 1


def test_the_managers_overview_counts_no_test_case(client, test_key, make_user):
    _send(client, test_key, notice_body(external_id="T-1"))
    make_user("maja", "manager", "sodermalm")
    form = client.get("/logga-in", headers={"Accept": "text/html"})
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
    client.post("/logga-in", data={"username": "maja", "password": TEST_PASSWORD, "csrf_token": csrf})
    page = client.get("/oversikt", headers={"Accept": "text/html"})
    assert page.status_code == 200
    assert "<td>Ej tilldelade</td><td>0</td>" in page.text
    # Nor does its trend: this month's notices are none (the report's figures leave test data out).
    assert '<tr><th scope="row">Underrättelser</th><td class="num">0</td>' in page.text


def test_test_and_real_notices_never_share_a_case_or_make_a_repeat(client, landlord, test_key, db):
    first_test = _send(client, test_key, notice_body(external_id="T-1"))
    real = _send(client, landlord, notice_body(external_id="R-1"))
    # A person's earlier test notice does not make their first real one a repeat.
    assert "repeat" not in _case_of(db, real["id"]).flags
    second_test = _send(client, test_key, notice_body(external_id="T-2"))
    later_real = _send(client, landlord, notice_body(external_id="R-2"))
    cases = {name: _case_of(db, receipt["id"]) for name, receipt in
             [("T-1", first_test), ("R-1", real), ("T-2", second_test), ("R-2", later_real)]}
    assert cases["R-1"].id == cases["R-2"].id  # the same person's real notices share their case
    assert len({cases["T-1"].id, cases["R-1"].id, cases["T-2"].id}) == 3  # each test notice alone
    assert [cases[n].test for n in ("T-1", "R-1", "T-2")] == [True, False, True]
    with db() as session:
        assert {n.external_id for n in session.get(Case, cases["R-1"].id).notices} == {"R-1", "R-2"}


# --------------------------------------------------------------------------- no message, no outside look-up


def test_a_test_notice_causes_no_message_at_intake_or_from_its_deadlines(client, landlord, test_key, make_user,
                                                                         sessions, db, clock):
    make_user("hanna", "handler", "sodermalm", email="hanna@stad.example")
    make_user("maja", "manager", "sodermalm", email="maja@stad.example")
    make_user("jonas", "joint_assessor", "sodermalm", "children_families", email="jonas@stad.example")
    tested = _send(client, test_key, notice_body({"household": CHILDREN}, external_id="T-1"))
    with db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        timers = session.scalar(select(func.count()).select_from(DeadlineAlert))
    assert timers > 0  # its deadlines are real rows, with timers: the sweep below goes through them

    result = sweep(sessions, now=lambda: clock.now + timedelta(days=40))
    assert result.processed > 0 and result.messages == 0
    test_case = _case_of(db, tested["id"]).id
    with db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0
        missed = session.scalars(select(Deadline.status).where(Deadline.case_id == test_case))
        assert "missed" in set(missed)

    # The same notice sent for real: the digest, the tenant's letter and the joint-assessment request.
    _send(client, landlord, notice_body({"household": CHILDREN}, external_id="T-1"))
    with db() as session:
        templates = set(session.scalars(select(OutboxMessage.template)))
    assert {"new_cases_digest", "tenant_redemption_letter", "joint_assessment_request"} <= templates


def test_test_notices_are_never_sent_to_the_register_or_the_geocoder(client, test_key, sessions, db):
    unknown = notice_body({"household": None, "tenants": [{"name": "Anna Andersson"}]}, external_id="T-1")
    tested = _send(client, test_key, unknown)
    assert _case_of(db, tested["id"]).household_lookup == "pending"  # a real case would be looked up
    _send(client, test_key, manual_routing_body(external_id="T-2"))

    def register(_request):
        return Reply(200, {"residents": []})

    with LocalHTTPServer(register) as server:
        result = lookup_households(sessions, HttpPopulationRegister(server.url, "k", retries=0),
                                   now=datetime.now().astimezone())
        assert server.requests == [] and result.idle

    def geocoder(_request):
        return Reply(200, [])

    with LocalHTTPServer(geocoder) as server:
        result = geocode_unrouted(sessions, HttpGeocoder(server.url, retries=0), RouterProvider("stockholm"),
                                  now=datetime.now().astimezone())
        assert server.requests == [] and result.idle


# --------------------------------------------------------------------------- reports


def test_reports_count_no_test_notice_case_missed_deadline_or_joint_assessment(client, landlord, test_key,
                                                                               staff_headers, sessions, db, clock):
    _send(client, test_key, notice_body({"household": CHILDREN}, external_id="T-1"))
    _requested_now(db, clock.now)
    sweep(sessions, now=lambda: clock.now + timedelta(days=9))  # first contact and budget advice: missed
    clock.set(clock.now + timedelta(days=12))  # December: November is complete
    admin = staff_headers("ada", "admin")
    manager = staff_headers("maja", "manager", "sodermalm")

    def figures(headers, **params):
        answer = client.get("/api/v1/reports/monthly", params={"month": "2026-11", **params}, headers=headers)
        assert answer.status_code == 200, answer.text
        summary = answer.json()
        return (summary["notices"]["received"], summary["cases"]["opened"], summary["timeliness"]
                ["missed_deadlines"]["total"], summary["joint_assessments"]["requested"]["total"])

    for headers, params in ((admin, {}), (admin, {"district": "sodermalm"}), (manager, {})):
        assert figures(headers, **params) == (0, 0, 0, 0), params

    clock.set(clock.now - timedelta(days=12))
    _send(client, landlord, notice_body({"household": CHILDREN}, external_id="T-1"))
    _requested_now(db, clock.now)
    sweep(sessions, now=lambda: clock.now + timedelta(days=9))
    clock.set(clock.now + timedelta(days=12))
    for headers, params in ((admin, {}), (admin, {"district": "sodermalm"}), (manager, {})):
        assert figures(headers, **params) == (1, 1, 2, 1), params


def _requested_now(db, now: datetime) -> None:
    # A joint-assessment part records the wall clock, not the app's pinned one: move it into the month.
    with db() as session:
        for part in session.scalars(select(JointAssessmentPart)):
            part.requested_at = now


# --------------------------------------------------------------------------- deleted after 30 days


def test_test_data_is_deleted_30_days_after_receipt_and_real_data_stays(client, landlord, test_key, sessions,
                                                                       settings, db, clock):
    tested = _send(client, test_key, notice_body({"household": CHILDREN}, external_id="T-1"))
    client.post(f"{NOTICES}/{tested['id']}/events", json={"type": "rent_paid", "occurred_on": "2026-11-20"},
                headers=test_key.headers)
    real = _send(client, landlord, notice_body(external_id="R-1"))
    test_case = _case_of(db, tested["id"]).id

    early = purge_expired(sessions, settings, now=clock.now + timedelta(days=30) - timedelta(seconds=1))
    assert early.test_notices == 0
    assert client.get(f"{NOTICES}/{tested['id']}", headers=test_key.headers).status_code == 200

    result = purge_expired(sessions, settings, now=clock.now + timedelta(days=30))
    assert result.test_notices == 1
    assert client.get(f"{NOTICES}/{tested['id']}", headers=test_key.headers).status_code == 404
    assert client.get(f"{NOTICES}/{real['id']}", headers=landlord.headers).json() == real
    with db() as session:
        assert session.scalar(select(func.count()).select_from(Notice).where(Notice.test)) == 0
        assert session.get(Case, test_case) is None
        for model in (Deadline, TimelineEvent):
            assert session.scalar(select(func.count()).select_from(model).where(model.case_id == test_case)) == 0
        assert session.scalar(select(func.count()).select_from(Tenant)) == 1  # the real notice's
        assert session.scalar(select(func.count()).select_from(Notice)) == 1
    # The external_id is free again for the next round of integration tests.
    assert client.post(NOTICES, json=notice_body(external_id="T-1"), headers=test_key.headers).status_code == 201
