"""A new notice as plain data: its columns and its tenants', computed once for both writers.

The one-notice path (`service._store`) makes ORM rows of them; the batch writer
(`bulk.py`) inserts them as they are, with no ORM object per notice.
"""

from __future__ import annotations

import json
import re
from typing import Any

from app.calendar import local_today
from app.identity import parse_identity_number
from app.ids import new_id
from app.notices.schemas import NoticeIn
from app.routing.addresses import normalise_street
from app.routing.engine import RoutingDecision
from app.security.crypto import encrypt, matching_hash


def tenancy_key(data_key: str, postal_code: str, street_address: str, apartment: str | None) -> str:
    normalised = f"{postal_code}|{normalise_street(street_address)}|{apartment or ''}"
    return matching_hash(data_key, f"tenancy:{normalised}")


def notice_values(ctx: Any, body: NoticeIn, decision: RoutingDecision, digest: str,
                  idempotency_key: str | None, district: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A new notice's columns and its tenants' (each without id and notice_id), as plain data:
    the one-notice path makes ORM rows of them, the batch writer (`bulk.py`) inserts them as they are."""
    prop = body.property
    data_key = ctx.settings.data_key
    postal = re.sub(r"\D", "", prop.postal_code)
    consent = body.household.consent if body.household else None
    values = dict(
        id=new_id(),
        landlord_id=ctx.actor.id,
        external_id=body.external_id,
        idempotency_key=idempotency_key,
        body_hash=digest,
        kind=body.kind,
        sent_on=body.sent_on,
        tenant_served_on=body.tenant_served_on,
        termination_on=body.termination_on,
        received_at=ctx.now,
        status="routed" if district else "received",
        street_address=prop.street_address,
        postal_code=postal,
        city=prop.city,
        apartment_number=prop.apartment_number,
        rooms=prop.rooms,
        lat=prop.coordinates.lat if prop.coordinates else None,
        lon=prop.coordinates.lon if prop.coordinates else None,
        tenancy_key=tenancy_key(data_key, postal, prop.street_address, prop.apartment_number),
        arrears=json.loads(body.arrears.model_dump_json()) if body.arrears else None,
        disturbance=json.loads(body.disturbance.model_dump_json()) if body.disturbance else None,
        contact=body.contact.model_dump(),
        # The counts are used, and kept, only with the household's consent.
        household_children=body.household.children_under_18 if consent else None,
        household_65_plus=body.household.residents_65_or_older if consent else None,
        household_consent=consent,
        district_id=district.id if district else None,
        routing=decision.as_dict(),
        test=ctx.actor.test,  # a test key's notice: kept apart from here on (Notice.test)
    )
    today = local_today(ctx.now)
    tenants = []
    for position, tenant in enumerate(body.tenants):
        row: dict[str, Any] = {"position": position, "name": tenant.name.strip(), "phone": tenant.phone,
                               "email": tenant.email}
        if tenant.personal_identity_number:
            identity = parse_identity_number(tenant.personal_identity_number, today=today)
            row["pin_encrypted"] = encrypt(data_key, identity.canonical, context="tenant.pin")
            row["pin_hash"] = matching_hash(data_key, identity.canonical)
            row["birth_date"] = identity.birth_date
            row["coordination_number"] = identity.coordination
        tenants.append(row)
    return values, tenants
