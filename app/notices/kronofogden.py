"""Kronofogden's "Underrättelse om avhysning": received, matched to a case, acknowledged the same day.

SoF (2025:468) 11 kap. 3 §: the committee must, the same day, confirm receipt
to Kronofogden naming the responsible handler, and send a copy to the tenant.
The notice creates a `kronofogden_acknowledgement` deadline due 23:59 that day
(next vardag when received on another day, lag 1930:173 2 §). Without an
assigned handler the case is critical and goes to the district's managers.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.calendar import STOCKHOLM, local_today
from app.cases import service as cases
from app.cases.models import Case, EvictionNotice
from app.dates import Timestamp
from app.deps import AuthorityDep, SessionDep
from app.errors import Problem, ValidationProblem
from app.identity import IdentityNumberError, parse_identity_number, parse_org_number
from app.notices.schemas import IDENTITY_NUMBER_PATTERN, ORG_NUMBER_PATTERN, PropertyIn
from app.notices.service import body_hash, same_body, tenancy_key
from app.notices.validation import require_own_municipality
from app.routing.districts import district_by_code
from app.routing.service import RouterProvider, route
from app.security import audit
from app.security.actors import Actor
from app.security.crypto import encrypt, matching_hash
from app.text import SINGLE_LINE
from app.vocabulary import DeadlineKind


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class KfTenant(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE] = Field(
        description="The person the eviction concerns (svaranden).")
    personal_identity_number: Annotated[str, StringConstraints(max_length=20), SINGLE_LINE] = Field(
        description="Personnummer or samordningsnummer, 10 or 12 digits with an optional `-` or `+`; checksum and "
                    "date must be valid. Matches the person's open case.",
        json_schema_extra={"pattern": IDENTITY_NUMBER_PATTERN})


class KfLandlord(_Strict):
    name: Annotated[str, StringConstraints(min_length=1, max_length=200), SINGLE_LINE] = Field(
        description="The landlord who applied for the eviction (sökanden).")
    org_number: Annotated[str, StringConstraints(max_length=20), SINGLE_LINE] = Field(
        description="The landlord's organisationsnummer, `NNNNNN-NNNN` (checksum validated).",
        json_schema_extra={"pattern": ORG_NUMBER_PATTERN})


class EvictionNoticeIn(_Strict):
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [{
        "reference": "KFM-2026-123456",
        "eviction_at": "2027-01-14T09:00:00+01:00",
        "tenant": {"name": "Anna Andersson", "personal_identity_number": "19850412-1230"},
        "property": {"street_address": "Götgatan 30", "postal_code": "118 46", "city": "Stockholm",
                     "apartment_number": "1102"},
        "landlord": {"name": "HSB Stockholm", "org_number": "702001-7781"},
    }]})

    reference: Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE] = Field(
        description="Kronofogden's reference (målnummer); a retry with the same reference is answered as such.")
    eviction_at: Timestamp = Field(description="When the eviction is to be carried out, RFC 3339 with offset; not "
                                               "in the past.")
    tenant: KfTenant = Field(description="The person the eviction concerns.")
    property: PropertyIn = Field(description="The dwelling, as in the landlord API.")
    landlord: KfLandlord = Field(description="The landlord.")


class EvictionNoticeOut(BaseModel):
    """The answer to Kronofogden (documentation: `answer()` builds it)."""

    id: str = Field(description="The notice's id in Varsel.")
    reference: str = Field(description="Kronofogden's reference, as sent.")
    received_at: str = Field(description="When Varsel received it, RFC 3339.")
    acknowledgement_due_at: str | None = Field(description="When the committee's acknowledgement is due, RFC 3339.")
    acknowledged_at: str | None = Field(description="When it was sent; `null` until then.")


def receive(session: Session, routers: RouterProvider, actor: Actor, body: EvictionNoticeIn, now: datetime,
            data_key: str) -> tuple[EvictionNotice, bool]:
    digest = body_hash(body, data_key)
    existing = session.scalar(select(EvictionNotice).where(EvictionNotice.authority_id == actor.id,
                                                           EvictionNotice.reference == body.reference))
    if existing is not None:
        if not same_body(existing.body_hash, body, data_key):
            raise Problem(409, "This reference was received before with different content", title="Conflicting retry")
        return existing, False
    errors = []
    try:
        identity = parse_identity_number(body.tenant.personal_identity_number, today=local_today(now))
    except IdentityNumberError as exc:
        errors.append({"field": "tenant.personal_identity_number", "message": str(exc)})
    try:
        org = parse_org_number(body.landlord.org_number)
    except IdentityNumberError as exc:
        errors.append({"field": "landlord.org_number", "message": str(exc)})
    if body.eviction_at < now:
        errors.append({"field": "eviction_at", "message": "must not be in the past"})
    if errors:
        raise ValidationProblem(errors, title="The eviction notice is not valid")

    prop = body.property
    router = routers.get(session)
    decision = route(router, street_address=prop.street_address, postal_code=prop.postal_code,
                     city=prop.city, apartment_number=prop.apartment_number,
                     lat=prop.coordinates.lat if prop.coordinates else None,
                     lon=prop.coordinates.lon if prop.coordinates else None)
    decision = require_own_municipality(decision, router, prop)
    district = district_by_code(session, decision.district_code) if decision.district_code else None
    postal = re.sub(r"\D", "", prop.postal_code)
    pin_hash = matching_hash(data_key, identity.canonical)

    savepoint = session.begin_nested()
    record = EvictionNotice(
        authority_id=actor.id, reference=body.reference, body_hash=digest, received_at=now,
        eviction_at=body.eviction_at, district_id=district.id if district else None,
        tenant_name=body.tenant.name, pin_encrypted=encrypt(data_key, identity.canonical, context="kronofogden.pin"),
        pin_hash=pin_hash, street_address=prop.street_address, postal_code=postal, city=prop.city,
        apartment_number=prop.apartment_number, landlord_name=body.landlord.name, landlord_org_number=org,
        matched_by="new_case",
    )
    session.add(record)
    try:
        session.flush()
    except IntegrityError:
        savepoint.rollback()
        again = session.scalar(select(EvictionNotice).where(EvictionNotice.authority_id == actor.id,
                                                            EvictionNotice.reference == body.reference))
        if again is None:  # pragma: no cover
            raise
        return again, False

    case, matched_by = cases.receive_eviction_notice(
        session, district, pin_hash=pin_hash,
        tenancy_key=tenancy_key(data_key, postal, prop.street_address, prop.apartment_number),
        eviction_at=body.eviction_at, reference=body.reference, eviction_notice_id=record.id, actor=actor, now=now)
    record.case_id = case.id
    record.matched_by = matched_by
    savepoint.commit()
    audit.record(session, actor, "kronofogden.eviction_notice", object_type="case", object_id=case.id,
                 district_id=case.district_id)
    return record, True


def answer(record: EvictionNotice, session: Session) -> dict[str, Any]:
    case = session.get(Case, record.case_id) if record.case_id else None
    ack = next((d for d in (case.deadlines if case else []) if d.kind == DeadlineKind.KRONOFOGDEN_ACKNOWLEDGEMENT
                and d.computed_from.get("eviction_notice_id") == str(record.id)), None)
    return {
        "id": str(record.id),
        "reference": record.reference,
        "received_at": record.received_at.astimezone(STOCKHOLM).isoformat(timespec="seconds"),
        "acknowledgement_due_at": ack.due_at.astimezone(STOCKHOLM).isoformat(timespec="minutes") if ack else None,
        "acknowledged_at": record.acknowledged_at.astimezone(STOCKHOLM).isoformat(timespec="seconds")
        if record.acknowledged_at else None,
    }



router = APIRouter(prefix="/api/v1/kronofogden", tags=["Kronofogden"])


@router.post("/eviction-notices", status_code=201, operation_id="receiveEvictionNotice",
             summary="Kronofogden's underrättelse om avhysning",
             description="Kronofogden tells the committee of an eviction (SoF 2025:468 11 kap. 3 §). The notice "
                         "joins the person's open case (or the tenancy's, or opens one) and creates the "
                         "`kronofogden_acknowledgement` deadline: 23:59 Europe/Stockholm the day it is received, "
                         "or the next vardag (lag 1930:173 2 §). The answer says when the acknowledgement is due.",
             response_description="Received.",
             responses={201: {"model": EvictionNoticeOut, "description": "Received."},
                        200: {"model": EvictionNoticeOut, "description": "A retry: the stored notice."},
                        409: {"description": "The same `reference` was received before with different content."}})
def post_eviction_notice(request: Request, body: EvictionNoticeIn, authority: AuthorityDep,
                         session: SessionDep) -> JSONResponse:
    state = request.app.state
    record, created = receive(session, state.routers, authority, body, state.clock(), state.settings.data_key)
    return JSONResponse(answer(record, session), status_code=201 if created else 200)
