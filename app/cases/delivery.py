"""The outbox's channels, wired to this deployment's settings and data.

Email and SMS carry what their payload says. Letters and Kronofogden
acknowledgements carry personal data, so their payload holds only ids: the
channel reads the case when it sends, and nothing personal waits in the outbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from app.calendar import STOCKHOLM, local_today
from app.cases import transitions
from app.cases.models import Case, EvictionNotice, PaymentCommitment
from app.config import Settings
from app.db import transaction, utcnow
from app.deadlines import rules
from app.files import write_private
from app.notices.models import Notice
from app.routing.districts import load_municipality
from app.security.actors import SYSTEM
from integrations.errors import IntegrationRejected
from integrations.kronofogden.factory import kronofogden_client_from_settings
from integrations.kronofogden.protocol import Acknowledgement, KronofogdenClient
from notifications import letters, outbox
from notifications.email import SmtpChannel
from notifications.models import OutboxMessage
from notifications.outbox import PermanentFailure
from notifications.sms import SmsSender, sms_sender_from_settings

log = structlog.get_logger("varsel.delivery")


def _sender(settings: Settings, case: Case) -> letters.Sender:
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


class LetterChannel:
    """Renders the letter as PDF into VARSEL_STORAGE_DIR/letters/ for printing and posting."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session]) -> None:
        self.settings = settings
        self.sessions = sessions

    def send(self, message: OutboxMessage) -> str:
        with transaction(self.sessions) as session:
            try:
                pdf = self._render(session, message)
            except ValueError as exc:
                # The letter's content is wrong or stale (e.g. its date has passed): retrying cannot help.
                raise PermanentFailure(f"letter not produced: {exc}") from exc
        folder = Path(self.settings.storage_dir) / "letters" / utcnow().astimezone(STOCKHOLM).strftime("%Y-%m")
        path = folder / f"{message.template}-{message.id}.pdf"
        write_private(path, pdf)
        return str(path)

    def _render(self, session: Session, message: OutboxMessage) -> bytes:
        payload = message.payload
        today = local_today()
        case = session.get(Case, message.case_id) if message.case_id else None
        if case is None:
            raise PermanentFailure("the case is gone (purged)")
        if message.template == "tenant_redemption_letter":
            notice = session.get(Notice, uuid.UUID(payload["notice_id"]))
            if notice is None or not notice.tenants:
                raise PermanentFailure("the notice is gone (purged)")
            redemption = next((d for d in case.deadlines if d.notice_id == notice.id
                               and d.kind == rules.REDEMPTION_PERIOD_END), None)
            if redemption is None or redemption.due_on is None:
                raise PermanentFailure("the notice has no redemption period")
            arrears = notice.arrears or {}
            return letters.render_tenant_redemption_letter(
                sender=_sender(self.settings, case), tenant_name=" och ".join(t.name or "" for t in notice.tenants),
                street_address=notice.street_address or "", postal_code=_postal(notice.postal_code),
                city=notice.city or "", redemption_end=redemption.due_on, estimated=redemption.estimated,
                amount_sek=_decimal(arrears.get("amount_sek")), payment_instructions=arrears.get("payment_instructions"),
                case_number=case.number, today=today)
        if message.template == "payment_commitment_letter":
            commitment = session.get(PaymentCommitment, uuid.UUID(payload["commitment_id"]))
            notice = session.get(Notice, commitment.notice_id) if commitment and commitment.notice_id else None
            notice = notice or (case.notices[-1] if case.notices else None)
            if commitment is None or notice is None:
                raise PermanentFailure("the commitment or its notice is gone")
            contact = notice.contact or {}
            return letters.render_payment_commitment_letter(
                sender=_sender(self.settings, case), landlord_name=notice.landlord.name,
                landlord_contact=contact.get("name"), tenant_name=" och ".join(t.name or "" for t in notice.tenants),
                street_address=notice.street_address or "", apartment_number=notice.apartment_number,
                amount_sek=commitment.amount_sek, covers_until=commitment.covers_until,
                decided_on=commitment.decided_on, statutory=commitment.statutory, case_number=case.number,
                landlord_reference=notice.external_id, today=today)
        if message.template == "kronofogden_copy":
            record = session.get(EvictionNotice, uuid.UUID(payload["eviction_notice_id"]))
            if record is None:
                raise PermanentFailure("the eviction notice is gone")
            return letters.render_kronofogden_acknowledgement_copy(
                sender=_sender(self.settings, case), tenant_name=record.tenant_name or "", reference=record.reference,
                received_at=record.received_at, eviction_at=record.eviction_at, case_number=case.number, today=today)
        raise PermanentFailure(f"unknown letter {message.template!r}")


class KronofogdenChannel:
    """Sends the same-day acknowledgement naming the responsible handler (SoF 2025:468 11 kap. 3 §)."""

    def __init__(self, settings: Settings, sessions: sessionmaker[Session], client: KronofogdenClient) -> None:
        self.settings = settings
        self.sessions = sessions
        self.client = client

    def send(self, message: OutboxMessage) -> str:
        with transaction(self.sessions) as session:
            record = session.get(EvictionNotice, uuid.UUID(message.payload["eviction_notice_id"]))
            case = session.get(Case, record.case_id) if record and record.case_id else None
            if record is None or case is None:
                raise PermanentFailure("the eviction notice or its case is gone")
            handler = case.assigned_to
            if handler is None:
                raise RuntimeError("no responsible handler assigned yet")
            municipality = load_municipality(self.settings.municipality)
            ack = Acknowledgement(
                reference=record.reference, received_at=record.received_at,
                responsible_handler_name=handler.display_name, responsible_handler_phone=handler.phone
                or (case.district.contact_phone if case.district else None),
                district_name=case.district.name if case.district else municipality["name"],
                committee=f"{case.district.name} stadsdelsnämnd" if case.district else municipality["committee"],
            )
        try:
            receipt = self.client.send_acknowledgement(ack, idempotency_key=str(message.id))
        except IntegrationRejected as exc:
            raise PermanentFailure(str(exc)) from exc
        return receipt.authority_reference


class SmsChannel:
    def __init__(self, sender: SmsSender) -> None:
        self.sender = sender

    def send(self, message: OutboxMessage) -> str:
        if not message.recipient:
            raise PermanentFailure("no phone number")
        return self.sender.send(message.recipient, message.payload["text"], idempotency_key=str(message.id))


def build_channels(settings: Settings, sessions: sessionmaker[Session]) -> dict[str, Any]:
    return {
        "email": SmtpChannel(settings),
        "sms": SmsChannel(sms_sender_from_settings(settings.sms_url, settings.sms_api_key, settings.sms_sender)),
        "letter": LetterChannel(settings, sessions),
        "kronofogden": KronofogdenChannel(settings, sessions, kronofogden_client_from_settings(
            settings.kronofogden_url, settings.kronofogden_api_key,
            str(Path(settings.storage_dir) / "kronofogden-outbox"))),
    }


# ------------------------------------------------------------------ what a successful send changes

def _acknowledged(session: Session, message: OutboxMessage, now: datetime) -> None:
    record = session.get(EvictionNotice, uuid.UUID(message.payload["eviction_notice_id"]))
    case = session.get(Case, message.case_id) if message.case_id else None
    if record is None or case is None:
        return
    record.acknowledged_at = now
    record.acknowledgement_reference = message.result
    transitions.record(session, case, "kronofogden_acknowledged", SYSTEM, {
        "reference": record.reference, "handler": case.assigned_to.username if case.assigned_to else None,
        "authority_reference": message.result}, at=now)
    deadline = next((d for d in case.deadlines if str(d.id) == message.payload.get("deadline_id")), None)
    if deadline is not None:
        transitions.resolve_deadline(session, case, deadline, "met", "acknowledgement_sent", SYSTEM, at=now)
    # The copy to the tenant (same paragraph of the förordning).
    outbox.enqueue(session, channel="letter", template="kronofogden_copy", dedup_key=f"kfcopy:{record.id}",
                   case_id=case.id, district_id=case.district_id, payload={"eviction_notice_id": str(record.id)})


def _commitment_letter_stored(session: Session, message: OutboxMessage, now: datetime) -> None:
    commitment = session.get(PaymentCommitment, uuid.UUID(message.payload["commitment_id"]))
    if commitment is not None:
        commitment.letter_path = message.result


def _postal(code: str | None) -> str:
    return f"{code[:3]} {code[3:]}" if code and len(code) == 5 else (code or "")


def _decimal(value: Any) -> Decimal | None:
    return Decimal(str(value)) if value is not None else None


outbox.SENT_HOOKS["kronofogden_acknowledgement"] = _acknowledged
outbox.SENT_HOOKS["payment_commitment_letter"] = _commitment_letter_stored

