"""The last guard before a text leaves the service: no identity numbers, no
email addresses — and no false alarms on what the texts legitimately carry."""

from __future__ import annotations

import pytest

from notifications.privacy import assert_no_personal_data

IDENTITY_MESSAGE = "text contains what looks like a personal identity number (at character {})"
EMAIL_MESSAGE = "text contains what looks like an email address (at character {})"


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("198504121230", 0),
        ("19850412-1230", 0),
        ("850412-1230", 0),
        ("850412+1230", 0),  # the 10-digit form of someone aged 100 or more
        ("8504121230", 0),
        ("Personnummer 19850412-1230.", 13),
        ("Gäller 850412-1230, ärende VA-2026-000123", 7),
        ("(850412-1230)", 1),
        ("pnr:8504121230", 4),
        ("rad ett\n20150901-1238\nrad tre", 8),
        ("samordningsnummer 850472-1234", 18),  # day + 60
        ("19850472-1234", 0),
        ("19850412-1231", 0),  # wrong checksum: a mistyped number is still personal data
        ("20000229-1234", 0),  # a leap day
        ("000229-1234", 0),
        ("18991231-1234", 0),
    ],
)
def test_identity_numbers_are_flagged(text: str, position: int) -> None:
    with pytest.raises(ValueError) as caught:
        assert_no_personal_data(text)
    assert str(caught.value) == IDENTITY_MESSAGE.format(position)


def test_the_message_does_not_repeat_the_number() -> None:
    with pytest.raises(ValueError) as caught:
        assert_no_personal_data("Hej, ditt ärende gäller 19850412-1230")
    assert "1230" not in str(caught.value)
    assert "850412" not in str(caught.value)


@pytest.mark.parametrize(
    ("text", "position"),
    [
        ("anna@example.se", 0),
        ("Skriv till Anna.Öberg@stockholm.se i dag", 11),
        ("mejla a.b+c@sub.example.com.", 6),
        ("<anna_andersson@bostadsbolaget.se>", 1),
        ("kontakt:anna@example.se", 8),
    ],
)
def test_email_addresses_are_flagged(text: str, position: int) -> None:
    with pytest.raises(ValueError) as caught:
        assert_no_personal_data(text)
    assert str(caught.value) == EMAIL_MESSAGE.format(position)
    assert "@" not in str(caught.value)


@pytest.mark.parametrize(
    "text",
    [
        "VA-2026-000123",
        "Ärende VA-2026-000123 har fått ett nytt meddelande.",
        "2026-12-11",
        "Avhysning 2026-12-18 kl. 09:00",
        "Ring oss på 08-508 25 000.",
        "0850825000",  # the office number without separators: "month" 50
        "Hyresvärd 556677-8899",  # organisationsnummer: "month" 66
        "https://varsel.stockholm.se/cases/3f1c2b9a-1d2e-4f5a-9b8c-198504121230",  # a UUID
        "https://varsel.stockholm.se/arenden/VA-2026-000123",
        "+46701234567",
        "Belopp: 12 345 kr",
        "1234567890123",  # 13 digits
        "19851312-1230",  # month 13
        "850230-1234",  # 30 February
        "19850400-1230",  # day 0
        "17850412-1230",  # not a century anyone alive was born in
        "ABC8504121230",  # part of a longer code
        "8504121230X",
        "@stockholm",
        "info at stockholm.se",
        "anna@localhost",
        "",
    ],
)
def test_what_texts_legitimately_carry_is_not_flagged(text: str) -> None:
    assert assert_no_personal_data(text) is None


def test_a_realistic_sms_passes() -> None:
    text = (
        "Socialtjänsten Södermalm har ett nytt ärende, VA-2026-000123, med sista dag "
        "2026-12-29. Logga in: https://varsel.stockholm.se/arenden/VA-2026-000123 "
        "Frågor: 08-508 25 000"
    )
    assert assert_no_personal_data(text) is None


def test_allowed_email_addresses_pass_case_insensitively() -> None:
    text = "Frågor? Skriv till Sodermalm.Varsel@stockholm.se eller ring 08-508 25 000."
    assert assert_no_personal_data(text, allowed_emails={"sodermalm.varsel@stockholm.se"}) is None


def test_an_allowed_address_does_not_let_another_through() -> None:
    text = "Skriv till sodermalm.varsel@stockholm.se eller anna@example.se"
    with pytest.raises(ValueError) as caught:
        assert_no_personal_data(text, allowed_emails=["sodermalm.varsel@stockholm.se"])
    assert str(caught.value) == EMAIL_MESSAGE.format(47)


def test_a_long_text_without_personal_data_is_checked_quickly() -> None:
    # Linear-time patterns: a long run of address-like characters must not blow up.
    assert assert_no_personal_data("a" * 50_000 + " " + "1" * 50_000 + " x@y") is None
