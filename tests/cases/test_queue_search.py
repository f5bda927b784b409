"""The queue's items name the people and the address; `q` finds a case by number, name, address or identity number."""

from __future__ import annotations

import json
from datetime import date

from sqlalchemy import select

from app.security.models import AuditEvent
from tests.support.people import personnummer

ASA = personnummer(date(1962, 3, 14), "456")
BO = personnummer(date(1979, 8, 2), "789")


def _asa_and_bo(notice_body, **overrides):
    return notice_body(tenants=[{"name": "Åsa Öberg", "personal_identity_number": ASA},
                                {"name": "Bo Öberg", "personal_identity_number": BO}], **overrides)


def test_an_item_names_each_tenant_once_and_the_address(client, staff_headers, notice_body, send):
    send(_asa_and_bo(notice_body))
    # The same people again (a second notice joins their open case): still named once each.
    send(_asa_and_bo(notice_body, external_id="T-second"))
    handler = staff_headers("h1", "handler", "sodermalm")
    [item] = client.get("/api/v1/queue", headers=handler).json()["items"]
    assert len(item["notice_ids"]) == 2
    assert item["tenants"] == ["Åsa Öberg", "Bo Öberg"]
    assert item["address"] == "Götgatan 30, 118 46 Stockholm"


def _search(client, headers, q, **params):
    answer = client.get("/api/v1/queue", headers=headers, params={"q": q, **params})
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def test_search_by_name_address_case_number_and_identity_number(client, staff_headers, notice_body, send, db):
    send(_asa_and_bo(notice_body))
    send(notice_body(tenants=[{"name": "Karl Ek"}], apartment="2002",
                     property={"street_address": "Ringvägen 5", "postal_code": "118 60", "city": "Stockholm",
                               "apartment_number": "2002"}))
    handler = staff_headers("h1", "handler", "sodermalm")
    everything = client.get("/api/v1/queue", headers=handler).json()["items"]
    asa = next(i for i in everything if "Åsa Öberg" in i["tenants"])

    # Names: any part, any case, Swedish letters folded too.
    assert [i["case_id"] for i in _search(client, handler, "åsa")] == [asa["case_id"]]
    assert [i["case_id"] for i in _search(client, handler, "ÖBERG")] == [asa["case_id"]]
    # Addresses: the street, or the line as the queue shows it, or the postal code.
    assert [i["tenants"] for i in _search(client, handler, "ringvägen")] == [["Karl Ek"]]
    assert [i["tenants"] for i in _search(client, handler, "Ringvägen 5, 118 60 Stockholm")] == [["Karl Ek"]]
    assert [i["tenants"] for i in _search(client, handler, "118 60")] == [["Karl Ek"]]
    # The case number, in full or by its serial.
    assert [i["case_id"] for i in _search(client, handler, asa["case_number"])] == [asa["case_id"]]
    assert [i["case_id"] for i in _search(client, handler, str(int(asa["case_number"][5:])))] == [asa["case_id"]]
    # The identity number, in any written form: matched by its keyed hash.
    assert [i["case_id"] for i in _search(client, handler, BO)] == [asa["case_id"]]
    assert [i["case_id"] for i in _search(client, handler, BO[2:])] == [asa["case_id"]]
    assert _search(client, handler, personnummer(date(1990, 1, 1), "123")) == []
    assert _search(client, handler, "zz") == [] and len(_search(client, handler, "a")) == 0
    # A search looks at every status unless told: a closed case is found too.
    client.post(f"/api/v1/cases/{asa['case_id']}/close", headers=handler, json={"outcome": "rent_paid"})
    assert _search(client, handler, "åsa") == []  # the API's default is status=open
    assert [i["status"] for i in _search(client, handler, "åsa", status="all")] == ["closed"]

    with db() as session:
        searches = list(session.scalars(select(AuditEvent).where(AuditEvent.action == "case.search")
                                        .order_by(AuditEvent.id)))
    by = [e.details["by"] for e in searches]
    assert by.count("identity_number") == 3 and "text" in by and "case_number" in by
    written = json.dumps([e.details for e in searches], ensure_ascii=False)
    for secret in (BO, BO[2:], "åsa", "Ringvägen", "ÖBERG"):
        assert secret not in written  # the audit row says how one searched, never for what


def test_search_stays_in_the_actors_scope(client, staff_headers, notice_body, send):
    send(_asa_and_bo(notice_body, district="jarva"))
    jarva = staff_headers("j1", "handler", "jarva")
    sodermalm = staff_headers("s1", "handler", "sodermalm")
    assert len(_search(client, jarva, "Öberg")) == 1
    for q in ("Öberg", "Kistagången", ASA, "164 40"):
        assert _search(client, sodermalm, q) == [], q
    case_number = _search(client, jarva, "Öberg")[0]["case_number"]
    assert _search(client, sodermalm, case_number) == []
    # A joint assessor sees only the cases its unit was asked to join.
    assessor = staff_headers("a1", "joint_assessor", "jarva", "elderly_care")
    assert _search(client, assessor, "Öberg") == []


def test_a_search_needs_at_least_two_letters_and_keeps_wildcards_literal(client, staff_headers, notice_body, send):
    send(notice_body(tenants=[{"name": "Lisa 100% Nyberg"}]))
    send(notice_body(tenants=[{"name": "Per Persson"}], apartment="3003"))
    handler = staff_headers("h1", "handler", "sodermalm")
    assert [i["tenants"] for i in _search(client, handler, "100%")] == [["Lisa 100% Nyberg"]]
    assert _search(client, handler, "%") == []
    assert _search(client, handler, "__") == []
