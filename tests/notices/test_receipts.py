"""POST /api/v1/notices answers the spec's receipt; GET reads receipts back, newest first, keyset-paged."""

from __future__ import annotations

import base64
import uuid
from datetime import datetime

import pytest

from tests.notices.conftest import (
    DECISION_BASIS,
    NOTICES,
    NOW,
    REDEMPTION_BASIS,
    UTC,
    assert_problem,
    assert_receipt_shape,
    deadlines,
    disturbance_body,
    manual_routing_body,
    notice_body,
    stockholm_iso,
)

SPEC_RECEIPT_DEADLINES = [
    {"kind": "redemption_period_end", "date": "2026-12-11",
     "legal_basis": "JB 12 kap. 44 § första stycket 1; lag (1930:173)", "estimated": False},
    {"kind": "eviction_decision_earliest", "date": "2026-12-16",
     "legal_basis": "JB 12 kap. 44 § andra stycket", "estimated": False},
]


def test_the_spec_example_gets_exactly_the_spec_receipt(client, landlord):
    answer = client.post(NOTICES, json=notice_body(), headers=landlord.headers)

    assert answer.status_code == 201, answer.text
    assert answer.headers["content-type"] == "application/json"
    receipt = answer.json()
    assert_receipt_shape(receipt)
    notice_id = str(uuid.UUID(receipt["id"]))  # a real UUID
    assert receipt["id"] == notice_id
    assert answer.headers["location"] == f"/api/v1/notices/{notice_id}"
    assert receipt["external_id"] == "HSB-2026-000123"
    assert receipt["kind"] == "rent_arrears"
    assert receipt["received_at"] == "2026-11-20T09:14:03+01:00"
    assert receipt["status"] == "routed"
    assert receipt["district"] == {"code": "sodermalm", "name": "Södermalm"}
    assert receipt["deadlines"] == SPEC_RECEIPT_DEADLINES
    # The constants used elsewhere in this folder are the spec's strings.
    assert deadlines("2026-12-11", "2026-12-16", False) == SPEC_RECEIPT_DEADLINES
    assert (REDEMPTION_BASIS, DECISION_BASIS) == (
        SPEC_RECEIPT_DEADLINES[0]["legal_basis"], SPEC_RECEIPT_DEADLINES[1]["legal_basis"])


def test_received_at_is_stockholm_time_with_the_summer_offset(client, landlord, clock):
    clock.set(datetime(2026, 6, 15, 22, 30, 5, tzinfo=UTC))  # 00:30:05 on 16 June in Stockholm
    body = notice_body(sent_on="2026-06-16", tenant_served_on="2026-06-16", termination_on="2026-06-12",
                       arrears={**notice_body()["arrears"], "due_date": "2026-05-31"})

    answer = client.post(NOTICES, json=body, headers=landlord.headers)

    assert answer.status_code == 201, answer.text
    assert answer.json()["received_at"] == "2026-06-16T00:30:05+02:00"
    # Tue 16 June + 3 weeks = Tue 7 July; then Wed 8, Thu 9, Fri 10 July.
    assert answer.json()["deadlines"] == deadlines("2026-07-07", "2026-07-10", False)


def test_unserved_tenant_gives_estimated_earliest_dates(client, landlord):
    body = notice_body(tenant_served_on=None)

    receipt = client.post(NOTICES, json=body, headers=landlord.headers).json()

    # Earliest possible start is sent_on (Fri 2026-11-20): Fri 11 Dec, then Mon 14, Tue 15, Wed 16 Dec.
    assert receipt["deadlines"] == deadlines("2026-12-11", "2026-12-16", True)


def test_unserved_tenant_estimate_counts_from_sent_on(client, landlord):
    # Sent Wed 2026-11-18, service unknown → start Wed 18 Nov → Wed 9 Dec (a vardag);
    # eviction decision: Thu 10, Fri 11, (weekend), Mon 14 Dec.
    body = notice_body(sent_on="2026-11-18", termination_on="2026-11-17")
    del body["tenant_served_on"]  # absent is the same as null

    answer = client.post(NOTICES, json=body, headers=landlord.headers)

    assert answer.status_code == 201, answer.text
    assert answer.json()["deadlines"] == deadlines("2026-12-09", "2026-12-14", True)


@pytest.mark.parametrize("kind", ["disturbance_warning", "disturbance_termination"])
def test_disturbance_notices_have_no_statutory_deadlines(client, landlord, kind):
    answer = client.post(NOTICES, json=disturbance_body(kind), headers=landlord.headers)

    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["kind"] == kind
    assert receipt["deadlines"] == []
    assert receipt["status"] == "routed"
    assert receipt["district"] == {"code": "sodermalm", "name": "Södermalm"}


def test_unroutable_address_is_stored_for_manual_routing(client, landlord):
    answer = client.post(NOTICES, json=manual_routing_body(external_id="MANUAL-1"), headers=landlord.headers)

    assert answer.status_code == 201, answer.text
    receipt = answer.json()
    assert receipt["status"] == "received"
    assert receipt["district"] is None
    assert receipt["external_id"] == "MANUAL-1"
    assert receipt["deadlines"] == deadlines("2026-12-11", "2026-12-16", False)
    again = client.get(f"{NOTICES}/{receipt['id']}", headers=landlord.headers)
    assert again.status_code == 200
    assert again.json() == receipt


def test_get_returns_the_same_receipt(client, landlord, clock):
    created = client.post(NOTICES, json=notice_body(), headers=landlord.headers)
    clock.advance(days=3)  # reading later changes nothing

    answer = client.get(created.headers["location"], headers=landlord.headers)

    assert answer.status_code == 200, answer.text
    assert answer.json() == created.json()
    assert answer.json()["received_at"] == "2026-11-20T09:14:03+01:00"


# ----------------------------------------------------------------------------- the list


def _create_series(client, landlord, clock, count: int, minutes_apart: float = 1) -> list[dict]:
    receipts = []
    for index in range(count):
        answer = client.post(NOTICES, json=notice_body(external_id=f"LIST-{index:02d}"), headers=landlord.headers)
        assert answer.status_code == 201, answer.text
        receipts.append(answer.json())
        clock.advance(minutes=minutes_apart)
    return receipts


def test_list_is_newest_first_and_keyset_paged(client, landlord, clock):
    receipts = _create_series(client, landlord, clock, 7)
    newest_first = list(reversed(receipts))
    assert [r["received_at"] for r in newest_first][:2] == ["2026-11-20T09:20:03+01:00", "2026-11-20T09:19:03+01:00"]

    pages, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        answer = client.get(NOTICES, params=params, headers=landlord.headers)
        assert answer.status_code == 200, answer.text
        page = answer.json()
        assert set(page) == {"items", "next_cursor"}
        pages.append(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
        assert isinstance(cursor, str) and cursor
        assert len(pages) < 5, "pagination does not end"

    assert [len(p) for p in pages] == [3, 3, 1]
    flat = [item for page in pages for item in page]
    assert flat == newest_first  # exact receipts, in order, no overlap, none missing
    assert len({item["id"] for item in flat}) == 7


def test_list_ends_with_a_null_cursor_when_the_last_page_is_full(client, landlord, clock):
    receipts = _create_series(client, landlord, clock, 6)

    first = client.get(NOTICES, params={"limit": 3}, headers=landlord.headers).json()
    second = client.get(NOTICES, params={"limit": 3, "cursor": first["next_cursor"]}, headers=landlord.headers).json()

    assert [i["external_id"] for i in first["items"]] == ["LIST-05", "LIST-04", "LIST-03"]
    assert [i["external_id"] for i in second["items"]] == ["LIST-02", "LIST-01", "LIST-00"]
    assert second["next_cursor"] is None
    everything = client.get(NOTICES, headers=landlord.headers).json()  # default limit covers all six
    assert everything == {"items": list(reversed(receipts)), "next_cursor": None}


def test_list_pages_notices_received_at_the_same_instant(client, landlord, clock):
    receipts = _create_series(client, landlord, clock, 5, minutes_apart=0)
    assert len({r["received_at"] for r in receipts}) == 1

    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(NOTICES, params=params, headers=landlord.headers).json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert cursor is None
    assert sorted(r["id"] for r in seen) == sorted(r["id"] for r in receipts)
    assert len(seen) == 5
    # Ties are broken by id, descending, consistently across pages.
    assert [r["id"] for r in seen] == sorted((r["id"] for r in receipts), key=uuid.UUID, reverse=True)


def test_list_pages_notices_a_microsecond_apart(client, landlord, clock):
    clock.advance(microseconds=123456)
    receipts = _create_series(client, landlord, clock, 5, minutes_apart=1 / 60_000_000)  # one microsecond

    seen, cursor = [], None
    for _ in range(5):
        params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        page = client.get(NOTICES, params=params, headers=landlord.headers).json()
        seen.extend(i["external_id"] for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == [r["external_id"] for r in reversed(receipts)]


def test_list_filters_by_external_id(client, landlord, clock):
    receipts = _create_series(client, landlord, clock, 3)

    answer = client.get(NOTICES, params={"external_id": "LIST-01"}, headers=landlord.headers)
    assert answer.status_code == 200
    assert answer.json() == {"items": [receipts[1]], "next_cursor": None}

    none = client.get(NOTICES, params={"external_id": "NO-SUCH-ID"}, headers=landlord.headers)
    assert none.status_code == 200
    assert none.json() == {"items": [], "next_cursor": None}


def test_empty_list(client, landlord):
    answer = client.get(NOTICES, headers=landlord.headers)
    assert answer.status_code == 200
    assert answer.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("limit", ["101", "1000", "0", "-1", "many"])
def test_list_limit_out_of_range_is_422(client, landlord, limit):
    body = assert_problem(client.get(NOTICES, params={"limit": limit}, headers=landlord.headers), 422, "validation")
    assert [e["field"] for e in body["errors"]] == ["limit"]


def test_list_limit_100_is_allowed(client, landlord, clock):
    _create_series(client, landlord, clock, 2)
    answer = client.get(NOTICES, params={"limit": 100}, headers=landlord.headers)
    assert answer.status_code == 200
    assert [i["external_id"] for i in answer.json()["items"]] == ["LIST-01", "LIST-00"]


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor!!",
        "%%%",
        _b64("hello"),
        _b64("2026-11-20T08:14:03+00:00|not-a-uuid"),
        _b64("yesterday|0b6c6c0e-0000-4000-8000-000000000000"),
        # Decodes to a timestamp and a UUID, but the timestamp has no offset:
        # still not a cursor this API hands out.
        _b64("2026-11-20T08:14:03|0b6c6c0e-0000-4000-8000-000000000000"),
    ],
    ids=["garbage", "percent", "b64-no-separator", "b64-bad-uuid", "b64-bad-stamp", "b64-naive-stamp"],
)
def test_bad_cursor_is_422(client, landlord, cursor):
    client.post(NOTICES, json=notice_body(), headers=landlord.headers)

    answer = client.get(NOTICES, params={"cursor": cursor}, headers=landlord.headers)

    body = assert_problem(answer, 422, "validation")
    assert [e["field"] for e in body["errors"]] == ["cursor"]


def test_receipt_time_matches_the_pinned_clock(client, landlord):
    receipt = client.post(NOTICES, json=notice_body(), headers=landlord.headers).json()
    assert receipt["received_at"] == stockholm_iso(NOW)
