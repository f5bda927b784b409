"""The landlord API's bodies, exactly as `spec/landlord-api.md` fixes them.

Shapes and formats are checked here (pydantic, unknown fields refused); rules
that depend on the notice's kind or on "today" in Europe/Stockholm are checked
in `validation.py`, so that every failing field gets its own `{field, message}`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, SerializerFunctionWrapHandler,
                      StringConstraints, model_serializer)

from app.dates import IsoDate, Timestamp
from app.money import Money
from app.text import MULTI_LINE, SINGLE_LINE
from app.vocabulary import LandlordEvent, NoticeKind, literal_of

KindCode = literal_of(NoticeKind)
EventCode = literal_of(LandlordEvent)

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[A-Za-z]{2,}$")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()-]{5,24}$")
# [0-9], not \d: \d takes any script's digits ("１１８ ４６"), which no register holds.
_POSTAL = re.compile(r"^[0-9]{3} ?[0-9]{2}$")
# What the OpenAPI document shows; the validators above (and app/identity.py) decide.
POSTAL_CODE_PATTERN = _POSTAL.pattern
PHONE_PATTERN = _PHONE.pattern
IDENTITY_NUMBER_PATTERN = r"^([0-9]{2})?[0-9]{6}[-+]?[0-9]{4}$"
ORG_NUMBER_PATTERN = r"^(16)?[0-9]{6}-?[0-9]{4}$"
APARTMENT_NUMBER_PATTERN = r"^[0-9]{4}$"


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
    try:
        return float(value)
    except OverflowError:  # an integer of hundreds of digits: no float holds it, and no degree is that large
        raise ValueError("is too large to be a number of degrees") from None


Degrees = Annotated[float, BeforeValidator(_number)]


class Coordinates(Strict):
    lat: Annotated[Degrees, Field(ge=-90, le=90)] = Field(description="Latitude, WGS84 decimal degrees.")
    lon: Annotated[Degrees, Field(ge=-180, le=180)] = Field(description="Longitude, WGS84 decimal degrees.")


class PropertyIn(Strict):
    street_address: Annotated[str, StringConstraints(min_length=2, max_length=200), SINGLE_LINE] = Field(
        description="Street and number (gatuadress), 2–200 characters.")
    postal_code: PostalCode = Field(description="Postnummer, five digits written `NNN NN` or `NNNNN`. A code wholly "
                                                "outside the municipality is refused (`…/outside-municipality`).",
                                    json_schema_extra={"pattern": POSTAL_CODE_PATTERN})
    city: Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE] = Field(
        description="Postort.")
    apartment_number: Annotated[str, StringConstraints(pattern=APARTMENT_NUMBER_PATTERN), SINGLE_LINE] | None = Field(
        None, description="Lägenhetsnummer, 4 digits.")
    rooms: Annotated[int, Field(ge=1, le=20)] | None = Field(None, description="Number of rooms, 1–20.")
    coordinates: Coordinates | None = Field(
        None, description="The dwelling's WGS84 point, used for routing when no entry of the city's address "
                          "register matches; a point outside every district is ignored (and noted).")


class TenantIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE] = Field(
        description="The contract holder's name, 1–200 characters.")
    personal_identity_number: Annotated[str, StringConstraints(max_length=20), SINGLE_LINE] | None = Field(
        None, description="Personnummer or samordningsnummer: 10 or 12 digits, optional `-` or `+` (`+`: 100 years "
                          "or older). Checksum and calendar date must be valid; serial `000` is refused. Stored "
                          "encrypted.", json_schema_extra={"pattern": IDENTITY_NUMBER_PATTERN})
    phone: Phone | None = Field(None, description="e.g. `+46701234567` or `08-123 456 00`.",
                                json_schema_extra={"pattern": PHONE_PATTERN})
    email: Email | None = Field(None, description="An email address.", json_schema_extra={"format": "email"})


class HouseholdIn(Strict):
    children_under_18: Annotated[int, Field(ge=0, le=30)] | None = Field(
        None, description="Children under 18 living there; `null`: unknown. Used only with `consent`.")
    residents_65_or_older: Annotated[int, Field(ge=0, le=30)] | None = Field(
        None, description="Residents aged 65 or older; `null`: unknown. Used only with `consent`.")
    consent: bool = Field(description="Whether the household agreed to these counts being passed on; without it "
                                      "they are ignored and not stored.")


class ArrearsIn(Strict):
    amount_sek: Money = Field(description="The rent owed, SEK (> 0, at most two decimals).")
    due_date: IsoDate = Field(description="When the unpaid rent fell due, `YYYY-MM-DD`; not after `sent_on`.")
    interest: Annotated[str, StringConstraints(max_length=200), SINGLE_LINE] | None = Field(
        None, description="The interest claimed (dröjsmålsränta), e.g. `referensränta + 8 %`.")
    monthly_rent_sek: Money | None = Field(None, description="The monthly rent, SEK (> 0).")
    payment_instructions: Annotated[str, StringConstraints(min_length=1, max_length=500), MULTI_LINE] = Field(
        description="How to pay so that the tenancy is saved (återvinning), as told to the tenant: bankgiro, OCR …")


class DisturbanceIn(Strict):
    description: Annotated[str, StringConstraints(min_length=1, max_length=2000), MULTI_LINE] = Field(
        description="The disturbances (störningar) or lack of care (bristande skötsamhet), ≤ 2000 characters.")
    requested_on: IsoDate = Field(description="When the tenant was asked to stop (rättelseanmaning), `YYYY-MM-DD`.")


class ContactIn(Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE] = Field(
        description="The landlord's contact person for the social services.")
    phone: Phone | None = Field(None, description="Their phone; `phone` or `email` is required.",
                                json_schema_extra={"pattern": PHONE_PATTERN})
    email: Email | None = Field(None, description="Their email; `phone` or `email` is required.",
                                json_schema_extra={"format": "email"})


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
    # The OpenAPI examples are the files of examples/ (app/openapi.py); EXAMPLE_NOTICE above is the
    # contract's own example, which the tests send.
    model_config = ConfigDict(extra="forbid", strict=True)

    external_id: Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE] = Field(
        description="Your own reference, 1–100 characters, unique per landlord: the same one again with the same "
                    "body is a safe retry (200), with another body a conflict (409).")
    kind: KindCode = Field(
        description="`rent_arrears`: termination for unpaid rent (JB 12 kap. 44 §); `disturbance_warning`: request "
                    "to stop disturbances or bristande skötsamhet (JB 12 kap. 25 a §); `disturbance_termination`: "
                    "copy of a termination for särskilt allvarliga störningar (JB 12 kap. 42 § fjärde stycket).")
    sent_on: IsoDate = Field(description="The day you sent this underrättelse to the social welfare committee (the "
                                         "registered letter's dispatch date, JB 12 kap. 63 §); not in the future, "
                                         "at most a year back.")
    tenant_served_on: IsoDate | None = Field(
        None, description="`rent_arrears` only: the day the tenant was served (delgiven) the termination with the "
                          "redemption information; `null` when not yet served (the deadlines are then estimated).")
    termination_on: IsoDate | None = Field(
        None, description="The day of the termination (uppsägning), not in the future: required for "
                          "`disturbance_termination`, optional for `rent_arrears`, forbidden for "
                          "`disturbance_warning` (JB 12 kap. 42 § tredje stycket).")
    property: PropertyIn = Field(description="The dwelling: it decides the district.")
    tenants: Annotated[list[TenantIn], Field(min_length=1, max_length=4)] = Field(
        description="The contract holders, 1–4.")
    household: HouseholdIn | None = Field(
        None, description="Who lives there, when known and the household consented. A tenant whose identity "
                          "number shows 65+ counts as 65+ whatever this says.")
    arrears: ArrearsIn | None = Field(None, description="Required for `rent_arrears`, forbidden otherwise: what "
                                                        "Formulär 3 says about the debt.")
    disturbance: DisturbanceIn | None = Field(None, description="Required for the two disturbance kinds, "
                                                                "forbidden for `rent_arrears`.")
    contact: ContactIn = Field(description="Whom the social services call at the landlord.")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    # Items are validated one by one (see the batch endpoint), so that one bad
    # item does not reject the others.
    notices: Annotated[list[Any], Field(min_length=1, max_length=500)] = Field(
        description="1–500 notices, each a `NoticeIn`; each is validated and answered on its own.")


class EventIn(Strict):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        json_schema_extra={
            "examples": [
                {"type": "eviction_scheduled", "occurred_on": "2026-11-21", "eviction_at": "2027-01-14T09:00:00+01:00"},
            ]
        },
    )

    type: EventCode = Field(
        description="`tenant_served` (sets `tenant_served_on`; deadlines recomputed), `rent_paid` (hyresrätten "
                    "återvunnen), `payment_plan_agreed`, `termination_withdrawn`, `eviction_applied` (to "
                    "Kronofogden), `eviction_scheduled` (`eviction_at` required), `eviction_executed`, "
                    "`tenant_moved_out`.")
    occurred_on: IsoDate = Field(description="When it happened, `YYYY-MM-DD`; not in the future.")
    eviction_at: Timestamp | None = Field(None, description="`eviction_scheduled`: when Kronofogden will carry out "
                                                            "the eviction, RFC 3339 with offset.")


class DistrictOut(BaseModel):
    code: str = Field(description="The district's code, e.g. `sodermalm`.")
    name: str = Field(description="The district's name, e.g. `Södermalm`.")


class DeadlineOut(BaseModel):
    kind: str = Field(description="`redemption_period_end` (återvinningsfristen) or `eviction_decision_earliest`.")
    date: Annotated[date, Field(description="The day, `YYYY-MM-DD` (Europe/Stockholm).")]
    legal_basis: str = Field(description="Where the law sets it, e.g. `JB 12 kap. 44 § första stycket 1; "
                                         "lag (1930:173)`.")
    estimated: bool = Field(description="`true` when an input is missing (e.g. no `tenant_served_on`): the earliest "
                                        "possible day is shown.")


class Receipt(BaseModel):
    id: str = Field(description="The notice's id in Varsel (`GET /api/v1/notices/{id}`).")
    external_id: str = Field(description="Your reference, as sent.")
    kind: str = Field(description="The notice's kind, as sent.")
    received_at: str = Field(description="When Varsel received it, RFC 3339 (Europe/Stockholm offset).")
    status: Literal["received", "routed", "closed"] = Field(
        description="`received`: awaiting manual routing; `routed`: a district has it; `closed`: after a terminal "
                    "event you reported. Never the social services' work with the tenant (OSL 26 kap. 1 §).")
    district: DistrictOut | None = Field(description="The district that has it; `null` until routed with "
                                                     "confidence (the notice is still stored).")
    deadlines: list[DeadlineOut] = Field(description="The statutory dates Varsel computed, to compare with yours.")
    test: bool = Field(False, description="Present, and `true`, only for a notice sent with a test key: it is "
                                          "kept apart and deleted after 30 days. A real notice's receipt has no "
                                          "`test`.")

    @model_serializer(mode="wrap")
    def _test_only_when_true(self, handler: SerializerFunctionWrapHandler):  # no return type: the schema stays the fields
        # A real notice's receipt is exactly the published one; only a test key's says `"test": true`.
        data = handler(self)
        if not data.get("test"):
            data.pop("test", None)
        return data


class ReceiptPage(BaseModel):
    items: list[Receipt] = Field(description="Receipts, newest first.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; `null` on the last.")


class BatchItemResult(BaseModel):
    index: int = Field(description="The item's position in `notices`, from 0.")
    # Only in answers to a CSV file (left out of JSON answers, whose items have no row).
    row: int | None = Field(default=None, exclude_if=lambda value: value is None,
                            description="CSV only: the item's row in the file, 1 = the first row after the header")
    status: int = Field(description="The item's own status: 201 stored, 200 a retry, 409, 422, or 500.")
    receipt: Receipt | None = Field(None, description="With 200 and 201: the receipt.")
    problem: dict[str, Any] | None = Field(None, description="Otherwise: the item's problem (a `Problem`).")


class BatchResult(BaseModel):
    results: list[BatchItemResult] = Field(description="One result per item, in the order sent.")
