"""What a received notice leaves in the database: no plain identity numbers, consent-bound
household counts, a case with its timeline, and the key's last use."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select, text

from app.cases.models import Case, TimelineEvent
from app.deadlines.models import Deadline
from app.models import Base
from app.notices.models import Notice, Tenant
from app.routing.models import District
from app.security.models import ApiKey
from tests.notices.conftest import NOTICES, NOW, notice_body, personnummer

PIN_FORMS = ("8504121230", "198504121230", "850412-1230", "19850412-1230")


def _post(client, landlord, body) -> dict:
    answer = client.post(NOTICES, json=body, headers=landlord.headers)
    assert answer.status_code == 201, answer.text
    return answer.json()


def _all_cells(db, table: str) -> list[str]:
    with db() as session:
        rows = session.execute(text(f"SELECT * FROM {table}")).all()
    return [str(cell) for row in rows for cell in row]


def _digits_in(cell: str) -> str:
    return re.sub(r"\D", "", cell)


def test_the_identity_number_is_never_stored_in_plain_text(client, landlord, db):
    _post(client, landlord, notice_body())

    tenant_cells = _all_cells(db, "tenants")
    assert tenant_cells, "the tenant row is missing"
    for cell in tenant_cells:
        for form in PIN_FORMS:
            assert form not in cell
        assert "8504121230" not in _digits_in(cell)

    # Nor anywhere else: notices (contact, routing, arrears JSON), cases, timeline, audit, …
    for table in (t.name for t in Base.metadata.sorted_tables):
        for cell in _all_cells(db, table):
            for form in PIN_FORMS:
                assert form not in cell, f"{table} holds the identity number"


def test_the_tenant_row_keeps_a_hash_an_encrypted_number_and_the_birth_date(client, landlord, db):
    _post(client, landlord, notice_body({"tenants[0].name": "  Anna Andersson  "}))

    with db() as session:
        tenant = session.scalars(select(Tenant)).one()
        assert re.fullmatch(r"[0-9a-f]{64}", tenant.pin_hash)
        assert tenant.birth_date == date(1985, 4, 12)
        assert tenant.coordination_number is False
        assert tenant.pin_encrypted and "1230" not in tenant.pin_encrypted
        assert tenant.name == "Anna Andersson"
        assert tenant.position == 0
        assert (tenant.phone, tenant.email) == ("+46701234567", "anna@example.se")


def test_the_same_person_written_differently_gets_the_same_hash(client, landlord, db):
    _post(client, landlord, notice_body(external_id="H-1"))
    _post(client, landlord, notice_body({"tenants[0].personal_identity_number": "8504121230"}, external_id="H-2"))
    _post(client, landlord, notice_body({"tenants[0].personal_identity_number": "19850472-1237"}, external_id="H-3"))

    with db() as session:
        rows = session.execute(select(Notice.external_id, Tenant.pin_hash, Tenant.birth_date,
                                      Tenant.coordination_number).join(Tenant.notice)).all()
    by_id = {r[0]: r[1:] for r in rows}
    assert by_id["H-1"][0] == by_id["H-2"][0]
    assert by_id["H-3"][0] != by_id["H-1"][0]
    assert by_id["H-3"][1:] == (date(1985, 4, 12), True)  # samordningsnummer: day - 60


def test_a_tenant_without_identity_number_stores_none(client, landlord, db):
    _post(client, landlord, notice_body({"tenants[0].personal_identity_number": None}))
    with db() as session:
        tenant = session.scalars(select(Tenant)).one()
        assert (tenant.pin_hash, tenant.pin_encrypted, tenant.birth_date) == (None, None, None)


def test_household_counts_without_consent_are_not_stored(client, landlord, db):
    _post(client, landlord, notice_body({"household": {"children_under_18": 2, "residents_65_or_older": 1,
                                                       "consent": False}}))

    with db() as session:
        notice = session.scalars(select(Notice)).one()
        assert notice.household_children is None
        assert notice.household_65_plus is None
        assert notice.household_consent is False
        case = session.get(Case, notice.case_id)
        assert "children" not in case.flags  # the counts are not used either
        assert "age_65_plus" not in case.flags  # the tenant is 41
        assert "children" not in str(case.household)


def test_household_counts_with_consent_are_stored_and_used(client, landlord, db):
    _post(client, landlord, notice_body())  # children 2, 65+ 0, consent true

    with db() as session:
        notice = session.scalars(select(Notice)).one()
        assert (notice.household_children, notice.household_65_plus, notice.household_consent) == (2, 0, True)
        case = session.get(Case, notice.case_id)
        assert "children" in case.flags
        assert case.priority in ("high", "critical")


def test_household_omitted_stores_nothing(client, landlord, db):
    body = notice_body()
    del body["household"]
    _post(client, landlord, body)
    with db() as session:
        notice = session.scalars(select(Notice)).one()
        assert (notice.household_children, notice.household_65_plus, notice.household_consent) == (None, None, None)


def test_a_tenant_aged_65_or_more_counts_whatever_the_household_says(client, landlord, db):
    # Born 1950-01-01: 76 on the day the notice is received (2026-11-20).
    pin = personnummer(date(1950, 1, 1), serial=321)
    _post(client, landlord, notice_body({"tenants[0].personal_identity_number": pin,
                                         "household.residents_65_or_older": 0}))
    with db() as session:
        case = session.scalars(select(Case)).one()
        assert "age_65_plus" in case.flags


def test_the_notice_row_holds_what_was_received(client, landlord, db):
    receipt = _post(client, landlord, notice_body())

    with db() as session:
        notice = session.get(Notice, uuid.UUID(receipt["id"]))
        sodermalm = session.scalars(select(District).where(District.code == "sodermalm")).one()
        assert notice.landlord_id == landlord.id
        assert notice.external_id == "HSB-2026-000123"
        assert notice.kind == "rent_arrears"
        assert (notice.sent_on, notice.tenant_served_on, notice.termination_on) == \
            (date(2026, 11, 20), date(2026, 11, 19), date(2026, 11, 18))
        assert notice.received_at == NOW
        assert notice.status == "routed"
        assert notice.district_id == sodermalm.id
        assert notice.postal_code == "11846"
        assert (notice.street_address, notice.city, notice.apartment_number, notice.rooms) == \
            ("Götgatan 30", "Stockholm", "1102", 2)
        assert notice.arrears["payment_instructions"] == "Bankgiro 123-4567, ange OCR 998877"
        assert float(notice.arrears["amount_sek"]) == 16900.0
        assert notice.disturbance is None
        assert notice.contact["email"] == "kim.lind@hsb.example"
        assert notice.routing["district_code"] == "sodermalm"
        assert re.fullmatch(r"[0-9a-f]{64}", notice.body_hash)


def test_a_case_is_opened_with_a_notice_received_event(client, landlord, db):
    receipt = _post(client, landlord, notice_body())

    with db() as session:
        notice = session.get(Notice, uuid.UUID(receipt["id"]))
        assert notice.case_id is not None
        case = session.get(Case, notice.case_id)
        assert case.status == "open"
        assert case.district_id == notice.district_id
        assert case.opened_at == NOW
        assert re.fullmatch(r"2026-\d{6}", case.number)
        events = session.scalars(select(TimelineEvent).where(TimelineEvent.case_id == case.id)
                                 .order_by(TimelineEvent.id)).all()
        received = [e for e in events if e.type == "notice_received"]
        assert len(received) == 1
        assert received[0].notice_id == notice.id
        assert received[0].at == NOW
        assert received[0].data["external_id"] == "HSB-2026-000123"
        assert received[0].data["kind"] == "rent_arrears"
        assert received[0].actor_kind == "landlord"
        assert events[0].type == "case_opened"
        statutory = session.scalars(select(Deadline).where(Deadline.notice_id == notice.id,
                                                           Deadline.kind.in_(["redemption_period_end",
                                                                              "eviction_decision_earliest"]))
                                    .order_by(Deadline.due_on)).all()
        assert [(d.kind, d.due_on, d.estimated) for d in statutory] == [
            ("redemption_period_end", date(2026, 12, 11), False),
            ("eviction_decision_earliest", date(2026, 12, 16), False),
        ]
        assert all(d.case_id == case.id for d in statutory)


def test_the_api_keys_last_use_is_recorded(client, landlord, db):
    with db() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.prefix == landlord.prefix)).one()
        assert key.last_used_at is None

    started = datetime.now(UTC)
    assert client.get(NOTICES, headers=landlord.headers).status_code == 200

    with db() as session:
        key = session.scalars(select(ApiKey).where(ApiKey.prefix == landlord.prefix)).one()
        assert key.last_used_at is not None
        assert started - timedelta(seconds=5) <= key.last_used_at <= datetime.now(UTC) + timedelta(seconds=5)
        assert key.revoked_at is None
        # Only a hash of the key is kept.
        assert landlord.key not in (key.key_hash, key.prefix)
    assert all(landlord.key not in cell for cell in _all_cells(db, "api_keys"))
