"""Property-based tests of the landlord API: whatever is sent, no 5xx, and every error is a problem.

Generated notices, batches, events and look-ups, built from the spec's example
with mutations at every field: control characters, unpaired surrogates,
unicode, long strings, huge and tiny numbers, NaN and Infinity as JSON tokens,
dates and timestamps at and past the edges, wrong types, unknown keys, missing
keys. Every answer must be below 500; every 4xx is problem+json with a
request id; a refused notice stores nothing.

Reproducible in CI: a fixed budget per test and `derandomize=True` (the examples
follow from the test's name, not the clock). For a longer, randomised local run:
``VARSEL_PROPERTY_PROFILE=long`` (ten times the examples, a new seed each run).
"""

from __future__ import annotations

import json
import os
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from urllib.parse import quote

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from app.identity import format_identity_number
from app.routing import service as routing_service
from tests.notices.conftest import BATCH, DELETE, NOTICES, PROBLEM_BASE, PROBLEM_TYPE, _set, notice_body
from tests.routing.geodata import BOUNDARIES_FILE

LONG = os.environ.get("VARSEL_PROPERTY_PROFILE") == "long"


def budget(examples: int) -> settings:
    return settings(
        max_examples=examples * (10 if LONG else 1),
        derandomize=not LONG,
        database=None,  # nothing carried between runs: the same examples every time in CI
        deadline=None,  # a request to a real database has no fixed time
        suppress_health_check=list(HealthCheck),
        print_blob=True,
    )


# ----------------------------------------------------------------------------- values

SPECIAL_TEXT = ["", " ", "\u0000", "a\u0000b", "\ud800", "x\udfff", "\u007f", "\r\n", "\t", "line\nbreak", "🏠",
                "Ærø ß 東京", "\u202etxet", "\ufeff", "\u00a0", "NaN", "1e26", "'; DROP TABLE notices; --", "%00",
                "x" * 201, "y" * 3000, "19850412-1230", "19250301+4561", "20150916-0006", "850412+1230"]
texts = st.one_of(
    st.text(max_size=40),
    st.text(st.characters(max_codepoint=0x9F), max_size=12),  # C0, DEL and C1 often
    st.sampled_from(SPECIAL_TEXT),
    st.text(min_size=190, max_size=260),
)
EDGE_NUMBERS = [0, -0.0, 0.001, 0.01, 16900.005, 99999999.99, 100000000, 1e26, 1e300, -1e300, 5e-324, 10**40,
                10**400, float("nan"), float("inf"), -float("inf"), 59.3146, 18.0735, 91, -181, 21, 31, -1]
numbers = st.one_of(
    st.sampled_from(EDGE_NUMBERS),
    st.integers(min_value=-(10**40), max_value=10**40),
    st.floats(allow_nan=True, allow_infinity=True),
)
dates = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.dates(min_value=date(2025, 10, 1), max_value=date(2026, 12, 31)).map(date.isoformat),
    st.sampled_from(["0001-01-01", "9999-12-31", "1899-12-31", "1900-01-01", "2199-12-31", "2200-01-01",
                     "2026-02-29", "2024-02-29", "2026-13-01", "20261120", "2026-11-20T00:00:00+01:00", ""]),
)


@st.composite
def timestamps(draw: st.DrawFn) -> str:
    if draw(st.integers(0, 2)) == 0:
        return draw(st.sampled_from([
            "9999-12-31T23:59:59-12:00", "0001-01-01T00:00:00+14:00", "2199-12-31T23:59:59-12:00",
            "1900-01-01T00:00:00+14:00", "2027-01-14T09:00:00+01:00", "2027-01-14T09:00:00", "2027-01-14",
            "2027-01-14T09:00:00Z", "2027-01-14 09:00:00+01:00", "2027-01-14T24:00:00+01:00"]))
    if draw(st.booleans()):  # in the accepted years, mostly the plausible ones
        moment = draw(st.datetimes(min_value=datetime(2026, 11, 20), max_value=datetime(2199, 12, 31)))
    else:
        moment = draw(st.datetimes())
    minutes = draw(st.integers(min_value=-1439, max_value=1439))
    sign = "+" if minutes >= 0 else "-"
    return f"{moment.isoformat()}{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


scalars = st.one_of(st.none(), st.booleans(), numbers, texts)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner,
                                                                                                 max_size=3),
                           max_leaves=6)
postal_codes = st.one_of(
    st.sampled_from(["118 46", "11846", "116 28", "111 52", "104 20", "164 40", "169 70", "171 64", "411 01",
                     "752 20", "981 38", "130 25", "999 99", "1184", "ABC DE"]),
    st.from_regex(r"\A[0-9]{3} ?[0-9]{2}\Z"),
)
stockholm_points = st.fixed_dictionaries({"lat": st.floats(59.20, 59.45), "lon": st.floats(17.75, 18.20)})

# Values a field accepts, at its edges: unicode of every script, the longest and shortest
# lengths, the largest and smallest amounts, dates a year back, centenarians' numbers.
names = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=2, max_size=200)
good_dates = st.dates(min_value=date(2025, 11, 21), max_value=date(2026, 11, 20)).map(date.isoformat)
amounts = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999999.99"), places=2).map(float)
identity_numbers = st.one_of(
    st.sampled_from(["19850412-1230", "850412-1230", "8504121230", "19250301+4561", "250301+4561",
                     "19850472-1237", "18791221+9990", "19090527+1474"]),
    st.builds(lambda born, serial: format_identity_number(born, f"{serial:03d}"),
              st.dates(min_value=date(1900, 1, 1), max_value=date(2026, 11, 20)), st.integers(1, 999)),
)
counts = st.none() | st.integers(0, 30)

# Each field: (values it accepts, at the edges; values of its own kind that are wrong).
FIELDS: dict[str, tuple[st.SearchStrategy[Any], st.SearchStrategy[Any]]] = {
    "external_id": (st.from_regex(r"\AP-[^\x00-\x1f\x7f]{1,98}\Z"), texts),
    "kind": (st.sampled_from(["rent_arrears", "disturbance_warning", "disturbance_termination"]),
             st.sampled_from(["eviction", "RENT_ARREARS", ""])),
    "sent_on": (good_dates, dates), "tenant_served_on": (st.none() | good_dates, dates),
    "termination_on": (st.none() | good_dates, dates),
    "property.street_address": (names, texts), "property.postal_code": (postal_codes, texts),
    "property.city": (names.map(lambda s: s[:100]), texts),
    "property.apartment_number": (st.from_regex(r"\A[0-9]{4}\Z"), texts),
    "property.rooms": (st.none() | st.integers(1, 20), numbers),
    "property.coordinates": (st.none() | stockholm_points, json_values),
    "property.coordinates.lat": (st.floats(59.2, 59.45), numbers),
    "property.coordinates.lon": (st.floats(17.75, 18.2), numbers),
    "tenants[0].name": (names, texts), "tenants[0].personal_identity_number": (identity_numbers, texts),
    "tenants[0].phone": (st.sampled_from(["+46701234567", "08-123 456 00", "070 123 45 67"]), texts),
    "tenants[0].email": (st.sampled_from(["anna@example.se", "a.b+c@hsb.example"]), texts),
    "tenants": (st.lists(st.fixed_dictionaries({"name": names}), min_size=1, max_size=4),
                st.lists(st.fixed_dictionaries({"name": texts}), max_size=5)),
    "household": (st.none() | st.fixed_dictionaries({"children_under_18": counts, "residents_65_or_older": counts,
                                                     "consent": st.booleans()}), json_values),
    "household.children_under_18": (counts, numbers), "household.residents_65_or_older": (counts, numbers),
    "arrears.amount_sek": (amounts, numbers), "arrears.monthly_rent_sek": (st.none() | amounts, numbers),
    "arrears.due_date": (good_dates, dates), "arrears.interest": (names, texts),
    "arrears.payment_instructions": (names.map(lambda s: s + "\r\nrad två"), texts),
    "disturbance": (st.fixed_dictionaries({"description": names, "requested_on": good_dates}),
                    st.fixed_dictionaries({"description": texts, "requested_on": dates})),
    "contact.name": (names, texts), "contact.phone": (st.sampled_from(["08-123 456 00"]), texts),
    "contact.email": (st.sampled_from(["kim.lind@hsb.example"]), texts),
}


@st.composite
def notices(draw: st.DrawFn) -> dict[str, Any]:
    body = notice_body(external_id=draw(st.from_regex(r"\AP-[A-Z0-9]{1,12}\Z")))
    for path in draw(st.lists(st.sampled_from(sorted(FIELDS)), max_size=3, unique=True)):
        good, bad = FIELDS[path]
        # Mostly values the field accepts (so the notice goes all the way in), often wrong ones.
        choice = draw(st.integers(0, 19))
        value = DELETE if choice == 0 else draw(json_values) if choice == 1 else draw(good if choice < 12 else bad)
        try:
            _set(body, path, value)
        except (KeyError, IndexError, TypeError):
            pass  # the parent was replaced by an earlier mutation
    if draw(st.integers(0, 9)) == 0:
        body[draw(texts)] = draw(json_values)  # an unknown key (any characters)
    return body


def encode(document: Any) -> bytes:
    # NaN and Infinity leave as JSON tokens (the stdlib parser on the other side accepts them).
    return json.dumps(document, allow_nan=True).encode()


# ----------------------------------------------------------------------------- the checks

def check_answer(answer) -> Any:
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert answer.headers["content-type"].split(";")[0] == PROBLEM_TYPE, answer.text
        return check_problem(answer.json(), answer.status_code)
    return answer.json()


def check_problem(problem: dict[str, Any], status: int) -> dict[str, Any]:
    assert problem["status"] == status
    assert problem["type"].startswith(PROBLEM_BASE) and problem["title"]
    assert isinstance(problem["request_id"], str) and problem["request_id"]
    for error in problem.get("errors") or []:
        assert set(error) == {"field", "message"}
    return problem


def stored(db) -> int:
    with db() as session:
        return session.execute(text("SELECT COUNT(*) FROM notices")).scalar_one()


def load_boundaries(db, client) -> None:
    """With the city's districts loaded, coordinates route (and can conflict with a postal code)."""
    if BOUNDARIES_FILE.is_file():
        with db() as session:
            routing_service.import_boundaries(session, BOUNDARIES_FILE.read_bytes(), BOUNDARIES_FILE.name,
                                              "stockholm")
        client.app.state.routers.invalidate()


def post(client, landlord, path: str, document: Any):
    return client.post(path, content=encode(document),
                       headers={**landlord.headers, "Content-Type": "application/json"})


# ----------------------------------------------------------------------------- the properties

def test_any_notice_is_answered_without_a_5xx(client, landlord, db):
    load_boundaries(db, client)

    @budget(500)
    @given(body=notices())
    def run(body: dict[str, Any]) -> None:
        before = stored(db)
        answer = post(client, landlord, NOTICES, body)
        document = check_answer(answer)
        if answer.status_code >= 400:
            assert stored(db) == before, document
        else:
            assert document["external_id"] == body["external_id"]

    run()


def test_any_batch_is_answered_item_by_item_without_a_5xx(client, landlord, db):
    load_boundaries(db, client)

    @budget(60)
    @given(items=st.lists(st.one_of(notices(), json_values), min_size=1, max_size=8))
    def run(items: list[Any]) -> None:
        answer = post(client, landlord, BATCH, {"notices": items})
        document = check_answer(answer)
        if answer.status_code == 200:
            assert [r["index"] for r in document["results"]] == list(range(len(items)))
            for result in document["results"]:
                assert result["status"] < 500, result
                if result["status"] >= 400:
                    check_problem(result["problem"], result["status"])

    run()


@st.composite
def events(draw: st.DrawFn) -> dict[str, Any]:
    event: dict[str, Any] = {
        "type": draw(st.sampled_from(["eviction_scheduled"]) | st.sampled_from([
            "tenant_served", "rent_paid", "payment_plan_agreed", "termination_withdrawn", "eviction_applied",
            "eviction_scheduled", "eviction_executed", "tenant_moved_out", "unknown"])),
        "occurred_on": draw(st.one_of(good_dates, dates)),
    }
    if draw(st.integers(0, 3)) > 0:
        event["eviction_at"] = draw(timestamps() if draw(st.integers(0, 4)) else json_values)
    if draw(st.integers(0, 4)) == 0:
        event[draw(st.sampled_from(["type", "occurred_on", "eviction_at"]))] = draw(json_values)
    if draw(st.integers(0, 9)) == 0:
        event[draw(texts)] = draw(json_values)
    return event


def test_any_event_is_answered_without_a_5xx(client, landlord, db):
    notices_made = [post(client, landlord, NOTICES, notice_body(external_id=f"E-{i}", tenant_served_on=None)).json()
                    for i in range(3)]
    ids = [n["id"] for n in notices_made]

    @budget(300)
    @given(which=st.integers(0, 2), event=events(), key=st.none() | st.from_regex(r"\A[A-Za-z0-9-]{1,40}\Z"))
    def run(which: int, event: dict[str, Any], key: str | None) -> None:
        headers = {**landlord.headers, "Content-Type": "application/json", **({"Idempotency-Key": key} if key else {})}
        answer = client.post(f"{NOTICES}/{ids[which]}/events", content=encode(event), headers=headers)
        check_answer(answer)

    run()


url_text = texts.map(lambda s: "".join(c for c in s if not "\ud800" <= c <= "\udfff"))


def test_any_look_up_is_answered_without_a_5xx(client, landlord):
    @budget(200)
    @given(external_id=st.none() | url_text, cursor=st.none() | url_text, limit=st.none() | url_text,
           notice_id=url_text)
    def run(external_id: str | None, cursor: str | None, limit: str | None, notice_id: str) -> None:
        params = {k: v for k, v in {"external_id": external_id, "cursor": cursor, "limit": limit}.items()
                  if v is not None}
        check_answer(client.get(NOTICES, params=params, headers=landlord.headers))
        check_answer(client.get(f"{NOTICES}/{quote(notice_id, safe='')}", headers=landlord.headers))

    run()

