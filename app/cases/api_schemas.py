"""The staff API's answers, as the OpenAPI document describes them (`app/cases/api.py`).

Documentation only: the endpoints build their answers in `queue.py` and `views.py`, and
these models are named in `responses=` (not `response_model=`), so they never filter or
change an answer. Extra fields are allowed: an answer may carry more than is listed here.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from app.notices.schemas import DistrictOut


class _Doc(BaseModel):
    model_config = ConfigDict(extra="allow")


class NextDeadline(_Doc):
    kind: str = Field(description="The deadline's kind, e.g. `redemption_period_end`, `first_contact`.")
    date: str = Field(description="Its day, `YYYY-MM-DD` (Europe/Stockholm).")
    due_at: str = Field(description="Its moment, RFC 3339.")


class JointAssessment(_Doc):
    required: bool = Field(description="Whether another unit is asked to join the assessment (samordnad bedömning).")
    units: list[str] = Field(description="The units asked: `elderly_care`, `disability`, `children_families`.")


class QueueItem(_Doc):
    case_id: str = Field(description="The case's id (`GET /api/v1/cases/{case_id}`).")
    case_number: str = Field(description="The case number staff say and write, `YYYY-NNNNNN`.")
    notice_ids: list[str] = Field(description="The case's notices (underrättelser), oldest first.")
    kind: str | None = Field(description="The kind of the latest notice.")
    kinds: list[str] = Field(description="Every kind among the case's notices.")
    district: DistrictOut | None = Field(description="The district; `null` while the case awaits manual routing.")
    received_at: str = Field(description="When the first notice was received, RFC 3339.")
    priority: str = Field(description="`critical`, `high` or `normal` (why: the case's `explanation`).")
    flags: list[str] = Field(description="Risk flags: `children`, `age_65_plus`, `repeat`, `household_unknown`, "
                                         "`eviction_scheduled` …")
    joint_assessment: JointAssessment = Field(description="The joint assessment the case needs.")
    next_deadline: NextDeadline | None = Field(description="The nearest pending deadline; `null` without one.")
    assigned_to: str | None = Field(description="The assigned handler's username; `null`: nobody yet.")
    status: str = Field(description="`open` or `closed`.")


class QueuePage(_Doc):
    items: list[QueueItem] = Field(description="Cases by urgency: priority, then nearest deadline, then oldest.")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; `null` on the last.")


class CaseDetail(_Doc):
    case_id: str = Field(description="The case's id.")
    case_number: str = Field(description="The case number, `YYYY-NNNNNN`.")
    status: str = Field(description="`open` or `closed`.")
    district: DistrictOut | None = Field(description="The district; `null` while unrouted.")
    opened_at: str = Field(description="When the case was opened, RFC 3339.")
    closed_at: str | None = Field(description="When it was closed; `null` while open.")
    priority: str = Field(description="`critical`, `high` or `normal`.")
    flags: list[str] = Field(description="Risk flags, as in the queue.")
    explanation: dict[str, Any] = Field(description="Which rule set the priority and each flag.")
    assigned_to: str | None = Field(description="The assigned handler's username.")
    property: dict[str, Any] | None = Field(description="The address of the latest notice.")
    tenants: list[dict[str, Any]] = Field(description="The contract holders, identity numbers masked "
                                                       "(`…/identity-number` shows one, audited).")
    household: dict[str, Any] = Field(description="Who lives there, with where each fact came from.")
    notices: list[dict[str, Any]] = Field(description="The case's notices (underrättelser) and their events.")
    deadlines: list[dict[str, Any]] = Field(
        description="Every deadline: `kind`, `due`, `status` (`pending`, `met`, `missed`, `cancelled`, `info`), "
                    "`legal_basis`, `estimated`, and what it was computed from.")
    contact_attempts: list[dict[str, Any]] = Field(description="Recorded contacts with the household.")
    payment_commitments: list[dict[str, Any]] = Field(
        description="The committee's payment commitments (JB 12 kap. 44 § fjärde stycket 1), `statutory` saying "
                    "whether one came within the redemption period.")
    joint_assessment: dict[str, Any] = Field(description="The units asked to join and each part's state.")
    timeline: list[dict[str, Any]] = Field(description="Every change of the case, oldest first (append-only).")
    outcome: dict[str, Any] | None = Field(description="How the case was closed; `null` while open.")


class IdentityNumberOut(_Doc):
    personal_identity_number: str = Field(description="The tenant's full personnummer or samordningsnummer, "
                                                      "`YYYYMMDD-NNNN`. Each showing is written to the audit log.")


class IntakeProperty(_Doc):
    street_address: str | None = Field(description="Street and number as the landlord wrote them.")
    postal_code: str = Field(description="Postnummer, `NNN NN`.")
    city: str | None = Field(description="Postort.")
    apartment_number: str | None = Field(description="Lägenhetsnummer, 4 digits.")


class IntakeItem(_Doc):
    notice_id: str = Field(description="The unrouted notice (`POST /api/v1/intake/{notice_id}/route`).")
    kind: str = Field(description="The notice's kind.")
    received_at: str = Field(description="When it was received, RFC 3339.")
    landlord: str | None = Field(description="The landlord's name.")
    property: IntakeProperty = Field(description="The address no method could route.")
    routing: dict[str, Any] = Field(description="How routing tried and why it could not decide.")


class IntakePage(_Doc):
    items: list[IntakeItem] = Field(description="Unrouted notices, oldest first.")


class RouteResult(_Doc):
    notice_id: str = Field(description="The notice now routed.")
    district: DistrictOut = Field(description="The district it was routed to.")
    case_id: str | None = Field(description="Its case, now in that district's queue.")


class DistrictList(_Doc):
    items: list[DistrictOut] = Field(description="The districts valid today: code and name.")
