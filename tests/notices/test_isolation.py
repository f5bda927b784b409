"""A landlord sees only its own notices (404, never 403); keys can be revoked; receipts keep OSL secrecy."""

from __future__ import annotations

import uuid

import pytest

from app.security import service as accounts
from tests.notices.conftest import (
    NOTICES,
    assert_problem,
    assert_receipt_shape,
    deadlines,
    manual_routing_body,
    notice_body,
)


@pytest.fixture
def two_landlords(make_landlord):
    return make_landlord("HSB Stockholm"), make_landlord("Familjebostäder AB")


def _not_found(answer) -> dict:
    problem = assert_problem(answer, 404, "not-found")
    assert problem["status"] == 404 and "forbidden" not in problem["type"]
    return problem


def test_another_landlords_notice_is_404(client, two_landlords, row_counts):
    a, b = two_landlords
    notice = client.post(NOTICES, json=notice_body(), headers=a.headers).json()
    before = row_counts()

    read = client.get(f"{NOTICES}/{notice['id']}", headers=b.headers)
    event = client.post(f"{NOTICES}/{notice['id']}/events", json={"type": "rent_paid", "occurred_on": "2026-11-20"},
                        headers=b.headers)

    read_problem = _not_found(read)
    event_problem = _not_found(event)
    assert notice["id"] not in read.text and "HSB-2026-000123" not in read.text
    assert row_counts() == before
    # A still sees its own notice, unchanged (B's event was not applied).
    assert client.get(f"{NOTICES}/{notice['id']}", headers=a.headers).json() == notice

    # "Not yours" and "does not exist" are indistinguishable.
    missing = str(uuid.uuid4())
    for answer, problem in ((client.get(f"{NOTICES}/{missing}", headers=b.headers), read_problem),
                            (client.post(f"{NOTICES}/{missing}/events",
                                         json={"type": "rent_paid", "occurred_on": "2026-11-20"},
                                         headers=b.headers), event_problem)):
        other = _not_found(answer)
        assert {k: v for k, v in other.items() if k != "request_id"} == \
               {k: v for k, v in problem.items() if k != "request_id"}


@pytest.mark.parametrize("notice_id", ["3f1c0a52-8d7e-4b7a-9a61-2d0f5e6b9c11", "not-a-uuid", "12345", "0" * 40])
def test_unknown_or_malformed_ids_are_404(client, landlord, notice_id):
    _not_found(client.get(f"{NOTICES}/{notice_id}", headers=landlord.headers))
    _not_found(client.post(f"{NOTICES}/{notice_id}/events",
                           json={"type": "rent_paid", "occurred_on": "2026-11-20"}, headers=landlord.headers))


def test_the_list_shows_only_own_notices(client, two_landlords, clock):
    a, b = two_landlords
    a_ids = []
    for i in range(3):
        a_ids.append(client.post(NOTICES, json=notice_body(external_id=f"A-{i}"), headers=a.headers).json()["id"])
        clock.advance(minutes=1)
    b_notice = client.post(NOTICES, json=notice_body(external_id="B-0"), headers=b.headers).json()
    clock.advance(minutes=1)
    a_ids.append(client.post(NOTICES, json=notice_body(external_id="A-3"), headers=a.headers).json()["id"])

    b_list = client.get(NOTICES, headers=b.headers).json()
    assert b_list == {"items": [b_notice], "next_cursor": None}
    assert client.get(NOTICES, params={"external_id": "A-0"}, headers=b.headers).json() == \
        {"items": [], "next_cursor": None}

    # Paging through A's list never crosses into B's notices either.
    seen, cursor = [], None
    while True:
        page = client.get(NOTICES, params={"limit": 1, **({"cursor": cursor} if cursor else {})},
                          headers=a.headers).json()
        seen.extend(i["id"] for i in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(a_ids))

    # A cursor taken from A's list does not open A's notices to B.
    a_cursor = client.get(NOTICES, params={"limit": 1}, headers=a.headers).json()["next_cursor"]
    # (B-0 was received before A-3, so B's own B-0 is all that lies behind that cursor.)
    assert client.get(NOTICES, params={"cursor": a_cursor}, headers=b.headers).json() == \
        {"items": [b_notice], "next_cursor": None}


def test_external_ids_and_keys_are_per_landlord(client, two_landlords, row_counts):
    a, b = two_landlords
    a_notice = client.post(NOTICES, json=notice_body(), headers={**a.headers, "Idempotency-Key": "k-1"})
    b_same = client.post(NOTICES, json=notice_body(), headers={**b.headers, "Idempotency-Key": "k-1"})

    assert (a_notice.status_code, b_same.status_code) == (201, 201)
    assert a_notice.json()["id"] != b_same.json()["id"]
    assert row_counts("notices") == {"notices": 2}
    # Each one replays its own.
    assert client.post(NOTICES, json=notice_body(), headers=a.headers).json() == a_notice.json()
    assert client.post(NOTICES, json=notice_body(), headers=b.headers).json() == b_same.json()
    # A different body under B's external_id is B's conflict, naming B's notice only.
    conflict = assert_problem(client.post(NOTICES, json=notice_body({"property.rooms": 5}), headers=b.headers), 409)
    assert conflict["notice_id"] == b_same.json()["id"]
    assert a_notice.json()["id"] not in conflict["detail"]


def test_a_revoked_key_is_401(client, landlord, db, settings):
    notice = client.post(NOTICES, json=notice_body(), headers=landlord.headers).json()
    with db() as session:
        second = accounts.create_landlord_key(session, settings, org_number=landlord.org_number)
        second_headers = {"Authorization": f"Bearer {second.plaintext}"}
        accounts.revoke_key(session, prefix=landlord.prefix)

    for answer in (
        client.post(NOTICES, json=notice_body(external_id="AFTER-REVOKE"), headers=landlord.headers),
        client.get(NOTICES, headers=landlord.headers),
        client.get(f"{NOTICES}/{notice['id']}", headers=landlord.headers),
        client.post(f"{NOTICES}/{notice['id']}/events", json={"type": "rent_paid", "occurred_on": "2026-11-20"},
                    headers=landlord.headers),
    ):
        assert_problem(answer, 401, "unauthorized")
        assert answer.headers["www-authenticate"] == "Bearer"

    # The landlord's other key still works and sees the same notice.
    assert client.get(f"{NOTICES}/{notice['id']}", headers=second_headers).json() == notice
    assert client.get(NOTICES, params={"external_id": "AFTER-REVOKE"}, headers=second_headers).json()["items"] == []


def test_an_authority_key_is_not_a_landlord_key(client, db, settings):
    with db() as session:
        _, issued = accounts.create_authority(session, settings, name="Kronofogden")
    answer = client.post(NOTICES, json=notice_body(), headers={"Authorization": f"Bearer {issued.plaintext}"})
    assert_problem(answer, 401)


# ----------------------------------------------------------------------------- secrecy (OSL 26 kap. 1 §)


def _case_id(client, staff) -> str:
    queue = client.get("/api/v1/queue", headers=staff).json()["items"]
    assert len(queue) == 1, queue
    return queue[0]["case_id"]


def test_social_services_work_never_shows_in_the_receipt(client, landlord, staff_headers):
    created = client.post(NOTICES, json=notice_body(tenant_served_on=None), headers=landlord.headers)
    receipt = created.json()
    assert receipt["status"] == "routed"
    handler = staff_headers("handler.sodermalm", "handler", "sodermalm")
    case_id = _case_id(client, handler)

    steps = [
        client.post(f"/api/v1/cases/{case_id}/assign", json={"username": "handler.sodermalm"}, headers=handler),
        client.post(f"/api/v1/cases/{case_id}/contacts", json={"channel": "phone", "reached": True,
                                                              "note": "Hyresgästen söker ekonomiskt bistånd"},
                    headers=handler),
        client.post(f"/api/v1/cases/{case_id}/payment-commitment",
                    json={"amount_sek": "16900.00", "covers_until": "2026-11-30", "decided_on": "2026-11-20"},
                    headers=handler),
        client.post(f"/api/v1/cases/{case_id}/close", json={"outcome": "payment_commitment"}, headers=handler),
    ]
    assert [s.status_code for s in steps] == [200, 201, 201, 200], [s.text for s in steps]

    after = client.get(f"{NOTICES}/{receipt['id']}", headers=landlord.headers)
    assert after.status_code == 200
    assert after.json() == receipt  # status, deadlines: nothing of the committee's work shows
    assert_receipt_shape(after.json())
    listed = client.get(NOTICES, headers=landlord.headers).json()["items"]
    assert listed == [receipt]
    for word in ("payment_commitment", "handler", "contact", "case", "bistånd", "assigned"):
        assert word not in after.text


def test_receipt_status_only_ever_takes_the_three_spec_values(client, landlord, staff_headers, clock):
    routed = client.post(NOTICES, json=notice_body(external_id="S-1"), headers=landlord.headers).json()
    manual = client.post(NOTICES, json=manual_routing_body(external_id="S-2"), headers=landlord.headers).json()
    assert (routed["status"], manual["status"]) == ("routed", "received")
    assert manual["district"] is None

    # The intake role routes the manual one: the landlord sees that a district has it.
    intake = staff_headers("intake.1", "intake")
    routed_by_hand = client.post(f"/api/v1/intake/{manual['id']}/route", json={"district": "norra-innerstaden"},
                                 headers=intake)
    assert routed_by_hand.status_code == 200, routed_by_hand.text
    manual_now = client.get(f"{NOTICES}/{manual['id']}", headers=landlord.headers).json()
    assert manual_now["status"] == "routed"
    assert manual_now["district"]["code"] == "norra-innerstaden"
    assert manual_now["deadlines"] == deadlines("2026-12-11", "2026-12-16", False)

    # Only the landlord's own terminal event closes it.
    clock.advance(days=1)
    closed = client.post(f"{NOTICES}/{routed['id']}/events", json={"type": "rent_paid", "occurred_on": "2026-11-21"},
                         headers=landlord.headers)
    assert closed.status_code == 201
    statuses = {i["status"] for i in client.get(NOTICES, headers=landlord.headers).json()["items"]}
    assert statuses == {"routed", "closed"}
