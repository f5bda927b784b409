"""The outbox's channels, wired to this deployment's settings and data.

Email and SMS carry what their payload says. Letters and Kronofogden
acknowledgements carry personal data, so their payload holds only ids: the
channel reads the case when it sends, and nothing personal waits in the outbox.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy.orm import Session, sessionmaker

from app.calendar import STOCKHOLM
from app.cases import documents, service
from app.cases.models import Case, EvictionNotice, PaymentCommitment
from app.config import Settings
from app.db import transaction, utcnow
from app.files import write_private
from app.jobs.base import JobContext
from app.routing.districts import load_municipality
from app.vocabulary_records import DeliveryFailure
from integrations.errors import IntegrationRejected
from integrations.kronofogden.factory import kronofogden_client_from_settings
from integrations.kronofogden.protocol import Acknowledgement, KronofogdenClient
from notifications import outbox
from notifications.email import SmtpChannel
from notifications.models import OutboxMessage
from notifications.outbox import PermanentFailure, RetryLater
from notifications.sms import SmsSender, sms_sender_from_settings

log = structlog.get_logger("varsel.delivery")
NOT_PRODUCED = DeliveryFailure.LETTER_NOT_PRODUCED


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
                raise PermanentFailure(f"letter not produced: {exc}", NOT_PRODUCED) from exc
        folder = Path(self.settings.storage_dir) / "letters" / utcnow().astimezone(STOCKHOLM).strftime("%Y-%m")
        path = folder / f"{message.template}-{message.id}.pdf"
        write_private(path, pdf)
        return str(path)

    def _render(self, session: Session, message: OutboxMessage) -> bytes:
        payload = message.payload
        case = session.get(Case, message.case_id) if message.case_id else None
        if case is None:
            raise PermanentFailure("the case is gone (purged)", DeliveryFailure.CASE_GONE)
        try:
            if message.template == "tenant_redemption_letter":
                return documents.tenant_redemption_letter(session, self.settings, case,
                                                          uuid.UUID(payload["notice_id"]))
            if message.template == "payment_commitment_letter":
                commitment = session.get(PaymentCommitment, uuid.UUID(payload["commitment_id"]))
                if commitment is None:
                    raise documents.LetterUnavailable("the commitment is gone")
                return documents.commitment_letter(session, self.settings, case, commitment)
            if message.template == "kronofogden_copy":
                record = session.get(EvictionNotice, uuid.UUID(payload["eviction_notice_id"]))
                if record is None:
                    raise documents.LetterUnavailable("the eviction notice is gone")
                return documents.kronofogden_copy(self.settings, case, record)
        except documents.LetterUnavailable as exc:
            raise PermanentFailure(str(exc), NOT_PRODUCED) from exc
        raise PermanentFailure(f"unknown letter {message.template!r}", NOT_PRODUCED)


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
                raise PermanentFailure("the eviction notice or its case is gone", DeliveryFailure.CASE_GONE)
            handler = case.assigned_to
            if handler is None:
                raise RetryLater("no responsible handler assigned yet", DeliveryFailure.NO_HANDLER)
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
            raise PermanentFailure(str(exc), DeliveryFailure.REJECTED) from exc
        return receipt.authority_reference


class SmsChannel:
    def __init__(self, sender: SmsSender) -> None:
        self.sender = sender

    def send(self, message: OutboxMessage) -> str:
        if not message.recipient:
            raise PermanentFailure("no phone number", DeliveryFailure.NO_RECIPIENT)
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
    service.acknowledgement_sent(session, record, case, deadline_id=message.payload.get("deadline_id"),
                                 authority_reference=message.result, now=now)


def _commitment_letter_stored(session: Session, message: OutboxMessage, now: datetime) -> None:
    commitment = session.get(PaymentCommitment, uuid.UUID(message.payload["commitment_id"]))
    if commitment is not None:
        commitment.letter_path = message.result


# What a successful send changes, handed to the outbox (it knows nothing above it).
AFTER_SENT: dict[str, outbox.AfterSent] = {
    "kronofogden_acknowledgement": _acknowledged,
    "payment_commitment_letter": _commitment_letter_stored,
}


def run(context: JobContext) -> outbox.DispatchResult:
    """The `dispatch-outbox` job: email, SMS, letters and Kronofogden, each sent with no transaction open."""
    return outbox.dispatch(context.sessions, build_channels(context.settings, context.sessions), now=context.now,
                           after_sent=AFTER_SENT)

