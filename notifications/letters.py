"""Letters as printable A4 PDFs, in plain Swedish (klarspråk).

Pure rendering: each function takes plain values, fills a Jinja2 template from
`notifications/templates/letters/` (autoescaped HTML and one print stylesheet)
and returns the PDF bytes from WeasyPrint. No database, no settings, no network.

The letters
* `render_tenant_redemption_letter` — to the tenant after a rent_arrears notice:
  the termination, the date by which the rent must be paid to keep the home
  (JB 12 kap. 44 §), what to do and whom to call.
* `render_payment_commitment_letter` — to the landlord: the committee's written
  undertaking to pay (åtagande om betalningsansvar, JB 12 kap. 44 § fjärde
  stycket 1), with a line for the handler's signature.
* `render_kronofogden_acknowledgement_copy` — to the tenant: the copy of the
  acknowledgement sent to Kronofogden (SoF 2025:468 11 kap. 3 §).

Rules every letter follows
* No identity numbers: no function takes one, and every printed text input
  (names, addresses, references, payment instructions) is checked with
  `notifications.privacy.assert_no_personal_data`; one that looks like a
  personnummer or samordningsnummer raises ValueError naming the field, never
  the value. Phone fields are not checked: a mobile number written without
  separators (0701234567) has the shape of a 10-digit identity number.
* Times are shown in Europe/Stockholm, "kl. 09.00"; dates in words
  ("fredag den 11 december 2026"); amounts "16 900,00 kr" (plain spaces; the
  templates keep an amount or a date on one line).
* WeasyPrint loads nothing from the network: its URL fetcher only opens
  `data:` URLs and files inside the templates folder; anything else stops the
  rendering with `LetterRenderingError`.
* The fonts are the system's "DejaVu Sans" (fontconfig), never fetched.

weasyprint is imported on first render, so `date_in_words` and `format_sek`
can be used (for example by emails) without loading it; where it cannot load
(no Pango), rendering raises `notifications.pdf.PdfUnavailable`.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from urllib.request import url2pathname

import jinja2

from notifications.pdf import weasyprint
from notifications.swedish import stockholm_time, date_in_words, format_clock, format_sek, long_date
from notifications.privacy import assert_no_personal_data

__all__ = [
    "LetterRenderingError",
    "Sender",
    "date_in_words",
    "format_clock",
    "format_sek",
    "local_only_url_fetcher",
    "long_date",
    "render_kronofogden_acknowledgement_copy",
    "render_letter_html",
    "render_payment_commitment_letter",
    "render_tenant_redemption_letter",
]

TEMPLATES_DIR = (Path(__file__).parent / "templates" / "letters").resolve()

class LetterRenderingError(RuntimeError):
    """The PDF could not be made (for example a template asked for a URL that is refused)."""


@dataclass(frozen=True)
class Sender:
    """The district office writing the letter (its letterhead and contact details)."""

    district_name: str
    municipality_name: str
    committee: str  # e.g. "Socialnämnden i Stockholms stad" or the district committee's name
    address: str | None  # may span lines ("Box 4270\n102 66 Stockholm")
    phone: str | None
    email: str | None
    handler_name: str | None = None
    handler_phone: str | None = None


# --- input checks -------------------------------------------------------------------

_EMAIL_TOKEN = re.compile(r"\S*@\S*")


def _check_no_identity_numbers(fields: dict[str, str | None]) -> None:
    for name, value in fields.items():
        if not value:
            continue
        # Email addresses may legitimately be printed (a landlord's contact, the
        # office's mailbox); only identity numbers are refused here.
        text = _EMAIL_TOKEN.sub(" ", value)
        try:
            assert_no_personal_data(text)
        except ValueError as exc:
            raise ValueError(
                f"{name} contains what looks like a personal identity number; "
                "letters never print one"
            ) from exc


def _require(fields: dict[str, str | None]) -> None:
    for name, value in fields.items():
        if value is None or not value.strip():
            raise ValueError(f"{name} must not be empty")


def _sender_fields(sender: Sender) -> dict[str, str | None]:
    return {
        "sender.district_name": sender.district_name,
        "sender.municipality_name": sender.municipality_name,
        "sender.committee": sender.committee,
        "sender.address": sender.address,
        "sender.email": sender.email,
        "sender.handler_name": sender.handler_name,
    }


def _check_sender(sender: Sender, *, needs_phone: bool) -> None:
    _require(
        {
            "sender.district_name": sender.district_name,
            "sender.municipality_name": sender.municipality_name,
            "sender.committee": sender.committee,
        }
    )
    if needs_phone and not (sender.handler_phone or sender.phone):
        # A letter to a tenant must say whom to call.
        raise ValueError("sender needs a phone number (sender.phone or sender.handler_phone)")


def _contact(sender: Sender) -> dict[str, str | None]:
    """Whom the tenant should call: the handler when known, else the office."""
    return {
        "name": sender.handler_name,
        "phone": sender.handler_phone or sender.phone,
        "office_phone": sender.phone
        if sender.handler_phone and sender.phone != sender.handler_phone
        else None,
        "email": sender.email,
    }


# --- rendering ----------------------------------------------------------------------


@functools.lru_cache(maxsize=1)
def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["date_in_words"] = date_in_words
    env.filters["long_date"] = long_date
    env.filters["sek"] = format_sek
    env.filters["clock"] = format_clock
    return env


def render_letter_html(template: str, **context: Any) -> str:
    """The letter as HTML (what the PDF is made from) — for previews and tests."""
    return _environment().get_template(template).render(**context)


@functools.lru_cache(maxsize=1)
def _url_fetcher_class() -> type:
    URLFetcher = weasyprint().urls.URLFetcher  # noqa: N806 - WeasyPrint's class

    class LocalOnlyURLFetcher(URLFetcher):
        """Opens `data:` URLs and files inside the templates folder; refuses the rest."""

        def __init__(self) -> None:
            super().__init__(allowed_protocols=("file", "data"), fail_on_errors=True)

        def fetch(self, url: str, headers: Any = None) -> Any:
            scheme = url.split(":", 1)[0].lower()
            if scheme == "data":
                return super().fetch(url, headers)
            if scheme == "file":
                path = Path(url2pathname(urlsplit(url).path)).resolve()
                if path.is_relative_to(TEMPLATES_DIR):
                    return super().fetch(url, headers)
                raise ValueError("letters may only load files from their templates folder")
            raise ValueError(f"letters load nothing over the network (refused a {scheme}: URL)")

    return LocalOnlyURLFetcher


def local_only_url_fetcher() -> Any:
    """A WeasyPrint URL fetcher that refuses every URL but data: and the letter templates."""
    return _url_fetcher_class()()


def _html_to_pdf(html: str, *, base_url: str | None = None) -> bytes:
    module = weasyprint()  # PdfUnavailable without Pango: see notifications/pdf.py
    HTML, FatalURLFetchingError = module.HTML, module.urls.FatalURLFetchingError  # noqa: N806

    try:
        document = HTML(
            string=html,
            base_url=base_url or TEMPLATES_DIR.as_uri() + "/",
            url_fetcher=local_only_url_fetcher(),
        )
        # pdf_tags: a tagged PDF (headings, paragraphs, reading order) for screen readers.
        return document.write_pdf(pdf_tags=True)
    except FatalURLFetchingError as exc:
        # A BaseException in WeasyPrint; callers get an ordinary error.
        raise LetterRenderingError(str(exc)) from exc


def _render(template: str, **context: Any) -> bytes:
    return _html_to_pdf(render_letter_html(template, **context))


def render_tenant_redemption_letter(
    *,
    sender: Sender,
    tenant_name: str,
    street_address: str,
    postal_code: str,
    city: str,
    redemption_end: dt.date,
    estimated: bool,
    amount_sek: Decimal | None,
    payment_instructions: str | None,
    case_number: str,
    today: dt.date,
) -> bytes:
    """To the tenant after a rent_arrears notice: pay by `redemption_end` and keep the home.

    `estimated`: the redemption end was computed from the landlord's dispatch
    date because the day of service is unknown; the letter says the date may be
    later and to pay as soon as possible all the same.
    Raises ValueError when `redemption_end` is before `today` (the letter would
    give a date that has passed) or an input looks like an identity number.
    """
    _check_sender(sender, needs_phone=True)
    fields = {
        "tenant_name": tenant_name,
        "street_address": street_address,
        "postal_code": postal_code,
        "city": city,
        "case_number": case_number,
    }
    _require(fields)
    _check_no_identity_numbers(
        {**fields, "payment_instructions": payment_instructions, **_sender_fields(sender)}
    )
    if redemption_end < today:
        raise ValueError(
            "redemption_end is before today: the letter would give a date that has passed"
        )
    if amount_sek is not None and amount_sek <= 0:
        raise ValueError("amount_sek must be positive")
    return _render(
        "tenant_redemption.html",
        sender=sender,
        contact=_contact(sender),
        recipient_lines=[tenant_name, street_address, f"{postal_code} {city}"],
        tenant_name=tenant_name,
        redemption_end=redemption_end,
        estimated=estimated,
        amount_sek=amount_sek,
        payment_instructions=(payment_instructions or "").strip() or None,
        case_number=case_number,
        today=today,
    )


def render_payment_commitment_letter(
    *,
    sender: Sender,
    landlord_name: str,
    landlord_contact: str | None,
    tenant_name: str,
    street_address: str,
    apartment_number: str | None,
    amount_sek: Decimal,
    covers_until: dt.date,
    decided_on: dt.date,
    statutory: bool,
    case_number: str,
    landlord_reference: str | None,
    today: dt.date,
) -> bytes:
    """To the landlord: the committee's written undertaking to pay (JB 12 kap. 44 § 4 st. 1).

    `statutory` False: the undertaking was made after the redemption period;
    the letter says plainly that it therefore does not by itself prevent an
    eviction under 44 §. The letter ends with a signature line for the handler.
    """
    _check_sender(sender, needs_phone=False)
    required = {
        "landlord_name": landlord_name,
        "tenant_name": tenant_name,
        "street_address": street_address,
        "case_number": case_number,
    }
    _require(required)
    _check_no_identity_numbers(
        {
            **required,
            "landlord_contact": landlord_contact,
            "apartment_number": apartment_number,
            "landlord_reference": landlord_reference,
            **_sender_fields(sender),
        }
    )
    if amount_sek <= 0:
        raise ValueError("amount_sek must be positive")
    if decided_on > today:
        raise ValueError("decided_on is after today: a letter reports a decision already made")
    return _render(
        "payment_commitment.html",
        sender=sender,
        contact=_contact(sender),
        recipient_lines=[landlord_name, *((landlord_contact or "").strip().splitlines())],
        tenant_name=tenant_name,
        street_address=street_address,
        apartment_number=apartment_number,
        amount_sek=amount_sek,
        covers_until=covers_until,
        decided_on=decided_on,
        statutory=statutory,
        case_number=case_number,
        landlord_reference=landlord_reference,
        today=today,
    )


def render_kronofogden_acknowledgement_copy(
    *,
    sender: Sender,
    tenant_name: str,
    reference: str,
    received_at: dt.datetime,
    eviction_at: dt.datetime,
    case_number: str,
    today: dt.date,
    street_address: str | None = None,
    postal_code: str | None = None,
    city: str | None = None,
) -> bytes:
    """To the tenant: the copy of our acknowledgement to Kronofogden (SoF 2025:468 11 kap. 3 §).

    The acknowledgement must name the responsible handler, so
    `sender.handler_name` is required. `received_at` and `eviction_at` must be
    timezone-aware; they are shown in Swedish time. The optional address lines
    fill the recipient block (for a window envelope).
    """
    _check_sender(sender, needs_phone=True)
    if not (sender.handler_name and sender.handler_name.strip()):
        raise ValueError(
            "sender.handler_name is required: the acknowledgement names the responsible handler"
        )
    fields = {"tenant_name": tenant_name, "reference": reference, "case_number": case_number}
    _require(fields)
    _check_no_identity_numbers(
        {
            **fields,
            "street_address": street_address,
            "postal_code": postal_code,
            "city": city,
            **_sender_fields(sender),
        }
    )
    received = stockholm_time(received_at, "received_at")
    eviction = stockholm_time(eviction_at, "eviction_at")
    if eviction.date() < today:
        raise ValueError("eviction_at is before today")
    place = " ".join(part for part in (postal_code, city) if part)
    recipient_lines = [tenant_name, *(line for line in (street_address, place) if line)]
    return _render(
        "kronofogden_acknowledgement_copy.html",
        sender=sender,
        contact=_contact(sender),
        recipient_lines=recipient_lines,
        tenant_name=tenant_name,
        reference=reference,
        received_at=received,
        eviction_at=eviction,
        case_number=case_number,
        today=today,
    )
