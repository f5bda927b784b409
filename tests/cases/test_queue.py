"""The queue: most urgent first (priority, nearest deadline, oldest), keyset paged, filtered."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from tests.support.people import personnummer


def test_order_and_paging(app, client, staff_headers, notice_body, send, landlord):
    start = datetime(2026, 11, 20, 9, 0, tzinfo=timezone.utc)
    bodies = [
        # (minutes after start, body)
        (0, notice_body(tenants=[{"name": "A"}])),                                                   # normal
        (1, notice_body(tenants=[{"name": "B", "personal_identity_number": personnummer(date(1950, 1, 2))}],
                        apartment="2001")),                                                          # high (65+)
        (2, notice_body(kind="disturbance_warning", tenant_served_on=None, termination_on=None, arrears=None,
                        disturbance={"description": "Störningar", "requested_on": "2026-11-10"},
                        tenants=[{"name": "C"}], apartment="3001")),                                  # normal, no redemption
        (3, notice_body(household={"children_under_18": 1, "residents_65_or_older": 0, "consent": True},
                        tenants=[{"name": "D"}], apartment="4001")),                                  # high (children)
    ]
    ids = []
    for minutes, body in bodies:
        app.state.clock = lambda m=minutes: start + timedelta(minutes=m)
        ids.append(send(body)["id"])
    receipt = client.post(f"/api/v1/notices/{ids[3]}/events", headers=landlord.headers,
                          json={"type": "eviction_scheduled", "occurred_on": "2026-11-20",
                                "eviction_at": "2027-01-10T09:00:00+01:00"})
    assert receipt.status_code == 201
    handler = staff_headers("h1", "handler", "sodermalm")
    seen, cursor, pages = [], None, 0
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        answer = client.get("/api/v1/queue", headers=handler, params=params).json()
        seen += answer["items"]
        pages += 1
        cursor = answer["next_cursor"]
        if cursor is None:
            break
    assert pages == 2
    assert [i["notice_ids"][0] for i in seen] == [ids[3], ids[1], ids[0], ids[2]]
    assert [i["priority"] for i in seen] == ["critical", "high", "normal", "normal"]
    # within "normal": the first-contact deadlines are equal (same day), so the older case comes first


def test_filters(client, staff_headers, notice_body, send):
    send(notice_body(tenants=[{"name": "A"}]))
    send(notice_body(household={"children_under_18": 2, "residents_65_or_older": 0, "consent": True},
                     tenants=[{"name": "B"}], apartment="2001"))
    handler = staff_headers("h1", "handler", "sodermalm")
    children = client.get("/api/v1/queue", headers=handler, params={"flag": "children"}).json()["items"]
    assert [i["flags"] for i in children] == [["children"]]
    assert client.get("/api/v1/queue", headers=handler, params={"assigned": "me"}).json()["items"] == []
    assert len(client.get("/api/v1/queue", headers=handler, params={"assigned": "none"}).json()["items"]) == 2
    assert client.get("/api/v1/queue", headers=handler, params={"status": "closed"}).json()["items"] == []
    kinds = client.get("/api/v1/queue", headers=handler, params={"kind": "disturbance_warning"}).json()["items"]
    assert kinds == []
