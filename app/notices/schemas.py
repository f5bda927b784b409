"""The landlord API's bodies, exactly as `spec/landlord-api.md` fixes them.

Shapes and formats are checked here (pydantic, unknown fields refused); rules
that depend on the notice's kind or on "today" in Europe/Stockholm are checked
in `validation.py`, so that every failing field gets its own `{field, message}`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StringConstraints

from app.dates import IsoDate, Timestamp
from app.money import Money
from app.text import MULTI_LINE, SINGLE_LINE
from app.vocabulary import LandlordEvent, NoticeKind, literal_of

KindCode = literal_of(NoticeKind)
EventCode = literal_of(LandlordEvent)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")
_POSTAL = re.compile(r"^\d{3} ?\d{2}$")


def _email(value: str) -> str:
    if not _EMAIL.match(value):
        raise ValueError("not a valid email address")
    return value


def _phone(value: str) -> str:
    if not _PHONE.match(value.strip()) or not 7 <= sum(c.isdigit() for c in value) <= 15:
        raise ValueError("not a valid phone number (e.g. +46701234567 or 08-123 456 00)")
    return value.strip()


def _postal(value: str) -> str:
    if not _POSTAL.match(value.strip()):
        raise ValueError("must be five digits, written 'NNN NN' or 'NNNNN'")
    return value.strip()


Email = Annotated[str, StringConstraints(max_length=254), SINGLE_LINE, AfterValidator(_email)]
Phone = Annotated[str, StringConstraints(max_length=40), SINGLE_LINE, AfterValidator(_phone)]
PostalCode = Annotated[str, SINGLE_LINE, AfterValidator(_postal)]


class Strict(BaseModel):
    # Integrators get typos reported at integration time, not silently dropped;
    # numbers, booleans and strings are not coerced into one another.
    model_config = ConfigDict(extra="forbid", strict=True)


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError("must be a number (WGS84 decimal degrees)")
    return float(value)


Degrees = Annotated[float, BeforeValidator(_number)]


class Coordinates(Strict):
    lat: Annotated[Degrees, Field(ge=-90, le=90)]
    lon: Annotated[Degrees, Field(ge=-180, le=180)]


class PropertyIn(Strict):
    street_address: Annotated[str, StringConstraints(min_length=2, max_length=200), SINGLE_LINE]
    postal_code: PostalCode
    city: Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE]
    apartment_number: Annotated[str, StringConstraints(pattern=r"^\d{4}$"), SINGLE_LINE] | None = None
    rooms: Annotated[int, Field(ge=1, le=20)] | None = None
    coordinates: Coordinates | None = None


class TenantIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE]
    personal_identity_number: Annotated[str, StringConstraints(max_length=20), SINGLE_LINE] | None = None
    phone: Phone | None = None
    email: Email | None = None


class HouseholdIn(Strict):
    children_under_18: Annotated[int, Field(ge=0, le=30)] | None = None
    residents_65_or_older: Annotated[int, Field(ge=0, le=30)] | None = None
    consent: bool


class ArrearsIn(Strict):
    amount_sek: Money
    due_date: IsoDate
    interest: Annotated[str, StringConstraints(max_length=200), SINGLE_LINE] | None = None
    monthly_rent_sek: Money | None = None
    payment_instructions: Annotated[str, StringConstraints(min_length=1, max_length=500), MULTI_LINE]


class DisturbanceIn(Strict):
    description: Annotated[str, StringConstraints(min_length=1, max_length=2000), MULTI_LINE]
    requested_on: IsoDate


class ContactIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE]
    phone: Phone | None = None
    email: Email | None = None


EXAMPLE_NOTICE: dict[str, Any] = {
    "external_id": "HSB-2026-000123",
    "kind": "rent_arrears",
    "sent_on": "2026-11-20",
    "tenant_served_on": "2026-11-19",
    "termination_on": "2026-11-18",
    "property": {
        "street_address": "Götgatan 30",
        "postal_code": "118 46",
        "city": "Stockholm",
        "apartment_number": "1102",
        "rooms": 2,
        "coordinates": {"lat": 59.3146, "lon": 18.0735},
    },
    "tenants": [
        {"name": "Anna Andersson", "personal_identity_number": "19850412-1230",
         "phone": "+46701234567", "email": "anna@example.se"}
    ],
    "household": {"children_under_18": 2, "residents_65_or_older": 0, "consent": True},
    "arrears": {"amount_sek": 16900.00, "due_date": "2026-10-31", "interest": "referensränta + 8 %",
                "monthly_rent_sek": 8450.00, "payment_instructions": "Bankgiro 123-4567, ange OCR 998877"},
    "disturbance": None,
    "contact": {"name": "Kim Lind", "phone": "08-123 456 00", "email": "kim.lind@hsb.example"},
}


class NoticeIn(Strict):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [EXAMPLE_NOTICE]})

    external_id: Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE]
    kind: KindCode
    sent_on: IsoDate
    tenant_served_on: IsoDate | None = None
    termination_on: IsoDate | None = None
    property: PropertyIn
    tenants: Annotated[list[TenantIn], Field(min_length=1, max_length=4)]
    household: HouseholdIn | None = None
    arrears: ArrearsIn | None = None
    disturbance: DisturbanceIn | None = None
    contact: ContactIn


class BatchIn(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"notices": [EXAMPLE_NOTICE]}]},
    )
    # Items are validated one by one (see the batch endpoint), so that one bad
    # item does not reject the others.
    notices: Annotated[list[Any], Field(min_length=1, max_length=500)]


class EventIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"type": "tenant_served", "occurred_on": "2026-11-21"},
                {"type": "eviction_scheduled", "occurred_on": "2026-11-21", "eviction_at": "2027-01-14T09:00:00+01:00"},
            ]
        },
    )

    type: EventCode
    occurred_on: IsoDate
    eviction_at: Timestamp | None = None


class DistrictOut(BaseModel):
    code: str
    name: str


class DeadlineOut(BaseModel):
    kind: str
    date: date
    legal_basis: str
    estimated: bool


class Receipt(BaseModel):
    id: str
    external_id: str
    kind: str
    received_at: str
    status: Literal["received", "routed", "closed"]
    district: DistrictOut | None
    deadlines: list[DeadlineOut]


class ReceiptPage(BaseModel):
    items: list[Receipt]
    next_cursor: str | None


class BatchItemResult(BaseModel):
    index: int
    # Only in answers to a CSV file (left out of JSON answers, whose items have no row).
    row: int | None = Field(default=None, exclude_if=lambda value: value is None,
                            description="CSV only: the item's row in the file, 1 = the first row after the header")
    status: int
    receipt: Receipt | None = None
    problem: dict[str, Any] | None = None


class BatchResult(BaseModel):
    results: list[BatchItemResult]
