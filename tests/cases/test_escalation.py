"""Households and escalation, seen as staff see them: flags, units, priority, explanation, scope."""

from __future__ import annotations

from datetime import date

from tests.support.people import personnummer


def tenants(*pins: str) -> list[dict]:
    return [{"name": f"Hyresgäst {i}", "personal_identity_number": pin} for i, pin in enumerate(pins)]


def queue(client, headers, **params):
    answer = client.get("/api/v1/queue", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


def the_case(client, headers, case_id):
    answer = client.get(f"/api/v1/cases/{case_id}", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_a_tenant_who_turns_65_on_the_day_of_receipt(client, staff_headers, notice_body, send):
    send(notice_body(tenants=tenants(personnummer(date(1961, 11, 20)))))
    handler = staff_headers("h1", "handler", "sodermalm")
    [item] = queue(client, handler)
    assert item["flags"] == ["age_65_plus", "household_unknown"]
    assert item["priority"] == "high"
    assert item["joint_assessment"] == {"required": True, "units": ["disability", "elderly_care"]}
    case = the_case(client, handler, item["case_id"])
    assert case["explanation"]["flags"]["age_65_plus"] == "En hyresgäst är 65 år enligt personnumret (65 år eller äldre)."
    assert "65 år eller äldre" in case["explanation"]["priority"]
    assert [p["unit"] for p in case["joint_assessment"]["parts"]] == ["disability", "elderly_care"]
    assert all(p["state"] == "requested" for p in case["joint_assessment"]["parts"])
    assert case["tenants"][0]["age"] == 65
    assert case["tenants"][0]["personal_identity_number"] == "19611120-****"


def test_one_day_short_of_65_is_not_escalated(client, staff_headers, notice_body, send):
    send(notice_body(tenants=tenants(personnummer(date(1961, 11, 21)))))
    [item] = queue(client, staff_headers("h1", "handler", "sodermalm"))
    assert item["flags"] == ["household_unknown"]
    assert item["priority"] == "normal"
    assert item["joint_assessment"] == {"required": False, "units": []}


def test_a_samordningsnummer_holder_of_70(client, staff_headers, notice_body, send):
    pin = personnummer(date(1956, 3, 2), coordination=True)
    assert pin[6:8] == "62"
    send(notice_body(tenants=tenants(pin)))
    [item] = queue(client, staff_headers("h1", "handler", "sodermalm"))
    assert "age_65_plus" in item["flags"]
    assert item["priority"] == "high"
    assert item["joint_assessment"]["units"] == ["disability", "elderly_care"]


def test_a_family_with_two_children(client, staff_headers, notice_body, send):
    send(notice_body(household={"children_under_18": 2, "residents_65_or_older": 0, "consent": True}))
    handler = staff_headers("h1", "handler", "sodermalm")
    [item] = queue(client, handler)
    assert item["flags"] == ["children"]
    assert item["priority"] == "high"
    assert item["joint_assessment"] == {"required": True, "units": ["children_families"]}
    case = the_case(client, handler, item["case_id"])
    assert case["explanation"]["flags"]["children"] == "2 barn under 18 år enligt hyresvärden (med samtycke)."
    budget = [d for d in case["deadlines"] if d["kind"] == "budget_advice_offer"]
    assert budget == [{**budget[0], "due": "2026-11-27", "status": "pending"}]


def test_household_counts_without_consent_are_ignored(client, staff_headers, notice_body, send):
    send(notice_body(household={"children_under_18": 2, "residents_65_or_older": 1, "consent": False}))
    [item] = queue(client, staff_headers("h1", "handler", "sodermalm"))
    assert item["flags"] == ["household_unknown"]
    assert item["priority"] == "normal"


def test_a_serious_disturbance(client, staff_headers, notice_body, send):
    send(notice_body(kind="disturbance_termination", tenant_served_on=None, termination_on="2026-11-19",
                     arrears=None, disturbance={"description": "Hot mot grannar", "requested_on": "2026-11-10"}))
    [item] = queue(client, staff_headers("h1", "handler", "sodermalm"))
    assert item["flags"] == ["serious_disturbance", "household_unknown"]
    assert item["priority"] == "high"
    assert item["kind"] == "disturbance_termination"


def test_a_second_notice_for_the_same_person_joins_the_open_case(client, staff_headers, notice_body, send):
    pin = personnummer(date(1985, 4, 12))
    first = send(notice_body(tenants=tenants(pin)))
    second = send(notice_body(tenants=tenants(pin.replace("-", "")), apartment="1201"))
    handler = staff_headers("h1", "handler", "sodermalm")
    [item] = queue(client, handler)
    assert item["notice_ids"] == [first["id"], second["id"]]
    assert "repeat" in item["flags"]
    assert item["priority"] == "high"
    case = the_case(client, handler, item["case_id"])
    assert case["explanation"]["flags"]["repeat"] == "Ytterligare en underrättelse för samma person inom tolv månader."
    assert [e["type"] for e in case["timeline"]].count("notice_received") == 2


def test_same_apartment_without_identity_number_is_a_possible_repeat_in_a_new_case(
        client, staff_headers, notice_body, send):
    send(notice_body(tenants=[{"name": "A"}]))
    send(notice_body(tenants=[{"name": "B"}]))
    items = queue(client, staff_headers("h1", "handler", "sodermalm"))
    assert len(items) == 2
    assert sorted("repeat" in i["flags"] for i in items) == [False, True]


def test_eviction_scheduled_with_children_is_critical(client, landlord, staff_headers, notice_body, send):
    receipt = send(notice_body(household={"children_under_18": 1, "residents_65_or_older": 0, "consent": True}))
    answer = client.post(f"/api/v1/notices/{receipt['id']}/events", headers=landlord.headers,
                         json={"type": "eviction_scheduled", "occurred_on": "2026-11-20",
                               "eviction_at": "2027-01-14T09:00:00+01:00"})
    assert answer.status_code == 201
    handler = staff_headers("h1", "handler", "sodermalm")
    [item] = queue(client, handler)
    assert item["priority"] == "critical"
    assert "eviction_scheduled" in item["flags"]
    case = the_case(client, handler, item["case_id"])
    assert case["explanation"]["priority"] == "Avhysning är utsatt och hushållet har barn: kritisk prioritet."
    assert {"kind": "eviction", "due": "2027-01-14T09:00+01:00", "status": "info"}.items() <= \
        next(d for d in case["deadlines"] if d["kind"] == "eviction").items()


def test_nothing_shows_in_another_districts_queue(client, staff_headers, notice_body, send):
    send(notice_body(household={"children_under_18": 2, "residents_65_or_older": 0, "consent": True}))
    own = queue(client, staff_headers("h1", "handler", "sodermalm"))
    other = staff_headers("h2", "handler", "jarva")
    assert queue(client, other) == []
    answer = client.get(f"/api/v1/cases/{own[0]['case_id']}", headers=other)
    assert answer.status_code == 404
    assert answer.headers["content-type"] == "application/problem+json"
    assert client.post(f"/api/v1/cases/{own[0]['case_id']}/contacts", headers=other,
                       json={"channel": "phone", "reached": True}).status_code == 404


def test_joint_assessors_see_only_cases_their_unit_is_asked_to_join(client, staff_headers, notice_body, send):
    send(notice_body(household={"children_under_18": 2, "residents_65_or_older": 0, "consent": True}))
    send(notice_body(tenants=tenants(personnummer(date(1950, 1, 1)))))
    children = staff_headers("barn", "joint_assessor", "sodermalm", unit="children_families")
    elderly = staff_headers("aldre", "joint_assessor", "sodermalm", unit="elderly_care")
    assert [i["flags"] for i in queue(client, children)] == [["children"]]
    assert [i["flags"][0] for i in queue(client, elderly)] == ["age_65_plus"]
    other_district = staff_headers("barn2", "joint_assessor", "jarva", unit="children_families")
    assert queue(client, other_district) == []


def test_admins_and_intake_see_no_case_contents(client, staff_headers, notice_body, send):
    send(notice_body())
    handler_item = queue(client, staff_headers("h1", "handler", "sodermalm"))[0]
    for username, role in (("adm", "admin"), ("mott", "intake")):
        headers = staff_headers(username, role)
        assert client.get("/api/v1/queue", headers=headers).status_code == 404
        assert client.get(f"/api/v1/cases/{handler_item['case_id']}", headers=headers).status_code == 404


def test_kronofogden_notice_without_a_handler_is_critical_and_due_today(
        client, db, settings, staff_headers, notice_body, send):
    from app.security import service as accounts

    with db() as session:
        _authority, issued = accounts.create_authority(session, settings, name="Kronofogden")
    pin = personnummer(date(1985, 4, 12))
    send(notice_body(tenants=tenants(pin)))
    answer = client.post("/api/v1/kronofogden/eviction-notices", headers={"Authorization": f"Bearer {issued.plaintext}"},
                         json={"reference": "KFM-1", "eviction_at": "2027-01-14T09:00:00+01:00",
                               "tenant": {"name": "Anna", "personal_identity_number": pin},
                               "property": {"street_address": "Götgatan 30", "postal_code": "118 46",
                                            "city": "Stockholm", "apartment_number": "1102"},
                               "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"}})
    assert answer.status_code == 201, answer.text
    assert answer.json()["acknowledgement_due_at"] == "2026-11-20T23:59+01:00"
    handler = staff_headers("h1", "handler", "sodermalm")
    [item] = queue(client, handler)  # matched to the open case by identity number
    assert item["priority"] == "critical"
    assert "eviction_scheduled" in item["flags"]
    assert item["next_deadline"]["kind"] == "kronofogden_acknowledgement"
    case = the_case(client, handler, item["case_id"])
    assert "Kronofogden" in case["explanation"]["priority"]
    # a retry of the same notice changes nothing
    again = client.post("/api/v1/kronofogden/eviction-notices", headers={"Authorization": f"Bearer {issued.plaintext}"},
                        json={"reference": "KFM-1", "eviction_at": "2027-01-14T09:00:00+01:00",
                              "tenant": {"name": "Anna", "personal_identity_number": pin},
                              "property": {"street_address": "Götgatan 30", "postal_code": "118 46",
                                           "city": "Stockholm", "apartment_number": "1102"},
                              "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"}})
    assert again.status_code == 200
    assert len(queue(client, handler)) == 1
