"""The letters a case produces, as PDF: read from the case's rows, rendered by `notifications/letters.py`.

Used by the letter channel when the outbox sends (the payload holds only ids,
so nothing personal waits in the outbox) and by the staff UI's preview of the
payment-commitment letter. A letter whose content is gone or wrong raises
`LetterUnavailable`: retrying cannot help.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from app.calendar import local_today
from app.cases.models import Case, EvictionNotice, PaymentCommitment
from app.config import Settings
from app.notices.models import Notice
from app.routing.districts import load_municipality
from app.vocabulary import DeadlineKind
from notifications import letters


class LetterUnavailable(Exception):
    """The letter cannot be produced from what is stored (purged, no redemption period …)."""


def sender(settings: Settings, case: Case) -> letters.Sender:
    municipality = load_municipality(settings.municipality)
    district = case.district
    handler = case.assigned_to
    return letters.Sender(
        district_name=district.name if district else municipality["name"],
        municipality_name=municipality["name"],
        committee=f"{district.name} stadsdelsnämnd" if district else municipality.get("committee", ""),
        address=district.contact_address if district else None,
        phone=district.contact_phone if district else None,
        email=district.contact_email if district else None,
        handler_name=handler.display_name if handler else None,
        handler_phone=handler.phone if handler else None,
    )


def tenant_redemption_letter(session: Session, settings: Settings, case: Case, notice_id: Any) -> bytes:
    """To the tenant, in plain Swedish: the date that matters, how to pay, whom to call."""
    notice = session.get(Notice, notice_id)
    if notice is None or not notice.tenants:
        raise LetterUnavailable("the notice is gone (purged)")
    redemption = next((d for d in case.deadlines if d.notice_id == notice.id
                       and d.kind == DeadlineKind.REDEMPTION_PERIOD_END), None)
    if redemption is None or redemption.due_on is None:
        raise LetterUnavailable("the notice has no redemption period")
    arrears = notice.arrears or {}
    return letters.render_tenant_redemption_letter(
        sender=sender(settings, case), tenant_name=" och ".join(t.name or "" for t in notice.tenants),
        street_address=notice.street_address or "", postal_code=_postal(notice.postal_code),
        city=notice.city or "", redemption_end=redemption.due_on, estimated=redemption.estimated,
        amount_sek=_decimal(arrears.get("amount_sek")), payment_instructions=arrears.get("payment_instructions"),
        case_number=case.number, today=local_today())


def commitment_letter(session: Session, settings: Settings, case: Case, commitment: PaymentCommitment) -> bytes:
    """To the landlord: the committee's written undertaking to pay (JB 12 kap. 44 § fjärde stycket 1)."""
    notice = session.get(Notice, commitment.notice_id) if commitment.notice_id else None
    notice = notice or (case.notices[-1] if case.notices else None)
    if notice is None:
        raise LetterUnavailable("the commitment's notice is gone")
    contact = notice.contact or {}
    return letters.render_payment_commitment_letter(
        sender=sender(settings, case), landlord_name=notice.landlord.name,
        landlord_contact=contact.get("name"), tenant_name=" och ".join(t.name or "" for t in notice.tenants),
        street_address=notice.street_address or "", apartment_number=notice.apartment_number,
        amount_sek=commitment.amount_sek, covers_until=commitment.covers_until,
        decided_on=commitment.decided_on, statutory=commitment.statutory, case_number=case.number,
        landlord_reference=notice.external_id, today=local_today())


def kronofogden_copy(settings: Settings, case: Case, record: EvictionNotice) -> bytes:
    """To the tenant: the copy of the acknowledgement sent to Kronofogden (SoF 2025:468 11 kap. 3 §)."""
    return letters.render_kronofogden_acknowledgement_copy(
        sender=sender(settings, case), tenant_name=record.tenant_name or "", reference=record.reference,
        received_at=record.received_at, eviction_at=record.eviction_at, case_number=case.number,
        today=local_today())


def _postal(code: str | None) -> str:
    return f"{code[:3]} {code[3:]}" if code and len(code) == 5 else (code or "")


def _decimal(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None
