"""Searching the queue (`q`): by case number, tenant name, address or identity number.

Förordning (2001:637) 15 § allows name, personnummer, samordningsnummer and the
case number as search keys in case handling; the staff contract adds the address.
An identity number is matched by its keyed hash (`matching_hash` on
`Tenant.pin_hash` and Kronofogden's `EvictionNotice.pin_hash`) — nothing is
decrypted. The clause returned here only narrows the queue's own query, which
starts from the actor's scope, so a search never reaches outside it. Every
search is audited with what kind of key was used and how many cases it found —
never the key itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, false, or_, select
from sqlalchemy.orm import Session

from app.cases.models import Case, EvictionNotice
from app.identity import IdentityNumberError, parse_identity_number
from app.notices.models import Notice, Tenant
from app.security import audit
from app.security.actors import Actor
from app.security.crypto import matching_hash
from app.sql import casefold

MAX_LENGTH = 100
MIN_TEXT = 2
_CASE_NUMBER = re.compile(r"^(\d{4})-(\d{1,6})$")
_SHORT_NUMBER = re.compile(r"^\d{1,6}$")
_POSTAL_CODE = re.compile(r"^(\d{3}) ?(\d{2})$")
_PIN_LIKE = re.compile(r"^[0-9 +-]{10,15}$")


@dataclass(frozen=True)
class Search:
    by: str  # identity_number | case_number | text
    clause: ColumnElement[bool]


def parse(q: str, *, actor: Actor, today: date, data_key: str) -> Search:
    text = " ".join(q.split())[:MAX_LENGTH]
    if _PIN_LIKE.match(text):
        try:
            identity = parse_identity_number(text, today=today)
        except IdentityNumberError:
            identity = None
        if identity is not None:
            return Search("identity_number", _by_pin_hash(matching_hash(data_key, identity.canonical)))
    numbered = _CASE_NUMBER.match(text)
    if numbered:
        return Search("case_number", Case.number == f"{numbered[1]}-{int(numbered[2]):06d}")
    if _SHORT_NUMBER.match(text):
        # "12" is case 12 of this year or one of the two before it (numbers restart each year).
        years = (today.year, today.year - 1, today.year - 2)
        return Search("case_number", Case.number.in_([f"{y}-{int(text):06d}" for y in years]))
    if len(text) < MIN_TEXT:
        return Search("text", false())
    return Search("text", _by_name_or_address(text, actor))


def _by_pin_hash(pin_hash: str) -> ColumnElement[bool]:
    return or_(
        Case.id.in_(select(Notice.case_id).join(Tenant, Tenant.notice_id == Notice.id)
                    .where(Tenant.pin_hash == pin_hash)),
        Case.id.in_(select(EvictionNotice.case_id).where(EvictionNotice.pin_hash == pin_hash)),
    )


def _by_name_or_address(text: str, actor: Actor) -> ColumnElement[bool]:
    # "Götgatan 30, 118 46 Stockholm", as the queue shows it, finds the street part.
    street = text.split(",")[0].strip() or text
    needle = text.lower()
    street_needle = street.lower()
    landlord_notices = [
        casefold(Tenant.name).contains(needle, autoescape=True),
        casefold(Notice.street_address).contains(street_needle, autoescape=True),
    ]
    kronofogden = [
        casefold(EvictionNotice.tenant_name).contains(needle, autoescape=True),
        casefold(EvictionNotice.street_address).contains(street_needle, autoescape=True),
    ]
    postal = _POSTAL_CODE.match(text)
    if postal:
        landlord_notices.append(Notice.postal_code == postal[1] + postal[2])
        kronofogden.append(EvictionNotice.postal_code == postal[1] + postal[2])
    # Only the actor's district is read (the queue's scope would drop the rest anyway).
    return or_(
        Case.id.in_(select(Notice.case_id).outerjoin(Tenant, Tenant.notice_id == Notice.id)
                    .where(Notice.district_id == actor.district_id, or_(*landlord_notices))),
        Case.id.in_(select(EvictionNotice.case_id)
                    .where(EvictionNotice.district_id == actor.district_id, or_(*kronofogden))),
    )


def record(session: Session, actor: Actor, search: Search, *, found: int, via: str | None) -> None:
    details: dict[str, object] = {"by": search.by, "found": found}
    if via:
        details["via"] = via
    audit.record(session, actor, "case.search", object_type="case", district_id=actor.district_id, details=details)
