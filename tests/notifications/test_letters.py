"""Letters as PDF: rendered for real by WeasyPrint and read back with pypdf.

What a reader of the letter would check: the sentences are there, the dates are
in words and in Swedish time, the amount, whom to call and the case number are
printed, no identity number ever is, and nothing is fetched from the network.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import re
from collections.abc import Callable
from decimal import Decimal

import pypdf
import pytest

from notifications.letters import (
    LetterRenderingError,
    Sender,
    _html_to_pdf,
    date_in_words,
    format_clock,
    format_sek,
    long_date,
    render_kronofogden_acknowledgement_copy,
    render_payment_commitment_letter,
    render_tenant_redemption_letter,
)
from tests.support.httpserver import LocalHTTPServer, Reply

UTC = dt.UTC
CASE = "VA-2026-000123"
SENDER = Sender(
    district_name="Södermalms stadsdelsförvaltning",
    municipality_name="Stockholms stad",
    committee="Södermalms stadsdelsnämnd",
    address="Box 4270\n102 66 Stockholm",
    phone="08-508 12 000",
    email="sodermalm@stockholm.se",
    handler_name="Maria Lind",
    handler_phone="08-508 12 345",
)
NO_HANDLER = Sender(
    district_name="Södermalms stadsdelsförvaltning",
    municipality_name="Stockholms stad",
    committee="Södermalms stadsdelsnämnd",
    address="Box 4270\n102 66 Stockholm",
    phone="08-508 12 000",
    email=None,
)
# A Swedish identity number: 10 or 12 digits standing alone, with an optional - or +.
IDENTITY_NUMBER = re.compile(r"(?<![0-9])(?:[0-9]{8}|[0-9]{6})[-+]?[0-9]{4}(?![0-9])")


def pdf_pages(pdf: bytes) -> list[str]:
    assert pdf.startswith(b"%PDF-")
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # One space for every run of whitespace (line breaks, no-break spaces).
    return [" ".join(page.extract_text().split()) for page in reader.pages]


def pdf_text(pdf: bytes) -> str:
    return " ".join(pdf_pages(pdf))


def tenant_letter(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "sender": SENDER,
        "tenant_name": "Anna Andersson",
        "street_address": "Götgatan 78 lgh 1203",
        "postal_code": "118 30",
        "city": "Stockholm",
        "redemption_end": dt.date(2026, 12, 11),
        "estimated": False,
        "amount_sek": Decimal(16900),
        "payment_instructions": "Bankgiro 5050-1055\nOCR-nummer 4411223344556",
        "case_number": CASE,
        "today": dt.date(2026, 11, 23),
    }
    arguments.update(overrides)
    return render_tenant_redemption_letter(**arguments)  # type: ignore[arg-type]


def commitment_letter(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "sender": SENDER,
        "landlord_name": "AB Familjebostäder",
        "landlord_contact": "Kundtjänst hyror\nBox 92100\n120 07 Stockholm",
        "tenant_name": "Anna Andersson",
        "street_address": "Götgatan 78",
        "apartment_number": "1203",
        "amount_sek": Decimal(16900),
        "covers_until": dt.date(2026, 12, 31),
        "decided_on": dt.date(2026, 12, 1),
        "statutory": True,
        "case_number": CASE,
        "landlord_reference": "K-55512",
        "today": dt.date(2026, 12, 1),
    }
    arguments.update(overrides)
    return render_payment_commitment_letter(**arguments)  # type: ignore[arg-type]


def acknowledgement_copy(**overrides: object) -> bytes:
    arguments: dict[str, object] = {
        "sender": SENDER,
        "tenant_name": "Anna Andersson",
        "reference": "12-345678-26",
        "received_at": dt.datetime(2027, 1, 12, 8, 14, tzinfo=UTC),
        "eviction_at": dt.datetime(2027, 2, 3, 8, 0, tzinfo=UTC),
        "case_number": CASE,
        "today": dt.date(2027, 1, 12),
    }
    arguments.update(overrides)
    return render_kronofogden_acknowledgement_copy(**arguments)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def tenant_pdf() -> bytes:
    return tenant_letter()


@pytest.fixture(scope="module")
def tenant_estimated_pdf() -> bytes:
    return tenant_letter(estimated=True)


@pytest.fixture(scope="module")
def commitment_pdf() -> bytes:
    return commitment_letter()


@pytest.fixture(scope="module")
def late_commitment_pdf() -> bytes:
    return commitment_letter(
        statutory=False, decided_on=dt.date(2026, 12, 15), today=dt.date(2026, 12, 15)
    )


@pytest.fixture(scope="module")
def acknowledgement_pdf() -> bytes:
    return acknowledgement_copy()


# --- dates, times and amounts -------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "words"),
    [
        # every month
        (dt.date(2026, 1, 15), "torsdag den 15 januari 2026"),
        (dt.date(2026, 2, 28), "lördag den 28 februari 2026"),
        (dt.date(2026, 3, 31), "tisdag den 31 mars 2026"),
        (dt.date(2026, 4, 6), "måndag den 6 april 2026"),
        (dt.date(2026, 5, 1), "fredag den 1 maj 2026"),
        (dt.date(2026, 6, 6), "lördag den 6 juni 2026"),
        (dt.date(2026, 7, 4), "lördag den 4 juli 2026"),
        (dt.date(2026, 8, 19), "onsdag den 19 augusti 2026"),
        (dt.date(2026, 9, 30), "onsdag den 30 september 2026"),
        (dt.date(2026, 10, 12), "måndag den 12 oktober 2026"),
        (dt.date(2026, 11, 23), "måndag den 23 november 2026"),
        # every weekday, one week of December
        (dt.date(2026, 12, 7), "måndag den 7 december 2026"),
        (dt.date(2026, 12, 8), "tisdag den 8 december 2026"),
        (dt.date(2026, 12, 9), "onsdag den 9 december 2026"),
        (dt.date(2026, 12, 10), "torsdag den 10 december 2026"),
        (dt.date(2026, 12, 11), "fredag den 11 december 2026"),
        (dt.date(2026, 12, 12), "lördag den 12 december 2026"),
        (dt.date(2026, 12, 13), "söndag den 13 december 2026"),
        (dt.date(2027, 1, 1), "fredag den 1 januari 2027"),
        (dt.date(2028, 2, 29), "tisdag den 29 februari 2028"),
    ],
)
def test_date_in_words(day: dt.date, words: str) -> None:
    assert date_in_words(day) == words


def test_long_date_has_no_weekday_and_no_leading_zero() -> None:
    assert long_date(dt.date(2027, 1, 1)) == "1 januari 2027"


def test_date_in_words_refuses_a_datetime() -> None:
    # A datetime's date is its own zone's date: the caller converts to Swedish time first.
    with pytest.raises(TypeError):
        date_in_words(dt.datetime(2026, 12, 11, 23, 30, tzinfo=UTC))


@pytest.mark.parametrize(
    ("amount", "text"),
    [
        (Decimal(16900), "16 900,00 kr"),
        (16900, "16 900,00 kr"),
        (Decimal("0.5"), "0,50 kr"),
        (Decimal("1234567.89"), "1 234 567,89 kr"),
        (Decimal(0), "0,00 kr"),
        (Decimal("999.99"), "999,99 kr"),
        (Decimal(1000), "1 000,00 kr"),
        (Decimal("0.005"), "0,01 kr"),  # öre rounded half up
        (Decimal("100000.004"), "100 000,00 kr"),
        (Decimal(-1500), "-1 500,00 kr"),
    ],
)
def test_format_sek(amount: Decimal, text: str) -> None:
    assert format_sek(amount) == text


def test_format_sek_separates_thousands_with_a_plain_space() -> None:
    assert format_sek(Decimal(16900))[2] == "\u0020"


@pytest.mark.parametrize("bad", [16900.0, True, "16900"])
def test_format_sek_refuses_floats_and_other_types(bad: object) -> None:
    with pytest.raises(TypeError):
        format_sek(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [Decimal("NaN"), Decimal("Infinity")])
def test_format_sek_refuses_non_finite_amounts(bad: Decimal) -> None:
    with pytest.raises(ValueError):
        format_sek(bad)


@pytest.mark.parametrize(
    ("moment", "text"),
    [
        (dt.datetime(2026, 12, 11, 8, 0, tzinfo=UTC), "kl. 09.00"),  # CET, UTC+1
        (dt.datetime(2026, 7, 1, 7, 5, tzinfo=UTC), "kl. 09.05"),  # CEST, UTC+2
        (dt.datetime(2026, 12, 11, 22, 59, tzinfo=UTC), "kl. 23.59"),
    ],
)
def test_format_clock_in_swedish_time(moment: dt.datetime, text: str) -> None:
    assert format_clock(moment) == text


def test_format_clock_refuses_naive_times() -> None:
    with pytest.raises(ValueError):
        format_clock(dt.datetime(2026, 12, 11, 9, 0))


# --- the tenant's letter after a rent_arrears notice -----------------------------------


def test_tenant_letter_says_what_happened_and_the_date_that_matters(tenant_pdf: bytes) -> None:
    text = pdf_text(tenant_pdf)
    assert "Din hyresvärd har sagt upp ditt hyresavtal eftersom hyran inte är betald." in text
    assert (
        "Om hyran är betald senast fredag den 11 december 2026 får du bo kvar i din bostad." in text
    )
    assert "återvinner hyresrätten" in text
    # The date comes first, in the heading, before the explanation.
    assert text.index("fredag den 11 december 2026") < text.index("Vad har hänt?")


def test_tenant_letter_says_what_to_do_and_whom_to_call(tenant_pdf: bytes) -> None:
    text = pdf_text(tenant_pdf)
    assert "16 900,00 kr" in text
    assert "Bankgiro 5050-1055" in text
    assert "OCR-nummer 4411223344556" in text
    assert "Kontakta oss om du inte kan betala." in text
    assert "ekonomiskt bistånd" in text
    assert "Din kontaktperson hos oss är Maria Lind, telefon 08-508 12 345." in text
    assert "08-508 12 000" in text  # the office's phone
    assert f"Ange ärendenummer {CASE} när du kontaktar oss." in text
    assert "Stockholms stad" in text and "Södermalms stadsdelsförvaltning" in text
    assert "Datum 23 november 2026" in text
    assert "Götgatan 78 lgh 1203 118 30 Stockholm" in text  # the address block


def test_tenant_letter_without_estimate_has_no_caveat(tenant_pdf: bytes) -> None:
    assert "Datumet kan bli senare" not in pdf_text(tenant_pdf)


def test_estimated_tenant_letter_says_the_date_may_be_later(tenant_estimated_pdf: bytes) -> None:
    text = pdf_text(tenant_estimated_pdf)
    assert (
        "Datumet kan bli senare, eftersom tiden räknas från den dag du fick uppsägningen." in text
    )
    assert "betala så snart du kan" in text
    assert "fredag den 11 december 2026" in text


def test_tenant_letter_without_amount_or_instructions_says_where_to_ask() -> None:
    text = pdf_text(tenant_letter(amount_sek=None, payment_instructions=None, sender=NO_HANDLER))
    assert (
        "Hyresvärden har inte skrivit till oss hur mycket du ska betala eller hur du ska betala."
        " Fråga hyresvärden." in text
    )
    # No named handler: the office's phone is whom to call.
    assert "Ring oss på Södermalms stadsdelsförvaltning, telefon 08-508 12 000." in text
    assert re.search(r"[0-9],[0-9]{2} kr", text) is None


def test_tenant_letter_with_amount_but_no_instructions_says_where_to_ask() -> None:
    text = pdf_text(tenant_letter(payment_instructions=None))
    assert (
        "Enligt hyresvärden ska du betala 16 900,00 kr. Fråga hyresvärden hur du ska betala."
        in text
    )
    assert "Så här betalar du" not in text


def test_tenant_letter_is_a_tagged_swedish_pdf_with_a_title(tenant_pdf: bytes) -> None:
    reader = pypdf.PdfReader(io.BytesIO(tenant_pdf))
    root = reader.trailer["/Root"]
    assert root["/Lang"] == "sv"
    assert bool(root["/MarkInfo"]["/Marked"])
    assert reader.metadata is not None
    assert reader.metadata.title == (
        "Du kan få bo kvar om hyran betalas i tid – Södermalms stadsdelsförvaltning"
    )
    assert reader.metadata.author == "Södermalms stadsdelsförvaltning, Stockholms stad"


def test_tenant_letter_for_a_date_already_passed_is_refused() -> None:
    with pytest.raises(ValueError, match="redemption_end"):
        tenant_letter(redemption_end=dt.date(2026, 11, 20))


def test_tenant_letter_needs_a_phone_number_to_call() -> None:
    sender = Sender(
        district_name="Södermalms stadsdelsförvaltning",
        municipality_name="Stockholms stad",
        committee="Södermalms stadsdelsnämnd",
        address=None,
        phone=None,
        email="sodermalm@stockholm.se",
    )
    with pytest.raises(ValueError, match="phone"):
        tenant_letter(sender=sender)


# --- the payment commitment to the landlord -------------------------------------------


def test_commitment_letter_states_the_undertaking(commitment_pdf: bytes) -> None:
    text = pdf_text(commitment_pdf)
    assert "Åtagande om betalningsansvar för hyra" in text
    assert (
        "Södermalms stadsdelsnämnd åtar sig att betala 16 900,00 kr för hyran för lägenheten"
        " nedan, för tiden till och med 31 december 2026." in text
    )
    assert "Beslutet fattades den 1 december 2026." in text
    assert "Hyresgäst Anna Andersson" in text
    assert "Lägenhetens adress Götgatan 78" in text
    assert "Lägenhetsnummer 1203" in text
    assert "Belopp 16 900,00 kr" in text
    assert "Er referens K-55512" in text
    assert f"Vårt ärendenummer {CASE}" in text
    assert "AB Familjebostäder Kundtjänst hyror Box 92100 120 07 Stockholm" in text
    assert "12 kap. 44 § fjärde stycket 1 jordabalken" in text
    assert "Åtagandet lämnas inom återvinningsfristen." in text
    assert "efter att återvinningsfristen" not in text


def test_commitment_letter_has_the_signature_line_on_the_same_page(commitment_pdf: bytes) -> None:
    pages = pdf_pages(commitment_pdf)
    assert len(pages) == 1
    assert (
        "För Södermalms stadsdelsnämnd Underskrift Maria Lind Handläggare, Södermalms" in pages[0]
    )
    assert "16 900,00 kr" in pages[0]
    assert "08-508 12 345" in pages[0]


def test_late_commitment_says_it_does_not_by_itself_prevent_eviction(
    late_commitment_pdf: bytes,
) -> None:
    text = pdf_text(late_commitment_pdf)
    assert "Åtagandet har lämnats efter att återvinningsfristen gick ut." in text
    assert (
        "Det hindrar därför inte i sig att hyresgästen skiljs från lägenheten (avhysning)"
        " enligt 12 kap. 44 § jordabalken." in text
    )
    assert "Nämnden betalar ändå beloppet enligt åtagandet." in text
    assert "får därför inte skiljas" not in text
    assert "16 900,00 kr" in text


def test_commitment_letter_without_handler_leaves_a_line_for_the_name() -> None:
    text = pdf_text(
        commitment_letter(sender=NO_HANDLER, landlord_contact=None, landlord_reference=None)
    )
    assert "Underskrift Namnförtydligande Handläggare, Södermalms stadsdelsförvaltning" in text
    assert "Kontakta Södermalms stadsdelsförvaltning, telefon 08-508 12 000." in text
    assert "Er referens" not in text


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"amount_sek": Decimal(0)}, "amount_sek"),
        ({"decided_on": dt.date(2026, 12, 2)}, "decided_on"),
        ({"landlord_name": "  "}, "landlord_name"),
    ],
)
def test_commitment_letter_refuses_bad_input(overrides: dict[str, object], field: str) -> None:
    with pytest.raises(ValueError, match=field):
        commitment_letter(**overrides)


# --- the copy of the acknowledgement to Kronofogden --------------------------------------


def test_acknowledgement_copy_gives_the_eviction_time_in_swedish_time(
    acknowledgement_pdf: bytes,
) -> None:
    text = pdf_text(acknowledgement_pdf)
    assert "Avhysningen är bestämd till onsdag den 3 februari 2027 kl. 09.00." in text
    assert (
        "Vi på socialtjänsten fick Kronofogdens underrättelse om avhysningen"
        " tisdag den 12 januari 2027." in text
    )
    assert "Vi fick underrättelsen tisdag den 12 januari 2027 kl. 09.14" in text
    assert "Kronofogdens målnummer 12-345678-26" in text
    assert "Ansvarig handläggare Maria Lind, telefon 08-508 12 345" in text
    assert "Kontakta oss redan i dag. Ring Maria Lind på 08-508 12 345." in text
    assert "ekonomiskt bistånd" in text
    assert f"Vårt ärendenummer {CASE}" in text
    assert "Det här brevet är din kopia av bekräftelsen." in text


def test_acknowledgement_copy_in_summer_and_across_midnight() -> None:
    text = pdf_text(
        acknowledgement_copy(
            # 23:30 UTC on the 12th is 00:30 on the 13th in Stockholm.
            received_at=dt.datetime(2027, 1, 12, 23, 30, tzinfo=UTC),
            eviction_at=dt.datetime(2027, 6, 10, 7, 30, tzinfo=UTC),  # CEST
            today=dt.date(2027, 1, 13),
            street_address="Götgatan 78 lgh 1203",
            postal_code="118 30",
            city="Stockholm",
        )
    )
    assert "Avhysningen är bestämd till torsdag den 10 juni 2027 kl. 09.30." in text
    assert "Vi fick underrättelsen onsdag den 13 januari 2027 kl. 00.30" in text
    assert "Anna Andersson Götgatan 78 lgh 1203 118 30 Stockholm" in text


def test_acknowledgement_copy_needs_the_responsible_handler() -> None:
    # SoF 2025:468 11 kap. 3 §: the acknowledgement names the responsible handler.
    with pytest.raises(ValueError, match="handler_name"):
        acknowledgement_copy(sender=NO_HANDLER)


def test_acknowledgement_copy_refuses_naive_times() -> None:
    with pytest.raises(ValueError, match="eviction_at"):
        acknowledgement_copy(eviction_at=dt.datetime(2027, 2, 3, 9, 0))


# --- no identity numbers, escaped input, no network ------------------------------------


def test_no_letter_prints_an_identity_number(
    tenant_pdf: bytes,
    tenant_estimated_pdf: bytes,
    commitment_pdf: bytes,
    late_commitment_pdf: bytes,
    acknowledgement_pdf: bytes,
) -> None:
    for pdf in (
        tenant_pdf,
        tenant_estimated_pdf,
        commitment_pdf,
        late_commitment_pdf,
        acknowledgement_pdf,
    ):
        text = pdf_text(pdf)
        assert "Anna Andersson" in text
        assert IDENTITY_NUMBER.search(text) is None, text


@pytest.mark.parametrize(
    ("render", "field", "value"),
    [
        (tenant_letter, "tenant_name", "Anna Andersson 19850412-1234"),
        (tenant_letter, "payment_instructions", "OCR: 850412-1234"),
        (commitment_letter, "landlord_reference", "198504121234"),
        (acknowledgement_copy, "tenant_name", "Anna Andersson, 8504121234"),
    ],
)
def test_an_identity_number_in_the_input_is_refused(
    render: Callable[..., bytes], field: str, value: str
) -> None:
    with pytest.raises(ValueError) as caught:
        render(**{field: value})
    message = str(caught.value)
    assert field in message
    assert "1234" not in message  # the error never repeats the number


def test_a_mobile_number_without_separators_is_not_taken_for_an_identity_number() -> None:
    sender = dataclasses.replace(SENDER, handler_phone="0701234567")
    assert "0701234567" in pdf_text(tenant_letter(sender=sender))


def test_html_in_the_input_is_printed_as_text_and_fetches_nothing() -> None:
    with LocalHTTPServer(lambda _: Reply(200, b"x", {"Content-Type": "image/png"})) as server:
        text = pdf_text(
            tenant_letter(
                tenant_name="<b>Anna</b>",
                payment_instructions=f'<img src="{server.url}/x.png"> Bankgiro 5050-1055',
            )
        )
        assert server.requests == []
    assert "Hej <b>Anna</b>!" in text
    assert f'<img src="{server.url}/x.png"> Bankgiro 5050-1055' in text


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="{url}/logo.png" alt="">',
        '<link rel="stylesheet" href="{url}/print.css">',
        '<p style="background: url({url}/bg.png)">x</p>',
    ],
)
def test_the_renderer_loads_nothing_over_the_network(markup: str) -> None:
    with LocalHTTPServer(lambda _: Reply(200, b"", {"Content-Type": "text/css"})) as server:
        body = markup.format(url=server.url)
        html = f'<html lang="sv"><head><title>t</title></head><body>{body}</body></html>'
        with pytest.raises(LetterRenderingError):
            _html_to_pdf(html)
        assert server.requests == []


def test_the_renderer_loads_no_file_outside_the_templates() -> None:
    with pytest.raises(LetterRenderingError):
        _html_to_pdf(
            '<html><head><link rel="stylesheet" href="file:///etc/hostname"></head></html>'
        )


def test_the_renderer_allows_data_urls() -> None:
    svg = "data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' width='4' height='4'/%3E"
    assert _html_to_pdf(f'<html><body><img src="{svg}" alt=""><p>Hej</p></body></html>').startswith(
        b"%PDF-"
    )
