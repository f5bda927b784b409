"""POST /api/v1/notices/{id}/events: every event type of the spec's table, validation and idempotency.

The notice is the spec's example (sent Fri 2026-11-20), received at the pinned
09:14 on 2026-11-20; events are reported a few days later.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from app.notices import service
from app.notices.events import add_event
from app.notices.schemas import EventIn
from app.security.actors import Actor
from tests.conftest import IS_POSTGRES
from tests.notices.conftest import (
    NOTICES,
    assert_problem,
    deadlines,
    disturbance_body,
    manual_routing_body,
    notice_body,
)

TERMINAL = ["rent_paid", "termination_withdrawn", "eviction_executed", "tenant_moved_out"]
NON_TERMINAL = ["payment_plan_agreed", "eviction_applied"]


def _notice(client, landlord, **top) -> dict:
    answer = client.post(NOTICES, json=notice_body(**top), headers=landlord.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _event(client, landlord, notice_id: str, body: dict, key: str | None = None):
    headers = {**landlord.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(f"{NOTICES}/{notice_id}/events", json=body, headers=headers)


def _counts(db) -> dict[str, int]:
    with db() as session:
        return {t: session.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in ("notice_events", "timeline_events", "deadlines", "notices")}


@pytest.fixture
def later(clock):
    """Five days after the notice was received: Wed 2026-11-25, 10:00 in Stockholm."""
    def move():
        clock.set_local(2026, 11, 25, 10)
    return move


# ----------------------------------------------------------------------------- tenant_served


def test_tenant_served_fixes_the_estimated_deadlines(client, landlord, later, db):
    notice = _notice(client, landlord, tenant_served_on=None)
    assert notice["deadlines"] == deadlines("2026-12-11", "2026-12-16", True)
    later()

    answer = _event(client, landlord, notice["id"], {"type": "tenant_served", "occurred_on": "2026-11-24"})

    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    # Served Tue 24 Nov (after sent_on, so the period starts then): + 3 weeks = Tue 15 Dec, a vardag.
    # Eviction decision: the third vardag after it = Wed 16, Thu 17, Fri 18 Dec.
    assert receipt["deadlines"] == deadlines("2026-12-15", "2026-12-18", False)
    assert {k: receipt[k] for k in ("id", "external_id", "kind", "received_at", "status", "district")} == \
        {k: notice[k] for k in ("id", "external_id", "kind", "received_at", "status", "district")}
    assert client.get(f"{NOTICES}/{notice['id']}", headers=landlord.headers).json() == receipt
    with db() as session:
        served = session.execute(text("SELECT tenant_served_on FROM notices")).scalar_one()
        types = [r[0] for r in session.execute(text("SELECT type FROM timeline_events ORDER BY id"))]
    assert str(served) == "2026-11-24"
    assert types.count("landlord_event") == 1
    assert types.count("deadline_recomputed") == 2


def test_tenant_served_before_sent_on_starts_at_sent_on(client, landlord, later):
    notice = _notice(client, landlord, tenant_served_on=None, sent_on="2026-11-18", termination_on="2026-11-17")
    # Estimated from sent Wed 18 Nov: Wed 9 Dec; Thu 10, Fri 11, Mon 14 Dec.
    assert notice["deadlines"] == deadlines("2026-12-09", "2026-12-14", True)
    later()

    answer = _event(client, landlord, notice["id"], {"type": "tenant_served", "occurred_on": "2026-11-16"})

    assert answer.status_code == 201, answer.text
    # Served Mon 16 Nov, before the notice was sent: the period runs from the later date, Wed 18 Nov.
    assert answer.json()["deadlines"] == deadlines("2026-12-09", "2026-12-14", False)


@pytest.mark.parametrize("occurred_on", ["2026-11-24", "2026-11-19"], ids=["another-date", "the-same-date"])
def test_tenant_served_when_already_served_is_409(client, landlord, later, db, occurred_on):
    notice = _notice(client, landlord)  # tenant_served_on 2026-11-19
    later()
    before = _counts(db)

    answer = _event(client, landlord, notice["id"], {"type": "tenant_served", "occurred_on": occurred_on})

    assert_problem(answer, 409)
    assert _counts(db) == before
    assert client.get(f"{NOTICES}/{notice['id']}", headers=landlord.headers).json() == notice


def test_a_second_service_date_is_409_but_the_same_one_replays(client, landlord, later, db):
    notice = _notice(client, landlord, tenant_served_on=None)
    later()
    first = _event(client, landlord, notice["id"], {"type": "tenant_served", "occurred_on": "2026-11-23"})
    assert first.status_code == 201
    before = _counts(db)

    other_date = _event(client, landlord, notice["id"], {"type": "tenant_served", "occurred_on": "2026-11-24"})
    same = _event(client, landlord, notice["id"], {"type": "tenant_served", "occurred_on": "2026-11-23"})

    assert_problem(other_date, 409)
    assert same.status_code == 200
    assert same.json() == first.json()
    # Served Mon 23 Nov: Mon 14 Dec; Tue 15, Wed 16, Thu 17 Dec.
    assert first.json()["deadlines"] == deadlines("2026-12-14", "2026-12-17", False)
    assert _counts(db) == before


@pytest.mark.parametrize("kind", ["disturbance_warning", "disturbance_termination"])
def test_tenant_served_on_a_disturbance_notice_is_422(client, landlord, later, db, kind):
    notice = client.post(NOTICES, json=disturbance_body(kind), headers=landlord.headers).json()
    later()
    before = _counts(db)

    answer = _event(client, landlord, notice["id"], {"type": "tenant_served", "occurred_on": "2026-11-24"})

    problem = assert_problem(answer, 422, "validation")
    assert [e["field"] for e in problem["errors"]] == ["type"]
    assert _counts(db) == before


def test_tenant_served_after_a_payment_plan_still_recomputes_the_deadlines(client, landlord, later):
    # "tenant_served … sets tenant_served_on; deadlines are recomputed" — whatever was reported before.
    notice = _notice(client, landlord, tenant_served_on=None)
    later()
    plan = _event(client, landlord, notice["id"], {"type": "payment_plan_agreed", "occurred_on": "2026-11-23"})
    assert plan.status_code == 201
    assert plan.json()["deadlines"] == deadlines("2026-12-11", "2026-12-16", True)

    served = _event(client, landlord, notice["id"], {"type": "tenant_served", "occurred_on": "2026-11-24"})

    assert served.status_code == 201, served.text
    assert served.json()["deadlines"] == deadlines("2026-12-15", "2026-12-18", False)


# ----------------------------------------------------------------------------- status


@pytest.mark.parametrize("event_type", TERMINAL)
def test_terminal_events_close_the_notice(client, landlord, later, db, event_type):
    notice = _notice(client, landlord)
    later()
    before = _counts(db)

    answer = _event(client, landlord, notice["id"], {"type": event_type, "occurred_on": "2026-11-24"})

    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["status"] == "closed"
    assert receipt["deadlines"] == notice["deadlines"]
    assert receipt["district"] == notice["district"]
    assert client.get(f"{NOTICES}/{notice['id']}", headers=landlord.headers).json() == receipt
    after = _counts(db)
    assert after["notice_events"] == before["notice_events"] + 1
    assert after["timeline_events"] > before["timeline_events"]
    with db() as session:
        assert session.execute(text("SELECT type FROM notice_events")).scalar_one() == event_type


@pytest.mark.parametrize("event_type", TERMINAL)
def test_terminal_events_close_a_notice_awaiting_manual_routing(client, landlord, later, event_type):
    notice = client.post(NOTICES, json=manual_routing_body(), headers=landlord.headers).json()
    assert notice["status"] == "received"
    later()

    answer = _event(client, landlord, notice["id"], {"type": event_type, "occurred_on": "2026-11-24"})

    assert answer.status_code == 201
    assert answer.json()["status"] == "closed"
    assert answer.json()["district"] is None


@pytest.mark.parametrize("event_type", NON_TERMINAL)
def test_other_events_keep_the_notice_routed(client, landlord, later, db, event_type):
    notice = _notice(client, landlord)
    later()
    before = _counts(db)

    answer = _event(client, landlord, notice["id"], {"type": event_type, "occurred_on": "2026-11-24"})

    assert answer.status_code == 201, answer.text
    assert answer.json() == notice  # nothing the landlord sees changes
    assert _counts(db)["notice_events"] == before["notice_events"] + 1


def test_eviction_scheduled_is_recorded(client, landlord, later, db):
    notice = _notice(client, landlord)
    later()

    answer = _event(client, landlord, notice["id"], {"type": "eviction_scheduled", "occurred_on": "2026-11-24",
                                                     "eviction_at": "2027-01-14T09:00:00+01:00"})

    assert answer.status_code == 201, answer.text
    assert answer.json()["status"] == "routed"
    assert answer.json()["deadlines"] == notice["deadlines"]
    with db() as session:
        row = session.execute(text("SELECT type, occurred_on FROM notice_events")).one()
        landlord_event = session.execute(
            text("SELECT data FROM timeline_events WHERE type = 'landlord_event'")).scalar_one()
    assert (row[0], str(row[1])) == ("eviction_scheduled", "2026-11-24")
    data = landlord_event if isinstance(landlord_event, dict) else json.loads(landlord_event)
    assert data["eviction_at"] == "2027-01-14T09:00:00+01:00"


def test_eviction_scheduled_requires_eviction_at(client, landlord, later, db):
    notice = _notice(client, landlord)
    later()
    before = _counts(db)

    for body in ({"type": "eviction_scheduled", "occurred_on": "2026-11-24"},
                 {"type": "eviction_scheduled", "occurred_on": "2026-11-24", "eviction_at": None}):
        problem = assert_problem(_event(client, landlord, notice["id"], body), 422, "validation")
        assert problem["errors"] == [{"field": "eviction_at", "message": "required for eviction_scheduled"}]
    assert _counts(db) == before


@pytest.mark.parametrize("eviction_at", ["2027-01-14T09:00:00", "2027-01-14", "14 januari kl 9", "2027-01-14 09:00"])
def test_eviction_at_must_be_a_timestamp_with_offset(client, landlord, later, db, eviction_at):
    notice = _notice(client, landlord)
    later()
    before = _counts(db)

    answer = _event(client, landlord, notice["id"], {"type": "eviction_scheduled", "occurred_on": "2026-11-24",
                                                     "eviction_at": eviction_at})

    problem = assert_problem(answer, 422, "validation")
    assert [e["field"] for e in problem["errors"]] == ["eviction_at"]
    assert _counts(db) == before


def test_eviction_at_only_for_eviction_scheduled(client, landlord, later):
    notice = _notice(client, landlord)
    later()
    problem = assert_problem(_event(client, landlord, notice["id"], {
        "type": "eviction_applied", "occurred_on": "2026-11-24", "eviction_at": "2027-01-14T09:00:00+01:00"}), 422)
    assert problem["errors"] == [{"field": "eviction_at", "message": "only for eviction_scheduled"}]


def test_a_new_eviction_time_is_a_new_event_and_the_same_instant_is_not(client, landlord, later, db):
    notice = _notice(client, landlord)
    later()
    first = _event(client, landlord, notice["id"], {"type": "eviction_scheduled", "occurred_on": "2026-11-24",
                                                    "eviction_at": "2027-01-14T09:00:00+01:00"})
    same_instant = _event(client, landlord, notice["id"], {"type": "eviction_scheduled", "occurred_on": "2026-11-24",
                                                           "eviction_at": "2027-01-14T08:00:00Z"})
    moved = _event(client, landlord, notice["id"], {"type": "eviction_scheduled", "occurred_on": "2026-11-25",
                                                    "eviction_at": "2027-01-21T09:00:00+01:00"})

    assert [first.status_code, same_instant.status_code, moved.status_code] == [201, 200, 201]
    assert _counts(db)["notice_events"] == 2


# ----------------------------------------------------------------------------- validation


@pytest.mark.parametrize("occurred_on", ["2026-11-26", "2027-01-01"])
def test_occurred_on_in_the_future_is_422(client, landlord, later, db, occurred_on):
    notice = _notice(client, landlord)
    later()  # today is 2026-11-25 in Stockholm
    before = _counts(db)

    answer = _event(client, landlord, notice["id"], {"type": "rent_paid", "occurred_on": occurred_on})

    problem = assert_problem(answer, 422, "validation")
    assert problem["errors"] == [{"field": "occurred_on", "message": "must not be in the future"}]
    assert _counts(db) == before
    assert client.get(f"{NOTICES}/{notice['id']}", headers=landlord.headers).json()["status"] == "routed"


def test_occurred_on_today_in_stockholm_is_accepted(client, landlord, clock):
    notice = _notice(client, landlord)
    clock.set_local(2026, 11, 26, 0, 20)  # 23:20 UTC on the 25th

    answer = _event(client, landlord, notice["id"], {"type": "rent_paid", "occurred_on": "2026-11-26"})

    assert answer.status_code == 201, answer.text


@pytest.mark.parametrize("body, field, message", [
    ({"type": "rent_refunded", "occurred_on": "2026-11-24"}, "type", None),
    ({"occurred_on": "2026-11-24"}, "type", "field required"),
    ({"type": "rent_paid"}, "occurred_on", "field required"),
    ({"type": "rent_paid", "occurred_on": "24/11/2026"}, "occurred_on", "must be a date written YYYY-MM-DD"),
    ({"type": "rent_paid", "occurred_on": "2026-02-30"}, "occurred_on", "not a real calendar date"),
    ({"type": "rent_paid", "occurred_on": "2026-11-24", "note": "betalt kontant"}, "note", "unknown field"),
    ({"type": "rent_paid", "occurred_on": "2026-11-24", "amount_sek": 16900}, "amount_sek", "unknown field"),
], ids=["unknown-type", "no-type", "no-date", "bad-date", "impossible-date", "extra-note", "extra-amount"])
def test_invalid_event_bodies_are_422(client, landlord, later, db, body, field, message):
    notice = _notice(client, landlord)
    later()
    before = _counts(db)

    problem = assert_problem(_event(client, landlord, notice["id"], body), 422, "validation")

    fields = {e["field"]: e["message"] for e in problem["errors"]}
    assert field in fields, problem["errors"]
    if message is not None:
        assert fields[field] == message
    assert _counts(db) == before


# ----------------------------------------------------------------------------- idempotency


@pytest.mark.parametrize("event", [
    {"type": "rent_paid", "occurred_on": "2026-11-24"},
    {"type": "payment_plan_agreed", "occurred_on": "2026-11-24"},
    {"type": "eviction_scheduled", "occurred_on": "2026-11-24", "eviction_at": "2027-01-14T09:00:00+01:00"},
    {"type": "tenant_served", "occurred_on": "2026-11-24"},
], ids=lambda e: e["type"])
def test_the_same_event_again_answers_200_and_adds_nothing(client, landlord, later, db, clock, event):
    notice = _notice(client, landlord, tenant_served_on=None)
    later()
    first = _event(client, landlord, notice["id"], event)
    assert first.status_code == 201, first.text
    before = _counts(db)
    clock.advance(hours=3)

    again = _event(client, landlord, notice["id"], event)

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert _counts(db) == before


def test_same_idempotency_key_replays_and_a_different_event_under_it_is_409(client, landlord, later, db):
    notice = _notice(client, landlord)
    later()
    first = _event(client, landlord, notice["id"], {"type": "payment_plan_agreed", "occurred_on": "2026-11-23"},
                   key="event-1")
    assert first.status_code == 201
    before = _counts(db)

    replay = _event(client, landlord, notice["id"], {"type": "payment_plan_agreed", "occurred_on": "2026-11-23"},
                    key="event-1")
    conflict = _event(client, landlord, notice["id"], {"type": "rent_paid", "occurred_on": "2026-11-24"},
                      key="event-1")

    assert replay.status_code == 200
    assert replay.json() == first.json()
    assert_problem(conflict, 409)
    assert _counts(db) == before
    assert client.get(f"{NOTICES}/{notice['id']}", headers=landlord.headers).json()["status"] == "routed"


def test_idempotency_keys_are_per_notice(client, landlord, later):
    one = _notice(client, landlord, external_id="E-1")
    two = _notice(client, landlord, external_id="E-2")
    later()
    body = {"type": "rent_paid", "occurred_on": "2026-11-24"}
    assert _event(client, landlord, one["id"], body, key="same").status_code == 201
    second = _event(client, landlord, two["id"], body, key="same")
    assert second.status_code == 201
    assert second.json()["id"] == two["id"] and second.json()["status"] == "closed"


def test_events_need_json_and_a_key(client, landlord, later):
    notice = _notice(client, landlord)
    later()
    url = f"{NOTICES}/{notice['id']}/events"
    assert_problem(client.post(url, json={"type": "rent_paid", "occurred_on": "2026-11-24"}), 401)
    assert_problem(client.post(url, content=b"rent_paid", headers={**landlord.headers, "Content-Type": "text/plain"}),
                   415)
    assert_problem(client.post(url, content=b"{rent", headers={**landlord.headers,
                                                                "Content-Type": "application/json"}), 400)


@pytest.mark.skipif(not IS_POSTGRES, reason="SQLite's reads take the write lock: the other request could not commit")
@pytest.mark.parametrize("key", [None, "retry-1"], ids=["same-event", "same-key"])
def test_a_replay_answers_with_the_notice_as_stored_now(client, landlord, later, db, app, key):
    """A request that read the notice before a concurrent one stored the same event (and fixed the
    deadlines) answers with the notice as stored, not as it first read it."""
    notice = _notice(client, landlord, tenant_served_on=None)
    later()
    event = {"type": "tenant_served", "occurred_on": "2026-11-24"}
    with db() as session:
        read_before = service.get_own(session, landlord.id, notice["id"])
        assert [d["estimated"] for d in service.receipt(read_before)["deadlines"]] == [True, True]
        assert _event(client, landlord, notice["id"], event, key).status_code == 201  # the other request
        context = service.IntakeContext(settings=app.state.settings, routers=app.state.routers,
                                        actor=Actor(kind="landlord", id=landlord.id, name="Bostadsbolaget AB"),
                                        now=app.state.clock())

        assert add_event(session, context, read_before, EventIn.model_validate(event), key) is False
        assert [d["estimated"] for d in service.receipt(read_before)["deadlines"]] == [False, False]
