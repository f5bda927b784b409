"""Amounts in SEK: one rule for the landlord API, Kronofogden, the staff API and the staff web form.

An amount is finite, greater than zero, at most :data:`MAX_SEK` and has at most
two decimals (öre). The upper bound keeps every amount inside the payment
commitment's column (``Numeric(12, 2)``) and inside the precision of Python's
decimal context: ``1e26`` used to reach ``quantize`` and fail there with a 500.
No rent or arrears of a home comes near 100 million kronor.

:func:`check_amount` is the rule; :data:`Money` (JSON numbers only, as the
landlord contract fixes), :data:`MoneyOrText` (the staff API, which also takes
``"16900.00"``) and :func:`parse_amount` (what staff type into a form, Swedish
style, refused with a Swedish 422) all go through it.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import AfterValidator, BeforeValidator, WithJsonSchema

from app.errors import Problem

MAX_SEK = Decimal("99999999.99")
CENT = Decimal("0.01")

NOT_A_NUMBER = "must be a JSON number (SEK, at most two decimals)"
NOT_FINITE = "must be a finite number"
NOT_POSITIVE = "Input should be greater than 0"
TOO_LARGE = f"must not be more than {MAX_SEK} (SEK)"
TOO_PRECISE = "at most two decimals"

# The reasons in Swedish, for the staff web form.
_SWEDISH = {
    NOT_A_NUMBER: "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50.",
    NOT_FINITE: "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50.",
    NOT_POSITIVE: "Beloppet ska vara större än noll.",
    TOO_LARGE: "Beloppet är orimligt stort: högst 99 999 999,99 kronor.",
    TOO_PRECISE: "Beloppet får ha högst två decimaler (ören).",
}


class AmountError(ValueError):
    """An amount was refused; str() is the English reason, `swedish` the same for staff."""

    @property
    def swedish(self) -> str:
        return _SWEDISH[str(self)]


def check_amount(value: Decimal) -> Decimal:
    """The amount in one form, or AmountError.

    16900, 16900.0 and 16900.00 are the same amount: one form (two decimals), so a
    retry is recognised as identical.
    """
    if not value.is_finite():
        raise AmountError(NOT_FINITE)
    if value <= 0:
        raise AmountError(NOT_POSITIVE)
    if value > MAX_SEK:
        raise AmountError(TOO_LARGE)
    # Bounded above, so quantize cannot exceed the context's precision.
    rounded = value.quantize(CENT)
    if rounded != value:
        raise AmountError(TOO_PRECISE)
    return rounded


def _json_number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
        raise AmountError(NOT_A_NUMBER)
    return Decimal(str(value))


def _number_or_text(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            raise AmountError(NOT_A_NUMBER) from None
    return _json_number(value)


_SCHEMA = WithJsonSchema({"type": "number", "exclusiveMinimum": 0, "maximum": float(MAX_SEK), "multipleOf": 0.01})

Money = Annotated[Decimal, BeforeValidator(_json_number), AfterValidator(check_amount), _SCHEMA]
MoneyOrText = Annotated[Decimal, BeforeValidator(_number_or_text), AfterValidator(check_amount), _SCHEMA]

_SWEDISH_AMOUNT = re.compile(r"^[+-]?(?:\d+|\d{1,3}(?: \d{3})+)(?:[,.]\d+)?$")


def read_amount(text: str) -> Decimal:
    """'16 900,50', '16900', '16900.50' → Decimal('16900.50'); AmountError (with .swedish) otherwise.

    Only digits, thousands grouped by spaces and one decimal comma or point: "NaN",
    "Infinity", "1e30" and "1 0 0" are not amounts someone means to type.
    """
    compact = text.strip().replace("\u00a0", " ").replace("\u202f", " ")
    if not _SWEDISH_AMOUNT.match(compact):
        raise AmountError(NOT_A_NUMBER)
    return check_amount(Decimal(compact.replace(" ", "").replace(",", ".")))


def parse_amount(text: str) -> Decimal:
    """An amount typed into a staff form; a 422 with the reason in Swedish when it is none."""
    try:
        return read_amount(text)
    except AmountError as exc:
        raise Problem(422, exc.swedish) from None
