"""The landlord's receipt for a notice, as a PDF to keep — rendered as the letters are.

The landlord portal offers it after a notice is sent, and on every notice's page:
what Varsel received and when, and the statutory deadlines it computed, as the
API's receipt says. Pure rendering with the letters' machinery (Jinja2 template in
`templates/letters/`, the letters' stylesheet, WeasyPrint with the local-only URL
fetcher): no database, no settings, no network.

No identity number is ever printed: none is passed in, and any text that looks
like one (a landlord may use an identity number as its own reference) is replaced
before rendering (`notifications.privacy`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from notifications.letters import _html_to_pdf, render_letter_html
from notifications.privacy import assert_no_personal_data
from notifications.swedish import stockholm_time

WITHHELD = "(visas inte: liknar ett personnummer)"


@dataclass(frozen=True)
class ReceiptDeadline:
    label: str
    due_on: dt.date
    legal_basis: str
    estimated: bool


@dataclass(frozen=True)
class NoticeReceipt:
    receipt_id: str
    landlord_name: str
    org_number: str
    reference: str
    kind: str  # in Swedish, with its paragraph
    sent_on: dt.date
    received_at: dt.datetime  # aware; printed in Swedish time
    status: str  # in Swedish
    district: str | None
    address: str
    tenant_names: list[str]
    deadlines: list[ReceiptDeadline]
    municipality: str


def _safe(text: str) -> str:
    """The text, unless it holds something shaped like an identity number."""
    try:
        assert_no_personal_data(text, allowed_emails=())
    except ValueError:
        return WITHHELD
    return text


def receipt_html(receipt: NoticeReceipt, today: dt.date) -> str:
    return render_letter_html(
        "notice_receipt.html", r=receipt, today=today, received=stockholm_time(receipt.received_at, "received_at"),
        reference=_safe(receipt.reference), address=_safe(receipt.address),
        tenant_names=[_safe(name) for name in receipt.tenant_names],
    )


def render_notice_receipt(receipt: NoticeReceipt, today: dt.date) -> bytes:
    """The receipt as a tagged A4 PDF (PdfUnavailable where WeasyPrint cannot run)."""
    return _html_to_pdf(receipt_html(receipt, today))
