"""Safe retries: the same external_id (or Idempotency-Key) with the same body replays the receipt.

The concurrency tests run the app in a real uvicorn server on an ephemeral
port and fire identical requests from several threads at the same moment.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select, text

from app.cases.models import TimelineEvent
from tests.notices.conftest import NOTICES, assert_problem, notice_body

PARALLEL = 8


def _post(client, landlord, body, key: str | None = None):
    headers = {**landlord.headers, **({"Idempotency-Key": key} if key else {})}
    return client.post(NOTICES, json=body, headers=headers)


def _notices_with(db, external_id: str) -> int:
    with db() as session:
        return session.execute(text("SELECT COUNT(*) FROM notices WHERE external_id = :e"),
                               {"e": external_id}).scalar_one()


# ----------------------------------------------------------------------------- external_id


def test_identical_retry_answers_200_with_the_original_receipt(client, landlord, clock, row_counts):
    first = _post(client, landlord, notice_body())
    assert first.status_code == 201
    stored = row_counts()
    clock.advance(hours=5, minutes=7)

    again = _post(client, landlord, notice_body())

    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert again.json()["received_at"] == "2026-11-20T09:14:03+01:00"  # not the retry's time
    assert again.headers["location"] == first.headers["location"]
    assert row_counts() == stored


def test_retry_with_keys_in_another_order_is_identical(client, landlord):
    first = _post(client, landlord, notice_body())

    def reverse(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: reverse(value[k]) for k in reversed(list(value))}
        if isinstance(value, list):
            return [reverse(v) for v in value]
        return value

    raw = json.dumps(reverse(notice_body()), ensure_ascii=False).encode()
    assert raw != json.dumps(notice_body(), ensure_ascii=False).encode()
    again = client.post(NOTICES, content=raw, headers={**landlord.headers, "Content-Type": "application/json"})

    assert again.status_code == 200, again.text
    assert again.json() == first.json()


def test_retry_with_other_whitespace_and_escapes_is_identical(client, landlord):
    first = _post(client, landlord, notice_body())
    raw = json.dumps(notice_body(), indent=4, ensure_ascii=True).encode()  # "G\u00f6tgatan" etc.

    again = client.post(NOTICES, content=raw, headers={**landlord.headers, "Content-Type": "application/json"})

    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]


def test_retry_omitting_a_null_optional_field_is_identical(client, landlord):
    # "An optional field may be omitted or null": the two forms are the same notice.
    first = _post(client, landlord, notice_body())  # has "disturbance": null
    body = notice_body()
    del body["disturbance"]

    again = _post(client, landlord, body)

    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]


def test_retry_writing_the_same_amount_differently_is_identical(client, landlord):
    # 16900.00, 16900.0 and 16900 are the same JSON number (SEK); a ledger that
    # serialises the amount one way on the first attempt and another on the
    # retry is still sending the identical notice.
    body = notice_body()
    as_decimal = json.dumps(body).replace('"amount_sek": 16900.0', '"amount_sek": 16900.00')
    as_integer = json.dumps(body).replace('"amount_sek": 16900.0', '"amount_sek": 16900')
    assert '"amount_sek": 16900.00' in as_decimal and '"amount_sek": 16900,' in as_integer
    headers = {**landlord.headers, "Content-Type": "application/json"}
    first = client.post(NOTICES, content=as_decimal.encode(), headers=headers)
    assert first.status_code == 201

    again = client.post(NOTICES, content=as_integer.encode(), headers=headers)

    assert again.status_code == 200, again.text
    assert again.json()["id"] == first.json()["id"]


def test_same_external_id_with_a_different_body_is_409(client, landlord, row_counts):
    first = _post(client, landlord, notice_body()).json()
    stored = row_counts()

    answer = _post(client, landlord, notice_body({"arrears.amount_sek": 25350.00}))

    problem = assert_problem(answer, 409)
    assert problem["notice_id"] == first["id"]
    assert first["id"] in problem["detail"]
    assert row_counts() == stored
    # The stored notice is untouched and an identical retry still replays it.
    assert client.get(f"{NOTICES}/{first['id']}", headers=landlord.headers).json() == first
    assert _post(client, landlord, notice_body()).status_code == 200


@pytest.mark.parametrize("change", [
    {"tenant_served_on": None},
    {"property.apartment_number": "1103"},
    {"tenants[0].name": "Anna Andersson Berg"},
    {"household.consent": False},
    {"contact.email": None},
])
def test_any_difference_in_the_body_is_409(client, landlord, change):
    first = _post(client, landlord, notice_body()).json()
    problem = assert_problem(_post(client, landlord, notice_body(change)), 409)
    assert problem["notice_id"] == first["id"]


def test_a_rejected_conflicting_retry_is_checked_before_validation(client, landlord):
    # A conflicting body is a 409 even when it would also be invalid: the integrator
    # must learn that the external_id is taken.
    first = _post(client, landlord, notice_body()).json()
    problem = assert_problem(_post(client, landlord, notice_body(sent_on="2026-11-21")), 409)
    assert problem["notice_id"] == first["id"]


# ----------------------------------------------------------------------------- Idempotency-Key


def test_same_key_and_same_body_answers_200(client, landlord, clock):
    first = _post(client, landlord, notice_body(), key="retry-7f3a")
    assert first.status_code == 201
    clock.advance(minutes=30)

    again = _post(client, landlord, notice_body(), key="retry-7f3a")

    assert again.status_code == 200, again.text
    assert again.json() == first.json()


def test_same_key_with_a_different_external_id_is_409(client, landlord, row_counts):
    first = _post(client, landlord, notice_body(external_id="HSB-1"), key="key-1").json()
    stored = row_counts()

    answer = _post(client, landlord, notice_body(external_id="HSB-2"), key="key-1")

    problem = assert_problem(answer, 409)
    assert problem["notice_id"] == first["id"]
    assert "Idempotency-Key" in problem["detail"]
    assert row_counts() == stored
    assert client.get(NOTICES, params={"external_id": "HSB-2"}, headers=landlord.headers).json()["items"] == []


def test_a_new_key_for_a_stored_external_id_replays_it(client, landlord):
    first = _post(client, landlord, notice_body(), key="first-key").json()
    again = _post(client, landlord, notice_body(), key="second-key")
    assert again.status_code == 200
    assert again.json() == first


def test_different_keys_and_external_ids_make_two_notices(client, landlord):
    one = _post(client, landlord, notice_body(external_id="A"), key="k-a")
    two = _post(client, landlord, notice_body(external_id="B"), key="k-b")
    assert (one.status_code, two.status_code) == (201, 201)
    assert one.json()["id"] != two.json()["id"]


def test_retry_after_the_first_answer_was_lost(client, landlord, clock, db):
    # The first attempt reached the server and was stored, but the landlord's
    # ledger never saw the answer (timeout). It retries the same request later.
    body = notice_body(external_id="HSB-2026-LOST")
    lost = _post(client, landlord, body, key="ledger-run-42/item-1")
    assert lost.status_code == 201
    del lost  # the answer never arrived
    clock.advance(minutes=2)

    retry = _post(client, landlord, body, key="ledger-run-42/item-1")

    assert retry.status_code == 200, retry.text
    receipt = retry.json()
    assert receipt["received_at"] == "2026-11-20T09:14:03+01:00"
    assert client.get(f"{NOTICES}/{receipt['id']}", headers=landlord.headers).json() == receipt
    listed = client.get(NOTICES, headers=landlord.headers).json()
    assert [i["id"] for i in listed["items"]] == [receipt["id"]]
    assert _notices_with(db, "HSB-2026-LOST") == 1


# ----------------------------------------------------------------------------- concurrency


@contextmanager
def live_server(app) -> Iterator[str]:
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_config=None, access_log=False)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn-test", daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped during startup"
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)
        assert not thread.is_alive(), "uvicorn did not stop"


def fire_together(base_url: str, count: int, send: Callable[[httpx.Client, int], httpx.Response]) -> list[httpx.Response]:
    """Send `count` requests from `count` threads released at the same moment."""
    barrier = threading.Barrier(count)
    answers: list[httpx.Response | None] = [None] * count
    failures: list[BaseException] = []

    def worker(index: int) -> None:
        try:
            with httpx.Client(base_url=base_url, timeout=30) as http:
                barrier.wait(timeout=15)
                answers[index] = send(http, index)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not failures, failures
    assert all(a is not None for a in answers)
    return answers  # type: ignore[return-value]


def _assert_one_created(answers: list[httpx.Response]) -> str:
    statuses = sorted(a.status_code for a in answers)
    assert all(s in (200, 201) for s in statuses), [(a.status_code, a.text) for a in answers]
    assert statuses.count(201) == 1, statuses
    ids = {a.json()["id"] for a in answers}
    assert len(ids) == 1, ids
    receipts = [a.json() for a in answers]
    assert all(r == receipts[0] for r in receipts)
    return ids.pop()


@pytest.mark.parametrize("round_", range(3))
def test_concurrent_identical_posts_create_one_notice(app, landlord, db, row_counts, round_):
    external_id = f"RACE-{round_}"
    body = notice_body(external_id=external_id)
    before = row_counts()

    with live_server(app) as url:
        answers = fire_together(url, PARALLEL, lambda http, _: http.post(NOTICES, json=body, headers=landlord.headers))

    notice_id = _assert_one_created(answers)
    assert _notices_with(db, external_id) == 1
    after = row_counts()
    assert after["notices"] - before["notices"] == 1
    assert after["tenants"] - before["tenants"] == 1
    assert after["cases"] - before["cases"] == 1
    with db() as session:
        received = session.scalar(select(func.count()).select_from(TimelineEvent).where(
            TimelineEvent.type == "notice_received", TimelineEvent.notice_id == uuid.UUID(notice_id)))
    assert received == 1


def test_concurrent_posts_sharing_one_idempotency_key_create_one_notice(app, landlord, db, row_counts):
    body = notice_body(external_id="RACE-KEY")
    headers = {**landlord.headers, "Idempotency-Key": "batch-2026-11-20/000123"}
    before = row_counts()

    with live_server(app) as url:
        answers = fire_together(url, PARALLEL, lambda http, _: http.post(NOTICES, json=body, headers=headers))

    _assert_one_created(answers)
    assert _notices_with(db, "RACE-KEY") == 1
    assert row_counts()["notices"] - before["notices"] == 1


def test_concurrent_posts_sharing_a_key_with_different_bodies(app, landlord, db):
    # Eight different notices under one key at once: exactly one is stored, the others are 409.
    headers = {**landlord.headers, "Idempotency-Key": "one-key"}

    with live_server(app) as url:
        answers = fire_together(url, PARALLEL, lambda http, i: http.post(
            NOTICES, json=notice_body(external_id=f"RACE-DIFF-{i}"), headers=headers))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (PARALLEL - 1), [(a.status_code, a.text) for a in answers]
    created = next(a.json() for a in answers if a.status_code == 201)
    for answer in answers:
        if answer.status_code == 409:
            assert answer.headers["content-type"] == "application/problem+json"
            assert answer.json()["notice_id"] == created["id"]
    with db() as session:
        assert session.execute(text("SELECT COUNT(*) FROM notices")).scalar_one() == 1


def test_concurrent_posts_of_one_external_id_with_different_bodies(app, landlord, db):
    with live_server(app) as url:
        answers = fire_together(url, PARALLEL, lambda http, i: http.post(
            NOTICES, json=notice_body({"property.rooms": i + 1}, external_id="RACE-SAME-ID"),
            headers=landlord.headers))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [201] + [409] * (PARALLEL - 1), [(a.status_code, a.text) for a in answers]
    assert _notices_with(db, "RACE-SAME-ID") == 1


def test_concurrent_identical_events_are_recorded_once(app, client, landlord, db, clock):
    notice = _post(client, landlord, notice_body(tenant_served_on=None)).json()
    event = {"type": "tenant_served", "occurred_on": "2026-11-20"}

    with live_server(app) as url:
        answers = fire_together(url, PARALLEL, lambda http, _: http.post(
            f"{NOTICES}/{notice['id']}/events", json=event, headers=landlord.headers))

    statuses = sorted(a.status_code for a in answers)
    assert statuses == [200] * (PARALLEL - 1) + [201], [(a.status_code, a.text) for a in answers]
    with db() as session:
        assert session.execute(text("SELECT COUNT(*) FROM notice_events")).scalar_one() == 1
        recomputed = session.execute(
            text("SELECT COUNT(*) FROM timeline_events WHERE type = 'deadline_recomputed'")).scalar_one()
        landlord_events = session.execute(
            text("SELECT COUNT(*) FROM timeline_events WHERE type = 'landlord_event'")).scalar_one()
    assert landlord_events == 1
    assert recomputed == 2  # the two statutory deadlines, once
    final = client.get(f"{NOTICES}/{notice['id']}", headers=landlord.headers).json()
    assert [d["estimated"] for d in final["deadlines"]] == [False, False]
    stale = [(a.status_code, a.json()["deadlines"]) for a in answers if a.json() != final]
    assert not stale, f"answers differing from the stored receipt {final['deadlines']}: {stale}"
