"""Every answer the intake can give a landlord has its Swedish in the portal (never the English, never a shrug).

The notices below break each rule of `NoticeIn`, `validation.check_notice` and
`validation.check_event` once; whatever message comes back must have a translation.
"""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from app.errors import errors_from_pydantic
from app.identity import IdentityNumberError, parse_identity_number
from app.notices.schemas import EventIn, NoticeIn
from app.notices.validation import check_event, check_notice
from app.web.portal.messages import FALLBACK, label_of, swedish
from tests.notices.conftest import DELETE, disturbance_body, notice_body

TODAY = date(2026, 11, 20)
BAD_NOTICES = [
    notice_body(sent_on="2026-11-21", tenant_served_on="2026-11-21", termination_on="2026-11-21"),
    notice_body(sent_on="2025-11-01"),
    notice_body({"arrears.due_date": "2026-11-21"}),
    notice_body(arrears=None, disturbance={"description": "x", "requested_on": "2026-11-01"}),
    notice_body({"contact.phone": None, "contact.email": None}),
    notice_body({"tenants[0].personal_identity_number": "19850412-1231"}),
    notice_body({"tenants[0].personal_identity_number": "19850412-0000"}),
    notice_body({"tenants[0].personal_identity_number": "20990101-1234"}),
    notice_body({"tenants[0].personal_identity_number": "19850412+1230"}),
    notice_body({"tenants[0].personal_identity_number": "12345"}),
    notice_body({"tenants[0].personal_identity_number": "19850231-1230"}),
    notice_body({"tenants[0].name": "   "}, external_id="   "),
    disturbance_body(tenant_served_on="2026-11-19", termination_on="2026-11-18"),
    disturbance_body("disturbance_termination", termination_on=None),
    disturbance_body(disturbance=None, arrears=notice_body()["arrears"]),
    disturbance_body(disturbance={"description": "x", "requested_on": "2026-11-21"}),
    notice_body({"property.postal_code": "1184", "property.street_address": "G", "property.rooms": 0,
                 "property.apartment_number": "12", "tenants[0].email": "x", "tenants[0].phone": "1"}),
    notice_body({"property.rooms": 21, "household.children_under_18": -1, "household.consent": "ja"}),
    notice_body({"property.city": "", "tenants[0].name": "A\nB", "arrears.payment_instructions": "a\x00b"}),
    notice_body({"arrears.amount_sek": 0, "arrears.monthly_rent_sek": 1e12}),
    notice_body({"arrears.amount_sek": 1.005, "property.coordinates.lat": "north"}),
    notice_body({"arrears.amount_sek": "16900", "arrears.due_date": "31/10/2026"}),
    notice_body({"arrears.due_date": "2026-02-30", "tenant_served_on": "1899-12-31"}),
    notice_body(kind="eviction", tenants=[]),
    notice_body(tenants=[{"name": "A"}] * 5, surprise=1),
    notice_body({"property.street_address": DELETE, "contact.name": "x" * 201}),
    notice_body({"tenants[0].name": "\ud800"}),
]


def _messages(body: dict) -> list[str]:
    try:
        notice = NoticeIn.model_validate(body)
    except ValidationError as exc:
        return [e["message"] for e in errors_from_pydantic(exc.errors())]
    return [e["message"] for e in check_notice(notice, TODAY)]


@pytest.mark.parametrize("body", BAD_NOTICES, ids=range(len(BAD_NOTICES)))
def test_every_refusal_of_a_notice_has_its_swedish(body):
    messages = _messages(body)
    assert messages, "the notice was meant to be refused"
    untranslated = [m for m in messages if swedish(m) == FALLBACK]
    assert not untranslated


@pytest.mark.parametrize("event", [
    {"type": "rent_paid", "occurred_on": "2026-11-21", "eviction_at": "2027-01-14T09:00:00+01:00"},
    {"type": "eviction_scheduled", "occurred_on": "2026-11-20"},
    {"type": "pigeon", "occurred_on": "yesterday"},
    {"type": "rent_paid", "occurred_on": "2026-11-20", "eviction_at": "2027-01-14T09:00:00"},
])
def test_every_refusal_of_an_event_has_its_swedish(event):
    try:
        messages = [e["message"] for e in check_event(EventIn.model_validate(event), TODAY)]
    except ValidationError as exc:
        messages = [e["message"] for e in errors_from_pydantic(exc.errors())]
    assert messages
    assert [m for m in messages if swedish(m) == FALLBACK] == []


@pytest.mark.parametrize("number", ["19850412-1231", "19850412-0000", "20990101-1234", "19850412+1230", "1",
                                    "19850231-1230"])
def test_every_identity_number_refusal_has_its_swedish(number):
    with pytest.raises(IdentityNumberError) as refused:
        parse_identity_number(number, today=TODAY)
    assert swedish(str(refused.value)) != FALLBACK


def test_the_columns_have_swedish_names():
    assert label_of("tenants.1.personal_identity_number") == "Hyresgäst 2: Personnummer"
    assert label_of("arrears") == "Obetald hyra"
    assert label_of("(column 42, no header)") == "Cell utanför kolumnerna (kolumn 42)"
    from app.notices.csv_batch import COLUMNS

    assert all(not any(c.isascii() and c == "_" for c in label_of(column.name)) for column in COLUMNS)
