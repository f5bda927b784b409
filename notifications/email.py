"""Email over SMTP. Texts are Swedish Jinja2 templates; they carry a case number and a link at most.

Without VARSEL_SMTP_HOST (development, the demo) each mail is written as an
.eml file under VARSEL_STORAGE_DIR/mail/ instead of being sent.

A template's first line is the subject, the rest the body. Every outgoing
message is checked once more for identity numbers and email addresses
(`notifications.privacy`) before it leaves.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from app.config import Settings
from app.files import write_private
from app.routing.districts import load_municipality
from app.vocabulary_records import DeliveryFailure
from notifications.models import OutboxMessage
from notifications.outbox import PermanentFailure
from notifications.privacy import assert_no_personal_data

TEMPLATES = Path(__file__).resolve().parent / "templates" / "email"
_env = Environment(loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=False,
                   keep_trailing_newline=True)


def render(template: str, payload: dict[str, Any], *, base_url: str, municipality_name: str) -> tuple[str, str]:
    context = {**payload, "municipality_name": municipality_name}
    if "path" in payload:
        context["link"] = base_url.rstrip("/") + payload["path"]
    text = _env.get_template(f"{template}.txt").render(**context)
    subject, _, body = text.partition("\n")
    return subject.strip(), body.strip() + f"\n\n-- \nVarsel, {municipality_name}\n"


class SmtpChannel:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def build(self, message: OutboxMessage) -> EmailMessage:
        subject, body = render(message.template, message.payload, base_url=self.settings.public_base_url,
                               municipality_name=load_municipality(self.settings.municipality)["name"])
        assert_no_personal_data(subject)
        assert_no_personal_data(body)
        email = EmailMessage()
        email["From"] = self.settings.smtp_from
        email["To"] = message.recipient or ""
        email["Subject"] = subject
        email["Date"] = formatdate(localtime=False)
        # The outbox id in the Message-ID: a resend after a lost answer is recognisable as the same mail.
        email["Message-ID"] = make_msgid(idstring=str(message.id), domain="varsel.local")
        email["Auto-Submitted"] = "auto-generated"
        email.set_content(body)
        for attachment in message.payload.get("attachments", []):
            data = Path(attachment["path"]).read_bytes()
            email.add_attachment(data, maintype="application", subtype="pdf", filename=attachment["filename"])
        return email

    def send(self, message: OutboxMessage) -> str | None:
        if not message.recipient:
            raise PermanentFailure("no recipient address", DeliveryFailure.NO_RECIPIENT)
        email = self.build(message)
        if not self.settings.smtp_host:
            # Development and the demo: no mail server, so each mail becomes a file to read.
            path = Path(self.settings.storage_dir) / "mail" / f"{message.id}.eml"
            write_private(path, bytes(email))
            return str(path)
        settings = self.settings
        context = ssl.create_default_context()
        if settings.smtp_ssl:
            client: smtplib.SMTP = smtplib.SMTP_SSL(settings.smtp_host, settings.smtp_port,
                                                    timeout=settings.smtp_timeout_seconds, context=context)
        else:
            client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=settings.smtp_timeout_seconds)
        with client:
            if settings.smtp_starttls and not settings.smtp_ssl:
                client.starttls(context=context)
            if settings.smtp_username:
                client.login(settings.smtp_username, settings.smtp_password or "")
            try:
                client.send_message(email)
            except smtplib.SMTPRecipientsRefused as exc:
                raise PermanentFailure("the mail server refused the recipient", DeliveryFailure.RECIPIENT_REFUSED) from exc
        return email["Message-ID"]
