"""POST /api/v1/notices/batch: up to 500 independent items, replayed as 200 when retried."""

from __future__ import annotations

import json
import time
from datetime import date, timedelta

from tests.notices.conftest import (
    BATCH,
    NOTICES,
    SOLNA_POSTAL_CODE,
    assert_problem,
    assert_receipt_shape,
    deadlines,
    manual_routing_body,
    notice_body,
    personnummer,
)


def _batch(client, landlord, items):
    return client.post(BATCH, json={"notices": items}, headers=landlord.headers)


def _mixed_items():
    return [
        notice_body(external_id="B-VALID"),
        notice_body({"tenants[0].personal_identity_number": "19850412-1231"}, external_id="B-INVALID"),
        notice_body({"property.postal_code": SOLNA_POSTAL_CODE, "property.city": "Solna",
                     "property.coordinates": None}, external_id="B-SOLNA"),
        notice_body(external_id="B-VALID"),  # a duplicate of item 0
    ]


def _assert_item_problem(item, status: int, type_suffix: str) -> dict:
    assert set(item) >= {"index", "status", "problem"}
    assert item.get("receipt") is None
    problem = item["problem"]
    assert item["status"] == status
    assert problem["status"] == status
    assert problem["type"] == f"https://varsel.example/problems/{type_suffix}"
    assert problem["title"]
    assert problem["request_id"]
    return problem


def test_mixed_batch_answers_each_item_in_order(client, landlord, row_counts):
    before = row_counts()

    answer = _batch(client, landlord, _mixed_items())

    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["index"] for r in results] == [0, 1, 2, 3]
    assert [r["status"] for r in results] == [201, 422, 422, 200]

    receipt = results[0]["receipt"]
    assert_receipt_shape(receipt)
    assert receipt["external_id"] == "B-VALID"
    assert receipt["received_at"] == "2026-11-20T09:14:03+01:00"
    assert receipt["status"] == "routed"
    assert receipt["district"] == {"code": "sodermalm", "name": "Södermalm"}
    assert receipt["deadlines"] == deadlines("2026-12-11", "2026-12-16", False)
    assert results[0].get("problem") is None

    invalid = _assert_item_problem(results[1], 422, "validation")
    assert {"field": "tenants[0].personal_identity_number", "message": "checksum does not match"} in invalid["errors"]
    outside = _assert_item_problem(results[2], 422, "outside-municipality")
    assert "Solna" in outside["detail"]
    assert results[3]["receipt"] == receipt
    assert results[3].get("problem") is None

    after = row_counts()
    assert after["notices"] - before["notices"] == 1
    assert after["tenants"] - before["tenants"] == 1
    assert after["cases"] - before["cases"] == 1
    assert client.get(f"{NOTICES}/{receipt['id']}", headers=landlord.headers).json() == receipt
    listed = client.get(NOTICES, headers=landlord.headers).json()["items"]
    assert [i["external_id"] for i in listed] == ["B-VALID"]


def test_retrying_the_whole_batch_replays_the_stored_items(client, landlord, clock, row_counts):
    first = _batch(client, landlord, _mixed_items()).json()["results"]
    stored = row_counts()
    clock.advance(hours=1)

    again = _batch(client, landlord, _mixed_items())

    assert again.status_code == 200
    results = again.json()["results"]
    assert [r["status"] for r in results] == [200, 422, 422, 200]
    assert results[0]["receipt"] == first[0]["receipt"]
    assert results[3]["receipt"] == first[0]["receipt"]
    assert results[1]["problem"]["errors"] == first[1]["problem"]["errors"]
    assert results[2]["problem"]["type"].endswith("/outside-municipality")
    assert row_counts() == stored


def test_batch_items_replay_notices_sent_one_by_one(client, landlord):
    single = client.post(NOTICES, json=notice_body(external_id="ONE"), headers=landlord.headers).json()

    results = _batch(client, landlord, [notice_body(external_id="ONE"), notice_body(external_id="TWO")]).json()["results"]

    assert [r["status"] for r in results] == [200, 201]
    assert results[0]["receipt"] == single


def test_batch_item_with_a_conflicting_body_is_409(client, landlord, row_counts):
    items = [notice_body(external_id="C-1"), notice_body({"property.rooms": 3}, external_id="C-1")]

    results = _batch(client, landlord, items).json()["results"]

    assert [r["status"] for r in results] == [201, 409]
    problem = _assert_item_problem(results[1], 409, "conflict")
    assert problem["notice_id"] == results[0]["receipt"]["id"]
    assert row_counts("notices") == {"notices": 1}


def test_batch_items_are_validated_one_by_one(client, landlord, row_counts):
    items = [
        notice_body({"property.floor": 4}, external_id="U-1"),          # unknown field
        notice_body(external_id="U-2", sent_on="2026-11-21"),            # kind/date rule
        manual_routing_body(external_id="U-3"),                          # stored, manual routing
        notice_body({"contact.phone": None, "contact.email": None}, external_id="U-4"),
        notice_body(external_id="U-5"),
    ]

    results = _batch(client, landlord, items).json()["results"]

    assert [r["status"] for r in results] == [422, 422, 201, 422, 201]
    assert {"field": "property.floor", "message": "unknown field"} in results[0]["problem"]["errors"]
    assert {"field": "sent_on", "message": "must not be in the future"} in results[1]["problem"]["errors"]
    assert results[2]["receipt"]["status"] == "received"
    assert results[2]["receipt"]["district"] is None
    assert {"field": "contact", "message": "give at least one of phone and email"} in results[3]["problem"]["errors"]
    assert results[4]["receipt"]["status"] == "routed"
    assert row_counts("notices") == {"notices": 2}


def test_an_item_that_is_not_an_object_does_not_reject_the_others(client, landlord, row_counts):
    # "Each item is independent: one invalid item does not reject the others."
    answer = client.post(BATCH, json={"notices": [notice_body(external_id="OK-1"), 42, "notice"]},
                         headers=landlord.headers)

    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert [r["status"] for r in results] == [201, 422, 422]
    _assert_item_problem(results[1], 422, "validation")
    assert row_counts("notices") == {"notices": 1}


def test_501_items_is_422(client, landlord, row_counts):
    before = row_counts()
    items = [notice_body(external_id=f"M-{i}") for i in range(501)]
    problem = assert_problem(_batch(client, landlord, items), 422, "validation")
    assert [e["field"] for e in problem["errors"]] == ["notices"]
    assert row_counts() == before


def test_empty_batch_is_422(client, landlord):
    problem = assert_problem(_batch(client, landlord, []), 422, "validation")
    assert [e["field"] for e in problem["errors"]] == ["notices"]


def test_batch_without_notices_or_with_extra_fields_is_422(client, landlord):
    problem = assert_problem(client.post(BATCH, json={}, headers=landlord.headers), 422, "validation")
    assert problem["errors"] == [{"field": "notices", "message": "field required"}]
    problem = assert_problem(client.post(BATCH, json={"notices": [notice_body()], "dry_run": True},
                                         headers=landlord.headers), 422, "validation")
    assert {"field": "dry_run", "message": "unknown field"} in problem["errors"]


def test_batch_body_over_2_mib_is_413(client, landlord, row_counts):
    before = row_counts()
    raw = json.dumps({"notices": [notice_body(external_id="BIG")]}).encode()
    raw = raw[:-1] + b" " * (2 * 1024 * 1024 + 1 - len(raw)) + b"}"
    assert len(raw) == 2 * 1024 * 1024 + 1

    answer = client.post(BATCH, content=raw, headers={**landlord.headers, "Content-Type": "application/json"})

    assert_problem(answer, 413)
    assert row_counts() == before


def test_batch_body_of_exactly_2_mib_is_accepted(client, landlord):
    raw = json.dumps({"notices": [notice_body(external_id="BIG")]}).encode()
    raw = raw[:-1] + b" " * (2 * 1024 * 1024 - len(raw)) + b"}"

    answer = client.post(BATCH, content=raw, headers={**landlord.headers, "Content-Type": "application/json"})

    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == [201]


def test_batch_needs_a_key_and_json(client, landlord):
    assert_problem(client.post(BATCH, json={"notices": [notice_body()]}), 401)
    assert_problem(client.post(BATCH, content=b"notices", headers={**landlord.headers, "Content-Type": "text/plain"}),
                   415)
    assert_problem(client.post(BATCH, content=b"{notices", headers={**landlord.headers,
                                                                     "Content-Type": "application/json"}), 400)


def _distinct_item(i: int) -> dict:
    # Different tenants and flats, as a real ledger run would send.
    return notice_body({
        "tenants[0].personal_identity_number": personnummer(date(1950, 1, 1) + timedelta(days=37 * i), serial=100 + i % 900),
        "tenants[0].name": f"Hyresgäst {i}",
        "property.apartment_number": f"{1000 + i:04d}",
        "property.street_address": f"Götgatan {1 + i % 90}",
    }, external_id=f"BULK-{i:04d}")


def test_batch_of_500_valid_notices(client, landlord, row_counts):
    items = [_distinct_item(i) for i in range(500)]
    raw = json.dumps({"notices": items}).encode()
    assert len(raw) < 2 * 1024 * 1024

    started = time.monotonic()
    answer = client.post(BATCH, content=raw, headers={**landlord.headers, "Content-Type": "application/json"})
    elapsed = time.monotonic() - started

    assert answer.status_code == 200, answer.text[:2000]
    results = answer.json()["results"]
    assert [r["index"] for r in results] == list(range(500))
    assert {r["status"] for r in results} == {201}
    assert [r["receipt"]["external_id"] for r in results] == [f"BULK-{i:04d}" for i in range(500)]
    assert len({r["receipt"]["id"] for r in results}) == 500
    assert all(r["receipt"]["deadlines"] == deadlines("2026-12-11", "2026-12-16", False) for r in results)
    assert row_counts("notices", "tenants") == {"notices": 500, "tenants": 500}
    assert elapsed < 45, f"a batch of 500 took {elapsed:.1f} s"

    page = client.get(NOTICES, params={"limit": 100}, headers=landlord.headers).json()
    assert len(page["items"]) == 100 and page["next_cursor"] is not None


def test_batch_items_follow_the_same_field_rules_as_single_notices(client, landlord):
    # Every row of the single-notice rule table, sent as the items of one batch.
    from tests.notices.test_validation import CASES

    cases, items = [], []
    for index, case in enumerate(CASES):
        body = case.make()
        if not isinstance(body, dict):
            continue  # non-object items: see test_an_item_that_is_not_an_object_does_not_reject_the_others
        if not case.id.startswith("external_id"):
            body["external_id"] = f"RULE-{index:03d}"
        cases.append(case)
        items.append(body)

    answer = _batch(client, landlord, items)

    assert answer.status_code == 200, answer.text[:1000]
    results = answer.json()["results"]
    assert len(results) == len(cases)
    for case, result in zip(cases, results):
        assert result["status"] == case.status, (case.id, result)
        if case.status == 201:
            assert result["receipt"]["status"] == "routed", case.id
        else:
            problem = _assert_item_problem(result, 422, "validation")
            if case.error is not None:
                field, message = case.error
                assert {"field": field, "message": message} in problem["errors"], (case.id, problem["errors"])


def test_the_answer_is_exactly_what_the_published_model_makes_of_it(client, landlord, db, settings):
    """post_batch writes its JSON itself (no response-model pass over 500 results): it must be
    what `BatchResult` would have made of the same results — for every kind of item, a test key's too."""
    from app.notices.schemas import BatchResult
    from app.security import service as accounts

    with db() as session:
        test_key = accounts.create_landlord_key(session, settings, org_number=landlord.org_number, test=True).plaintext
    for headers in (landlord.headers, {"Authorization": f"Bearer {test_key}"}):
        answer = client.post(BATCH, json={"notices": [*_mixed_items(), {"external_id": "B-BROKEN"}]}, headers=headers)
        assert answer.status_code == 200
        assert answer.json() == BatchResult.model_validate(answer.json()).model_dump(mode="json")
