"""The edge types every body shares: text (app/text.py), money (app/money.py), dates (app/dates.py)."""

from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Annotated

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel, ConfigDict, StringConstraints, ValidationError

from app.dates import OUT_OF_RANGE, IsoDate, Timestamp
from app.errors import Problem
from app.money import MAX_SEK, AmountError, Money, MoneyOrText, check_amount, parse_amount, read_amount
from app.text import MULTI_LINE, MULTI_LINE_MESSAGE, SINGLE_LINE, SINGLE_LINE_MESSAGE, SURROGATE_MESSAGE, text_problem

# --- text ------------------------------------------------------------------------------

C0 = [chr(c) for c in range(0x20)]
C1 = [chr(c) for c in range(0x80, 0xA0)]  # NEL (U+0085) among them: a line break to str.splitlines and XML
SEPARATORS = ["\u2028", "\u2029"]  # line and paragraph separator
LINE_BREAKS_AND_TAB = ["\t", "\n", "\r"]


@pytest.mark.parametrize("char", [*C0, "\x7f", *C1], ids=lambda c: f"U+{ord(c):04X}")
def test_single_line_refuses_every_c0_and_c1_control_and_del(char: str) -> None:
    assert text_problem(f"Anna{char}Andersson") == SINGLE_LINE_MESSAGE


@pytest.mark.parametrize("char", SEPARATORS, ids=lambda c: f"U+{ord(c):04X}")
def test_single_line_refuses_the_unicode_line_and_paragraph_separators_and_multi_line_keeps_them(char: str) -> None:
    assert text_problem(f"Anna{char}Andersson") == SINGLE_LINE_MESSAGE
    assert text_problem(f"rad ett{char}rad två", multiline=True) is None


@pytest.mark.parametrize("char", [c for c in [*C0, "\x7f", *C1] if c not in LINE_BREAKS_AND_TAB],
                         ids=lambda c: f"U+{ord(c):04X}")
def test_multi_line_refuses_controls_other_than_line_breaks_and_tab(char: str) -> None:
    assert text_problem(f"rad ett{char}rad två", multiline=True) == MULTI_LINE_MESSAGE


@pytest.mark.parametrize("char", LINE_BREAKS_AND_TAB, ids=repr)
def test_multi_line_keeps_what_a_textarea_sends(char: str) -> None:
    assert text_problem(f"rad ett{char}rad två", multiline=True) is None


@pytest.mark.parametrize("text", ["", "Götgatan 30", "Ærø ß 東京 🏠", "\u00a0\u00a0", "a" * 10_000,
                                  "\u00a0\u00ff\u2027\u202a"])
def test_ordinary_unicode_is_text(text: str) -> None:
    assert text_problem(text) is None
    assert text_problem(text, multiline=True) is None


@pytest.mark.parametrize("surrogate", ["\ud800", "\udfff", "a\udc00b"])
def test_unpaired_surrogates_are_not_text(surrogate: str) -> None:
    assert text_problem(surrogate) == SURROGATE_MESSAGE
    assert text_problem(surrogate, multiline=True) == SURROGATE_MESSAGE


class _Texts(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    name: Annotated[str, StringConstraints(min_length=1, max_length=5), SINGLE_LINE]
    note: Annotated[str, StringConstraints(max_length=20), MULTI_LINE] | None = None


def _messages(**fields: object) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        _Texts(**fields)
    return [e["msg"] for e in caught.value.errors()]


def test_the_markers_keep_pydantics_own_length_messages() -> None:
    assert _messages(name="abcdef") == ["String should have at most 5 characters"]
    assert _messages(name="") == ["String should have at least 1 character"]
    assert _messages(name="a\x00") == [f"Value error, {SINGLE_LINE_MESSAGE}"]
    assert _messages(name="a", note="x\x00y") == [f"Value error, {MULTI_LINE_MESSAGE}"]
    assert _Texts(name="a", note="rad\r\nrad\tslut").note == "rad\r\nrad\tslut"
    assert _Texts.model_json_schema()["properties"]["name"]["maxLength"] == 5


@given(st.text())
def test_property_text_problem_agrees_with_a_character_by_character_reading(text: str) -> None:
    def bad(char: str, multiline: bool) -> bool:
        code = ord(char)
        control = code < 0x20 or 0x7F <= code <= 0x9F
        separator = code in (0x2028, 0x2029)
        return ((control and not (multiline and char in "\t\n\r")) or (separator and not multiline)
                or 0xD800 <= code <= 0xDFFF)

    assert (text_problem(text) is None) == (not any(bad(c, False) for c in text))
    assert (text_problem(text, multiline=True) is None) == (not any(bad(c, True) for c in text))


# --- money -----------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "expected"), [
    (Decimal("0.01"), Decimal("0.01")),
    (Decimal("16900"), Decimal("16900.00")),
    (Decimal("16900.5"), Decimal("16900.50")),
    (Decimal("16900.000"), Decimal("16900.00")),
    (MAX_SEK, MAX_SEK),
])
def test_check_amount_gives_one_form(value: Decimal, expected: Decimal) -> None:
    result = check_amount(value)
    assert result == expected and str(result) == str(expected)


@pytest.mark.parametrize(("value", "message"), [
    (Decimal("NaN"), "must be a finite number"),
    (Decimal("sNaN"), "must be a finite number"),
    (Decimal("Infinity"), "must be a finite number"),
    (Decimal("-Infinity"), "must be a finite number"),
    (Decimal("0"), "Input should be greater than 0"),
    (Decimal("-0.01"), "Input should be greater than 0"),
    (Decimal("-1E+300"), "Input should be greater than 0"),
    (Decimal("100000000"), "must not be more than 99999999.99 (SEK)"),
    (Decimal("1E+26"), "must not be more than 99999999.99 (SEK)"),
    (Decimal("1E+300"), "must not be more than 99999999.99 (SEK)"),
    (Decimal("16900.001"), "at most two decimals"),
    (Decimal("1E-300"), "at most two decimals"),
])
def test_check_amount_refuses(value: Decimal, message: str) -> None:
    with pytest.raises(AmountError) as caught:
        check_amount(value)
    assert str(caught.value) == message
    assert caught.value.swedish  # every reason has its Swedish wording


@pytest.mark.parametrize(("text", "expected"), [
    ("16900", "16900.00"),
    ("16 900", "16900.00"),
    ("16 900,50", "16900.50"),
    ("16900,5", "16900.50"),
    ("16900.50", "16900.50"),
    (" 1 234 567,89 ", "1234567.89"),
    ("16\u00a0900,50", "16900.50"),
    ("99 999 999,99", "99999999.99"),
])
def test_parse_amount_reads_swedish_input(text: str, expected: str) -> None:
    assert str(read_amount(text)) == expected
    assert str(parse_amount(text)) == expected


@pytest.mark.parametrize(("text", "swedish"), [
    ("NaN", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("nan", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("Infinity", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("-Infinity", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("1e30", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("1E+5", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("16 9 00", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("16.900,50", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("femtusen", "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50."),
    ("0", "Beloppet ska vara större än noll."),
    ("-5", "Beloppet ska vara större än noll."),
    ("100 000 000", "Beloppet är orimligt stort: högst 99 999 999,99 kronor."),
    ("1" + "0" * 40, "Beloppet är orimligt stort: högst 99 999 999,99 kronor."),
    ("1,001", "Beloppet får ha högst två decimaler (ören)."),
    ("16 900,505", "Beloppet får ha högst två decimaler (ören)."),
])
def test_parse_amount_refuses_with_a_swedish_reason(text: str, swedish: str) -> None:
    with pytest.raises(AmountError) as caught:
        read_amount(text)
    assert caught.value.swedish == swedish
    with pytest.raises(Problem) as refused:
        parse_amount(text)
    assert (refused.value.status, refused.value.detail) == (422, swedish)


class _Amounts(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    json_number: Money | None = None
    number_or_text: MoneyOrText | None = None


@pytest.mark.parametrize("value", [float("nan"), float("inf"), -float("inf"), 1e26, 1e300, -1e300, 5e-324,
                                   10**40, "16900", True])
def test_money_refuses_json_numbers_that_are_no_amounts(value: object) -> None:
    with pytest.raises(ValidationError):
        _Amounts(json_number=value)


def test_money_or_text_takes_a_decimal_string_through_the_same_rule() -> None:
    assert _Amounts(number_or_text="16900").number_or_text == Decimal("16900.00")
    assert _Amounts(number_or_text=8450.5).number_or_text == Decimal("8450.50")
    for bad in ("NaN", "Infinity", "1e30", "-1", "1.001", "sixton", ""):
        with pytest.raises(ValidationError):
            _Amounts(number_or_text=bad)


def test_money_json_schema_says_number_bounded() -> None:
    schema = _Amounts.model_json_schema()["properties"]["json_number"]["anyOf"][0]
    assert schema == {"type": "number", "exclusiveMinimum": 0, "maximum": 99999999.99, "multipleOf": 0.01}


@given(st.decimals(allow_nan=True, allow_infinity=True))
def test_property_check_amount_answers_every_decimal(value: Decimal) -> None:
    try:
        result = check_amount(value)
    except AmountError:
        assert not value.is_finite() or value <= 0 or value > MAX_SEK or value != value.quantize(Decimal("0.01"))
    else:
        assert Decimal("0.01") <= result <= MAX_SEK and result == value


# --- dates -----------------------------------------------------------------------------

class _When(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    day: IsoDate | None = None
    at: Timestamp | None = None


@pytest.mark.parametrize(("text", "expected"), [
    ("1900-01-01", date(1900, 1, 1)),
    ("2199-12-31", date(2199, 12, 31)),
    ("2026-11-20", date(2026, 11, 20)),
])
def test_dates_in_range(text: str, expected: date) -> None:
    assert _When(day=text).day == expected


@pytest.mark.parametrize("text", ["0001-01-01", "1899-12-31", "2200-01-01", "9999-12-31"])
def test_dates_out_of_range(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _When(day=text)
    assert caught.value.errors()[0]["msg"] == f"Value error, {OUT_OF_RANGE}"


@pytest.mark.parametrize("text", [
    "1900-01-01T00:00:00+14:00",  # 1899 in UTC: judged as written, still 1900
    "2199-12-31T23:59:59-12:00",  # 2200 in UTC
    "2027-01-14T09:00:00+01:00",
])
def test_timestamps_in_range_convert_to_utc(text: str) -> None:
    at = _When(at=text).at
    assert at is not None and at == datetime.fromisoformat(text)
    assert at.astimezone(timezone.utc).year in (1899, 2027, 2200)  # the conversion that used to overflow


@pytest.mark.parametrize("text", [
    "9999-12-31T23:59:59-12:00",
    "0001-01-01T00:00:00+14:00",
    "1899-12-31T23:59:59+00:00",
    "2200-01-01T00:00:00+00:00",
])
def test_timestamps_out_of_range(text: str) -> None:
    with pytest.raises(ValidationError) as caught:
        _When(at=text)
    assert caught.value.errors()[0]["msg"] == f"Value error, {OUT_OF_RANGE}"
