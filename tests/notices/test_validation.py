"""Every rule of the spec's field table, the fixed error statuses, and "a rejected request stores nothing".

Today is pinned to Fri 2026-11-20 (09:14 in Stockholm) by the autouse `clock` fixture.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, NamedTuple

import pytest

from tests.notices.conftest import (
    BATCH,
    DELETE,
    NOTICES,
    SOLNA_POSTAL_CODE,
    UTC,
    assert_problem,
    deadlines,
    disturbance_body,
    notice_body,
)

VALID_PHONE_MESSAGE = "not a valid phone number (e.g. +46701234567 or 08-123 456 00)"
POSTAL_MESSAGE = "must be five digits, written 'NNN NN' or 'NNNNN'"
DATE_FORMAT_MESSAGE = "must be a date written YYYY-MM-DD"
MONEY_TYPE_MESSAGE = "must be a JSON number (SEK, at most two decimals)"
PIN_FORMAT_MESSAGE = "must be 10 or 12 digits: YYMMDD-NNNC, YYMMDD+NNNC, YYMMDDNNNC, YYYYMMDD-NNNC or YYYYMMDDNNNC"


class Case(NamedTuple):
    id: str
    make: Callable[[], Any]
    status: int
    error: tuple[str, str] | None  # (field, message) that must be among `errors`


def rent(overrides: dict[str, Any] | None = None, **top: Any) -> Callable[[], dict[str, Any]]:
    return lambda: notice_body(overrides, **top)


def dist(kind: str = "disturbance_warning", overrides: dict[str, Any] | None = None,
         **top: Any) -> Callable[[], dict[str, Any]]:
    def make() -> dict[str, Any]:
        body = disturbance_body(kind)
        return notice_body({**{k: v for k, v in body.items()}, **(overrides or {})}, **top)
    return make


def tenants(count: int) -> list[dict[str, Any]]:
    return [{"name": f"Hyresgäst {i}"} for i in range(count)]


ARREARS = notice_body()["arrears"]
X = "x"

CASES = [
    # ------------------------------------------------------------------ external_id
    Case("external_id empty", rent(external_id=""), 422,
         ("external_id", "String should have at least 1 character")),
    Case("external_id 101 chars", rent(external_id=X * 101), 422,
         ("external_id", "String should have at most 100 characters")),
    Case("external_id 100 chars", rent(external_id=X * 100), 201, None),
    Case("external_id missing", rent(external_id=DELETE), 422, ("external_id", "field required")),
    Case("external_id a number", rent(external_id=123), 422, ("external_id", "Input should be a valid string")),
    # ------------------------------------------------------------------ kind
    Case("kind unknown", rent(kind="eviction"), 422,
         ("kind", "Input should be 'rent_arrears', 'disturbance_warning' or 'disturbance_termination'")),
    Case("kind missing", rent(kind=DELETE), 422, ("kind", "field required")),
    # ------------------------------------------------------------------ sent_on
    Case("sent_on tomorrow", rent(sent_on="2026-11-21"), 422, ("sent_on", "must not be in the future")),
    Case("sent_on today", rent(sent_on="2026-11-20"), 201, None),
    Case("sent_on more than a year back",
         rent({"arrears.due_date": "2025-10-31"}, sent_on="2025-11-19", tenant_served_on=None), 422,
         ("sent_on", "must not be more than one year back")),
    Case("sent_on exactly a year back",
         rent({"arrears.due_date": "2025-10-31"}, sent_on="2025-11-20", tenant_served_on=None), 201, None),
    Case("sent_on not a date", rent(sent_on="20-11-2026"), 422, ("sent_on", DATE_FORMAT_MESSAGE)),
    Case("sent_on with slashes", rent(sent_on="2026/11/20"), 422, ("sent_on", DATE_FORMAT_MESSAGE)),
    Case("sent_on a number", rent(sent_on=20261120), 422, ("sent_on", DATE_FORMAT_MESSAGE)),
    Case("sent_on a timestamp", rent(sent_on="2026-11-20T09:00:00+01:00"), 422, ("sent_on", DATE_FORMAT_MESSAGE)),
    Case("sent_on 30 February", rent(sent_on="2026-02-30"), 422, ("sent_on", "not a real calendar date")),
    Case("sent_on missing", rent(sent_on=DELETE), 422, ("sent_on", "field required")),
    # ------------------------------------------------------------------ tenant_served_on
    Case("tenant_served_on on disturbance_warning", dist(tenant_served_on="2026-11-19"), 422,
         ("tenant_served_on", "only for kind rent_arrears")),
    Case("tenant_served_on on disturbance_termination", dist("disturbance_termination", tenant_served_on="2026-11-19"),
         422, ("tenant_served_on", "only for kind rent_arrears")),
    Case("tenant_served_on tomorrow", rent(tenant_served_on="2026-11-21"), 422,
         ("tenant_served_on", "must not be in the future")),
    Case("tenant_served_on today", rent(tenant_served_on="2026-11-20"), 201, None),
    Case("tenant_served_on null", rent(tenant_served_on=None), 201, None),
    Case("tenant_served_on absent", rent(tenant_served_on=DELETE), 201, None),
    Case("tenant_served_on not a date", rent(tenant_served_on="19/11/2026"), 422,
         ("tenant_served_on", DATE_FORMAT_MESSAGE)),
    # ------------------------------------------------------------------ termination_on
    Case("termination_on tomorrow", rent(termination_on="2026-11-21"), 422,
         ("termination_on", "must not be in the future")),
    Case("termination_on tomorrow on disturbance_termination",
         dist("disturbance_termination", termination_on="2026-11-21"), 422,
         ("termination_on", "must not be in the future")),
    Case("termination_on missing for disturbance_termination", dist("disturbance_termination", termination_on=None),
         422, ("termination_on", "required for disturbance_termination")),
    Case("termination_on absent for disturbance_termination",
         dist("disturbance_termination", termination_on=DELETE), 422,
         ("termination_on", "required for disturbance_termination")),
    Case("termination_on present for disturbance_warning", dist(termination_on="2026-11-18"), 422,
         ("termination_on", ("must be omitted for disturbance_warning: no termination may precede "
                             "the notice to the committee (JB 12 kap. 42 § tredje stycket)"))),
    Case("termination_on optional for rent_arrears", rent(termination_on=DELETE), 201, None),
    # ------------------------------------------------------------------ property
    Case("street_address 1 char", rent({"property.street_address": "G"}), 422,
         ("property.street_address", "String should have at least 2 characters")),
    Case("street_address 2 chars", rent({"property.street_address": "G1"}), 201, None),
    Case("street_address 201 chars", rent({"property.street_address": X * 201}), 422,
         ("property.street_address", "String should have at most 200 characters")),
    Case("street_address 200 chars", rent({"property.street_address": "Götgatan 30" + X * 189}), 201, None),
    Case("street_address missing", rent({"property.street_address": DELETE}), 422,
         ("property.street_address", "field required")),
    Case("postal_code 4 digits", rent({"property.postal_code": "1184"}), 422, ("property.postal_code", POSTAL_MESSAGE)),
    Case("postal_code with a dash", rent({"property.postal_code": "118-46"}), 422,
         ("property.postal_code", POSTAL_MESSAGE)),
    Case("postal_code letters", rent({"property.postal_code": "ABC DE"}), 422, ("property.postal_code", POSTAL_MESSAGE)),
    Case("postal_code 6 digits", rent({"property.postal_code": "118 466"}), 422,
         ("property.postal_code", POSTAL_MESSAGE)),
    Case("postal_code a number", rent({"property.postal_code": 11846}), 422,
         ("property.postal_code", "Input should be a valid string")),
    Case("postal_code NNNNN", rent({"property.postal_code": "11846"}), 201, None),
    Case("postal_code NNN NN", rent({"property.postal_code": "118 46"}), 201, None),
    Case("postal_code missing", rent({"property.postal_code": DELETE}), 422, ("property.postal_code", "field required")),
    Case("city missing", rent({"property.city": DELETE}), 422, ("property.city", "field required")),
    Case("city empty", rent({"property.city": ""}), 422,
         ("property.city", "String should have at least 1 character")),
    Case("apartment_number 2 digits", rent({"property.apartment_number": "12"}), 422,
         ("property.apartment_number", "String should match pattern '^[0-9]{4}$'")),
    Case("apartment_number 5 digits", rent({"property.apartment_number": "12345"}), 422,
         ("property.apartment_number", "String should match pattern '^[0-9]{4}$'")),
    Case("apartment_number omitted", rent({"property.apartment_number": DELETE}), 201, None),
    Case("rooms 0", rent({"property.rooms": 0}), 422,
         ("property.rooms", "Input should be greater than or equal to 1")),
    Case("rooms 21", rent({"property.rooms": 21}), 422,
         ("property.rooms", "Input should be less than or equal to 20")),
    Case("rooms as a string is not coerced", rent({"property.rooms": "2"}), 422,
         ("property.rooms", "Input should be a valid integer")),
    Case("rooms 2.5", rent({"property.rooms": 2.5}), 422, ("property.rooms", "Input should be a valid integer")),
    Case("rooms 1", rent({"property.rooms": 1}), 201, None),
    Case("rooms 20", rent({"property.rooms": 20}), 201, None),
    Case("rooms null", rent({"property.rooms": None}), 201, None),
    Case("lat 91", rent({"property.coordinates.lat": 91}), 422,
         ("property.coordinates.lat", "Input should be less than or equal to 90")),
    Case("lon -181", rent({"property.coordinates.lon": -181}), 422,
         ("property.coordinates.lon", "Input should be greater than or equal to -180")),
    Case("lat as a string", rent({"property.coordinates.lat": "59.3"}), 422,
         ("property.coordinates.lat", "must be a number (WGS84 decimal degrees)")),
    Case("lon missing", rent({"property.coordinates.lon": DELETE}), 422,
         ("property.coordinates.lon", "field required")),
    Case("coordinates null", rent({"property.coordinates": None}), 201, None),
    Case("property missing", rent(property=DELETE), 422, ("property", "field required")),
    # ------------------------------------------------------------------ tenants
    Case("tenants empty", rent(tenants=[]), 422,
         ("tenants", "List should have at least 1 item after validation, not 0")),
    Case("5 tenants", rent(tenants=tenants(5)), 422,
         ("tenants", "List should have at most 4 items after validation, not 5")),
    Case("4 tenants", rent(tenants=tenants(4)), 201, None),
    Case("tenants missing", rent(tenants=DELETE), 422, ("tenants", "field required")),
    Case("tenant name missing", rent({"tenants[0].name": DELETE}), 422, ("tenants[0].name", "field required")),
    Case("second tenant name missing", rent(tenants=[{"name": "Anna"}, {"phone": "+46701234567"}]), 422,
         ("tenants[1].name", "field required")),
    Case("tenant name empty", rent({"tenants[0].name": ""}), 422,
         ("tenants[0].name", "String should have at least 1 character")),
    Case("tenant name 201 chars", rent({"tenants[0].name": X * 201}), 422,
         ("tenants[0].name", "String should have at most 200 characters")),
    Case("tenant name 200 chars", rent({"tenants[0].name": X * 200}), 201, None),
    Case("personnummer bad checksum", rent({"tenants[0].personal_identity_number": "19850412-1231"}), 422,
         ("tenants[0].personal_identity_number", "checksum does not match")),
    Case("personnummer 12 digits no separator", rent({"tenants[0].personal_identity_number": "198504121230"}),
         201, None),
    Case("personnummer 10 digits", rent({"tenants[0].personal_identity_number": "8504121230"}), 201, None),
    Case("personnummer 10 digits with -", rent({"tenants[0].personal_identity_number": "850412-1230"}), 201, None),
    Case("samordningsnummer (day + 60)", rent({"tenants[0].personal_identity_number": "19850472-1237"}), 201, None),
    Case("10 digits with + (100 or older)", rent({"tenants[0].personal_identity_number": "250301+4561"}), 201, None),
    # The contract now follows the open personnummer libraries: '+' in the 12-digit form is accepted
    # when true (101 years old on 2026-11-20), refused for anyone younger, and serial 000 is never issued.
    Case("+ in the 12-digit form, 100 or older", rent({"tenants[0].personal_identity_number": "19250301+4561"}),
         201, None),
    Case("+ in the 12-digit form, under 100", rent({"tenants[0].personal_identity_number": "19850412+1230"}), 422,
         ("tenants[0].personal_identity_number", "the + separator is only used for a person aged a hundred or more")),
    Case("personnummer with serial 000", rent({"tenants[0].personal_identity_number": "19850412-0000"}), 422,
         ("tenants[0].personal_identity_number", "a serial number of all zeros is never issued")),
    Case("personnummer not a calendar date", rent({"tenants[0].personal_identity_number": "19850230-1230"}), 422,
         ("tenants[0].personal_identity_number", "not a real calendar date")),
    Case("personnummer born in the future", rent({"tenants[0].personal_identity_number": "20300101-1232"}), 422,
         ("tenants[0].personal_identity_number", "birth date is in the future")),
    Case("personnummer too short", rent({"tenants[0].personal_identity_number": "850412-123"}), 422,
         ("tenants[0].personal_identity_number", PIN_FORMAT_MESSAGE)),
    Case("personnummer as a number", rent({"tenants[0].personal_identity_number": 8504121230}), 422,
         ("tenants[0].personal_identity_number", "Input should be a valid string")),
    Case("bad checksum on the second tenant",
         rent(tenants=[{"name": "Anna"}, {"name": "Bo", "personal_identity_number": "19850412-1231"}]), 422,
         ("tenants[1].personal_identity_number", "checksum does not match")),
    Case("personnummer omitted", rent({"tenants[0].personal_identity_number": DELETE}), 201, None),
    Case("tenant phone invalid", rent({"tenants[0].phone": "12"}), 422, ("tenants[0].phone", VALID_PHONE_MESSAGE)),
    Case("tenant phone letters", rent({"tenants[0].phone": "ring mig"}), 422,
         ("tenants[0].phone", VALID_PHONE_MESSAGE)),
    Case("tenant email invalid", rent({"tenants[0].email": "anna@"}), 422,
         ("tenants[0].email", "not a valid email address")),
    Case("tenant email without domain dot", rent({"tenants[0].email": "anna@example"}), 422,
         ("tenants[0].email", "not a valid email address")),
    # ------------------------------------------------------------------ household
    Case("children negative", rent({"household.children_under_18": -1}), 422,
         ("household.children_under_18", "Input should be greater than or equal to 0")),
    Case("65+ negative", rent({"household.residents_65_or_older": -1}), 422,
         ("household.residents_65_or_older", "Input should be greater than or equal to 0")),
    Case("children as a string", rent({"household.children_under_18": "2"}), 422,
         ("household.children_under_18", "Input should be a valid integer")),
    Case("consent missing", rent({"household.consent": DELETE}), 422, ("household.consent", "field required")),
    Case("consent as a string", rent({"household.consent": "yes"}), 422,
         ("household.consent", "Input should be a valid boolean")),
    Case("counts unknown (null)", rent({"household.children_under_18": None, "household.residents_65_or_older": None}),
         201, None),
    Case("household omitted", rent(household=DELETE), 201, None),
    Case("household null", rent(household=None), 201, None),
    # ------------------------------------------------------------------ arrears
    Case("arrears null for rent_arrears", rent(arrears=None), 422, ("arrears", "required for rent_arrears")),
    Case("arrears absent for rent_arrears", rent(arrears=DELETE), 422, ("arrears", "required for rent_arrears")),
    Case("arrears on disturbance_warning", dist(arrears=ARREARS), 422,
         ("arrears", "must be omitted for disturbance_warning")),
    Case("arrears on disturbance_termination", dist("disturbance_termination", arrears=ARREARS), 422,
         ("arrears", "must be omitted for disturbance_termination")),
    Case("amount 0", rent({"arrears.amount_sek": 0}), 422, ("arrears.amount_sek", "Input should be greater than 0")),
    Case("amount negative", rent({"arrears.amount_sek": -100}), 422,
         ("arrears.amount_sek", "Input should be greater than 0")),
    Case("amount with 3 decimals", rent({"arrears.amount_sek": 16900.125}), 422,
         ("arrears.amount_sek", "at most two decimals")),
    Case("amount as a string", rent({"arrears.amount_sek": "16900.00"}), 422, ("arrears.amount_sek", MONEY_TYPE_MESSAGE)),
    Case("amount as a boolean", rent({"arrears.amount_sek": True}), 422, ("arrears.amount_sek", MONEY_TYPE_MESSAGE)),
    Case("amount missing", rent({"arrears.amount_sek": DELETE}), 422, ("arrears.amount_sek", "field required")),
    Case("amount 0.01", rent({"arrears.amount_sek": 0.01}), 201, None),
    Case("amount with 2 decimals", rent({"arrears.amount_sek": 16900.55}), 201, None),
    Case("amount integer", rent({"arrears.amount_sek": 16900}), 201, None),
    Case("due_date after sent_on", rent({"arrears.due_date": "2026-11-21"}, sent_on="2026-11-20"), 422,
         ("arrears.due_date", "must not be after sent_on")),
    Case("due_date on sent_on", rent({"arrears.due_date": "2026-11-20"}), 201, None),
    Case("due_date missing", rent({"arrears.due_date": DELETE}), 422, ("arrears.due_date", "field required")),
    Case("due_date not a date", rent({"arrears.due_date": "31 oktober"}), 422, ("arrears.due_date", DATE_FORMAT_MESSAGE)),
    Case("payment_instructions empty", rent({"arrears.payment_instructions": ""}), 422,
         ("arrears.payment_instructions", "String should have at least 1 character")),
    Case("payment_instructions 501 chars", rent({"arrears.payment_instructions": X * 501}), 422,
         ("arrears.payment_instructions", "String should have at most 500 characters")),
    Case("payment_instructions 500 chars", rent({"arrears.payment_instructions": X * 500}), 201, None),
    Case("payment_instructions missing", rent({"arrears.payment_instructions": DELETE}), 422,
         ("arrears.payment_instructions", "field required")),
    Case("interest 201 chars", rent({"arrears.interest": X * 201}), 422,
         ("arrears.interest", "String should have at most 200 characters")),
    Case("interest 200 chars", rent({"arrears.interest": X * 200}), 201, None),
    Case("interest omitted", rent({"arrears.interest": DELETE}), 201, None),
    Case("monthly_rent 0", rent({"arrears.monthly_rent_sek": 0}), 422,
         ("arrears.monthly_rent_sek", "Input should be greater than 0")),
    Case("monthly_rent as a string", rent({"arrears.monthly_rent_sek": "8450"}), 422,
         ("arrears.monthly_rent_sek", MONEY_TYPE_MESSAGE)),
    Case("monthly_rent omitted", rent({"arrears.monthly_rent_sek": DELETE}), 201, None),
    # ------------------------------------------------------------------ disturbance
    Case("disturbance missing for disturbance_warning", dist(disturbance=None), 422,
         ("disturbance", "required for disturbance_warning")),
    Case("disturbance absent for disturbance_termination", dist("disturbance_termination", disturbance=DELETE), 422,
         ("disturbance", "required for disturbance_termination")),
    Case("disturbance present for rent_arrears",
         rent(disturbance={"description": "Störningar", "requested_on": "2026-11-10"}), 422,
         ("disturbance", "must be omitted for rent_arrears")),
    Case("disturbance description 2001 chars", dist(overrides={"disturbance.description": X * 2001}), 422,
         ("disturbance.description", "String should have at most 2000 characters")),
    Case("disturbance description 2000 chars", dist(overrides={"disturbance.description": X * 2000}), 201, None),
    Case("disturbance requested_on not a date", dist(overrides={"disturbance.requested_on": "igår"}), 422,
         ("disturbance.requested_on", DATE_FORMAT_MESSAGE)),
    Case("disturbance_warning valid", dist(), 201, None),
    Case("disturbance_termination valid", dist("disturbance_termination"), 201, None),
    # ------------------------------------------------------------------ contact
    Case("contact with neither phone nor email", rent({"contact.phone": DELETE, "contact.email": DELETE}), 422,
         ("contact", "give at least one of phone and email")),
    Case("contact phone and email null", rent({"contact.phone": None, "contact.email": None}), 422,
         ("contact", "give at least one of phone and email")),
    Case("contact with only email", rent({"contact.phone": DELETE}), 201, None),
    Case("contact with only phone", rent({"contact.email": None}), 201, None),
    Case("contact name missing", rent({"contact.name": DELETE}), 422, ("contact.name", "field required")),
    Case("contact missing", rent(contact=DELETE), 422, ("contact", "field required")),
    Case("contact phone invalid", rent({"contact.phone": "123"}), 422, ("contact.phone", VALID_PHONE_MESSAGE)),
    Case("contact email invalid", rent({"contact.email": "kim.lind"}), 422,
         ("contact.email", "not a valid email address")),
    # ------------------------------------------------------------------ unknown fields
    Case("unknown top-level field", rent(priority="high"), 422, ("priority", "unknown field")),
    Case("unknown nested field property.floor", rent({"property.floor": 3}), 422, ("property.floor", "unknown field")),
    Case("unknown field in a tenant", rent({"tenants[0].age": 41}), 422, ("tenants[0].age", "unknown field")),
    Case("unknown field in arrears", rent({"arrears.currency": "SEK"}), 422, ("arrears.currency", "unknown field")),
    # ------------------------------------------------------------------ not an object
    Case("body is a list", lambda: [notice_body()], 422, None),
    Case("body is a string", lambda: "notice", 422, None),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_field_rule(client, landlord, row_counts, case: Case):
    before = row_counts()

    answer = client.post(NOTICES, json=case.make(), headers=landlord.headers)

    if case.status == 201:
        assert answer.status_code == 201, answer.text
        assert answer.json()["status"] == "routed"
        assert row_counts("notices") == {"notices": before["notices"] + 1}
        return
    body = assert_problem(answer, case.status, "validation")
    assert isinstance(body["errors"], list) and body["errors"]
    for error in body["errors"]:
        assert set(error) == {"field", "message"}
        assert isinstance(error["field"], str) and isinstance(error["message"], str)
    if case.error is not None:
        field, message = case.error
        assert {"field": field, "message": message} in body["errors"], body["errors"]
    assert body["detail"]
    assert row_counts() == before  # a rejected request stores nothing


def test_every_failing_kind_rule_is_reported_at_once(client, landlord):
    body = notice_body(sent_on="2026-11-21", tenant_served_on="2026-11-22", termination_on="2026-11-23",
                       disturbance={"description": "x", "requested_on": "2026-11-01"})
    body["arrears"]["due_date"] = "2026-11-25"
    body["tenants"][0]["personal_identity_number"] = "19850412-1231"
    body["contact"] = {"name": "Kim Lind"}

    problem = assert_problem(client.post(NOTICES, json=body, headers=landlord.headers), 422, "validation")

    assert {(e["field"], e["message"]) for e in problem["errors"]} >= {
        ("sent_on", "must not be in the future"),
        ("tenant_served_on", "must not be in the future"),
        ("termination_on", "must not be in the future"),
        ("arrears.due_date", "must not be after sent_on"),
        ("disturbance", "must be omitted for rent_arrears"),
        ("tenants[0].personal_identity_number", "checksum does not match"),
        ("contact", "give at least one of phone and email"),
    }
    assert problem["detail"] == f"{len(problem['errors'])} fields are invalid"


def test_the_spec_problem_example_shape(client, landlord):
    body = notice_body({"tenants[0].personal_identity_number": "19850412-1231"})

    answer = client.post(NOTICES, json=body, headers=landlord.headers)

    problem = assert_problem(answer, 422, "validation")
    assert problem["errors"] == [{"field": "tenants[0].personal_identity_number", "message": "checksum does not match"}]
    assert problem["detail"] == "1 field is invalid"
    assert problem["request_id"] == answer.headers["x-request-id"]
    assert "19850412" not in answer.text  # the rejected number is not echoed back


# ----------------------------------------------------------------------------- "today" in Stockholm


def test_today_is_judged_in_stockholm_after_midnight(client, landlord, clock):
    clock.set(datetime(2026, 11, 20, 23, 30, tzinfo=UTC))  # 00:30 on 21 Nov in Stockholm
    body = notice_body(sent_on="2026-11-21", tenant_served_on="2026-11-21")

    answer = client.post(NOTICES, json=body, headers=landlord.headers)

    assert answer.status_code == 201, answer.text
    assert answer.json()["received_at"] == "2026-11-21T00:30:00+01:00"
    # Sat 21 Nov + 3 weeks = Sat 12 Dec → Mon 14 Dec; then Tue 15, Wed 16, Thu 17 Dec.
    assert answer.json()["deadlines"] == deadlines("2026-12-14", "2026-12-17", False)


def test_today_is_judged_in_stockholm_before_midnight(client, landlord, clock):
    clock.set(datetime(2026, 11, 20, 22, 59, 59, tzinfo=UTC))  # 23:59:59 on 20 Nov in Stockholm
    body = notice_body(sent_on="2026-11-21", tenant_served_on="2026-11-21")

    problem = assert_problem(client.post(NOTICES, json=body, headers=landlord.headers), 422, "validation")

    assert {"field": "sent_on", "message": "must not be in the future"} in problem["errors"]
    assert {"field": "tenant_served_on", "message": "must not be in the future"} in problem["errors"]


def test_one_year_back_from_29_february(client, landlord, clock):
    clock.set_local(2028, 2, 29, 10)
    oldest = notice_body({"arrears.due_date": "2027-01-31"}, sent_on="2027-02-28", tenant_served_on=None,
                         termination_on=None, external_id="LEAP-OK")
    too_old = notice_body({"arrears.due_date": "2027-01-31"}, sent_on="2027-02-27", tenant_served_on=None,
                          termination_on=None, external_id="LEAP-OLD")

    assert client.post(NOTICES, json=oldest, headers=landlord.headers).status_code == 201
    problem = assert_problem(client.post(NOTICES, json=too_old, headers=landlord.headers), 422, "validation")
    assert problem["errors"] == [{"field": "sent_on", "message": "must not be more than one year back"}]


# ----------------------------------------------------------------------------- fixed statuses


@pytest.mark.parametrize("raw", [b"{bad", b'{"external_id": "A",', b"\xff\xfe{}", b"{'kind': 'rent_arrears'}"],
                         ids=["garbage", "truncated", "not-utf8", "single-quotes"])
def test_malformed_json_is_400(client, landlord, row_counts, raw):
    before = row_counts()
    answer = client.post(NOTICES, content=raw, headers={**landlord.headers, "Content-Type": "application/json"})
    assert_problem(answer, 400)
    assert row_counts() == before


def test_empty_body_is_refused(client, landlord, row_counts):
    # Not fixed by the spec beyond "a 4xx problem": a missing body is reported as the body missing.
    before = row_counts()
    answer = client.post(NOTICES, content=b"", headers={**landlord.headers, "Content-Type": "application/json"})
    assert answer.status_code in (400, 422), answer.text
    assert_problem(answer, answer.status_code)
    assert row_counts() == before


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", "application/xml"])
def test_not_json_is_415(client, landlord, row_counts, content_type):
    before = row_counts()
    answer = client.post(NOTICES, content=json.dumps(notice_body()).encode(),
                         headers={**landlord.headers, "Content-Type": content_type})
    assert_problem(answer, 415)
    assert row_counts() == before


def test_missing_content_type_is_415(client, landlord):
    answer = client.post(NOTICES, content=json.dumps(notice_body()).encode(), headers=landlord.headers)
    assert "content-type" not in {k.lower() for k in answer.request.headers}
    assert_problem(answer, 415)


def test_json_with_charset_is_accepted(client, landlord):
    answer = client.post(NOTICES, content=json.dumps(notice_body()).encode(),
                         headers={**landlord.headers, "Content-Type": "application/json; charset=utf-8"})
    assert answer.status_code == 201, answer.text


def _padded(body: dict[str, Any], size: int) -> bytes:
    raw = json.dumps(body).encode()
    assert len(raw) < size
    return raw[:-1] + b" " * (size - len(raw)) + b"}"  # JSON whitespace: still the same notice


def test_body_of_exactly_256_kib_is_accepted(client, landlord):
    raw = _padded(notice_body(), 256 * 1024)
    assert len(raw) == 262144
    answer = client.post(NOTICES, content=raw, headers={**landlord.headers, "Content-Type": "application/json"})
    assert answer.status_code == 201, answer.text


def test_body_over_256_kib_is_413(client, landlord, row_counts):
    before = row_counts()
    raw = _padded(notice_body(), 256 * 1024 + 1)
    answer = client.post(NOTICES, content=raw, headers={**landlord.headers, "Content-Type": "application/json"})
    assert_problem(answer, 413)
    assert row_counts() == before


def test_chunked_body_over_256_kib_is_413(client, landlord, row_counts):
    before = row_counts()
    raw = _padded(notice_body(), 300 * 1024)

    def chunks():
        for start in range(0, len(raw), 16 * 1024):
            yield raw[start:start + 16 * 1024]

    answer = client.post(NOTICES, content=chunks(), headers={**landlord.headers, "Content-Type": "application/json"})
    assert "content-length" not in {k.lower() for k in answer.request.headers}
    assert_problem(answer, 413)
    assert row_counts() == before


def test_batch_body_limit_does_not_apply_to_single_notices(client, landlord):
    # 1 MiB is fine for /batch (2 MiB) but not for a single notice (256 KiB).
    raw = _padded(notice_body(), 1024 * 1024)
    assert_problem(client.post(NOTICES, content=raw, headers={**landlord.headers, "Content-Type": "application/json"}),
                   413)
    batch = json.dumps({"notices": [notice_body()]}).encode()
    batch = batch[:-1] + b" " * (1024 * 1024 - len(batch)) + b"}"
    answer = client.post(BATCH, content=batch, headers={**landlord.headers, "Content-Type": "application/json"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["results"][0]["status"] == 201


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer"}, {"Authorization": "Bearer not-a-key"}, {"Authorization": "Basic dXNlcjpwYXNz"}],
    ids=["none", "empty-bearer", "unknown-key", "basic"],
)
def test_no_valid_key_is_401(client, landlord, row_counts, headers):
    before = row_counts()
    answer = client.post(NOTICES, json=notice_body(), headers=headers)
    assert_problem(answer, 401)
    assert answer.headers["www-authenticate"] == "Bearer"
    assert_problem(client.get(NOTICES, headers=headers), 401)
    assert row_counts() == before


def test_a_tampered_key_is_401(client, landlord):
    tampered = landlord.key[:-1] + ("A" if landlord.key[-1] != "A" else "B")
    assert_problem(client.post(NOTICES, json=notice_body(), headers={"Authorization": f"Bearer {tampered}"}), 401)


def test_authentication_comes_before_validation(client):
    # An anonymous caller learns nothing about the body rules.
    answer = client.post(NOTICES, json={"external_id": ""})
    assert_problem(answer, 401)


def test_outside_municipality_is_422_with_its_own_type(client, landlord, row_counts):
    before = row_counts()
    body = notice_body({"property.postal_code": SOLNA_POSTAL_CODE, "property.city": "Solna",
                        "property.coordinates": None})

    problem = assert_problem(client.post(NOTICES, json=body, headers=landlord.headers), 422)

    assert problem["type"].endswith("/outside-municipality")
    assert "Solna" in problem["detail"]
    assert "socialnämnden i Solna" in problem["detail"]
    assert row_counts() == before


# ----------------------------------------------------------------------------- nothing stored


def test_rejected_requests_store_nothing(client, landlord, row_counts):
    stored = client.post(NOTICES, json=notice_body(external_id="STORED"), headers=landlord.headers)
    assert stored.status_code == 201
    before = row_counts()
    assert before["notices"] == 1 and before["tenants"] == 1 and before["cases"] == 1 and before["deadlines"] >= 2

    json_headers = {**landlord.headers, "Content-Type": "application/json"}
    answers = [
        client.post(NOTICES, json=notice_body({"tenants[0].personal_identity_number": "19850412-1231"},
                                              external_id="BAD-PIN"), headers=landlord.headers),
        client.post(NOTICES, json=notice_body(external_id="BAD-DATE", sent_on="2026-11-21"), headers=landlord.headers),
        client.post(NOTICES, json=notice_body({"property.floor": 2}, external_id="BAD-FIELD"), headers=landlord.headers),
        client.post(NOTICES, json=notice_body({"property.postal_code": SOLNA_POSTAL_CODE}, external_id="SOLNA"),
                    headers=landlord.headers),
        client.post(NOTICES, json=notice_body({"property.rooms": 3}, external_id="STORED"), headers=landlord.headers),
        client.post(NOTICES, content=b"{bad", headers=json_headers),
        client.post(NOTICES, content=b"{}", headers={**landlord.headers, "Content-Type": "text/plain"}),
        client.post(NOTICES, content=_padded(notice_body(external_id="HUGE"), 300 * 1024), headers=json_headers),
        client.post(NOTICES, json=notice_body(external_id="ANON")),
        client.post(f"{NOTICES}/{stored.json()['id']}/events", json={"type": "teleported", "occurred_on": "2026-11-20"},
                    headers=landlord.headers),
        client.post(f"{NOTICES}/{stored.json()['id']}/events", json={"type": "rent_paid", "occurred_on": "2026-11-21"},
                    headers=landlord.headers),
    ]

    assert [a.status_code for a in answers] == [422, 422, 422, 422, 409, 400, 415, 413, 401, 422, 422]
    for answer in answers:
        assert_problem(answer, answer.status_code)
    assert row_counts() == before
