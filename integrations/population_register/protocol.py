"""The population register (folkbokföring) as Varsel needs it.

Varsel asks two questions: who is registered at a tenancy (only birth dates —
the households rules need ages, never names) and what the register says about
one person (birth date, registered address, deceased). Any implementation —
the HTTP client in `http.py`, the file-backed one in `local.py`, or a real
provider's client — satisfies `PopulationRegister`.

The wire format of residents and persons is the same in the HTTP protocol and
the development file, so both are parsed here, by one set of rules.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from integrations.errors import IntegrationUnavailable

__all__ = [
    "Household",
    "Person",
    "PopulationRegister",
    "PopulationRegisterUnavailable",
    "Resident",
    "canonical_identity_number",
    "person_from_wire",
    "resident_from_wire",
]


class PopulationRegisterUnavailable(IntegrationUnavailable):
    """The population register gave no usable answer; try again later."""


@dataclass(frozen=True)
class Resident:
    """One person registered at the tenancy. No name: the service only needs ages."""

    birth_date: dt.date
    coordination: bool  # samordningsnummer rather than personnummer


@dataclass(frozen=True)
class Household:
    residents: list[Resident]
    source: str  # which implementation answered, stored with the household decision


@dataclass(frozen=True)
class Person:
    # repr=False: a Person in a log line or a traceback must not show who it is.
    identity_number_canonical: str = field(repr=False)  # YYYYMMDDNNNC
    birth_date: dt.date = field(repr=False)
    registered_address: str | None = field(repr=False)
    apartment_number: str | None = field(repr=False)
    deceased: bool


@runtime_checkable
class PopulationRegister(Protocol):
    def household_at(
        self, street_address: str, postal_code: str, apartment_number: str | None
    ) -> Household | None:
        """The residents registered at the tenancy, or None when the register knows
        no such address/apartment. An empty household (known address, nobody
        registered) is `Household(residents=[], …)`, not None."""
        ...

    def person(self, identity_number: str) -> Person | None:
        """What the register says about one person, or None when it knows no one
        with that number."""
        ...


_CANONICAL_INPUT = re.compile(r"([0-9]{8})-?([0-9]{4})")


def canonical_identity_number(value: str) -> str:
    """`YYYYMMDD-NNNC` or `YYYYMMDDNNNC` → `YYYYMMDDNNNC`.

    The 10-digit forms need today's date to pick the century; the caller
    (app.identity) resolves them first. The checksum is the caller's business
    too. The error message never contains the value.
    """
    match = _CANONICAL_INPUT.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None:
        raise ValueError("identity number must be 12 digits: YYYYMMDDNNNC or YYYYMMDD-NNNC")
    return match.group(1) + match.group(2)


# ---- wire format (HTTP answers and the development file) --------------------

_ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _date(obj: dict[str, Any], key: str, where: str) -> dt.date:
    value = obj.get(key)
    if not isinstance(value, str) or not _ISO_DATE.fullmatch(value):
        raise ValueError(f"{where}: {key} must be a date YYYY-MM-DD")
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{where}: {key} is not a real calendar date") from None


def _bool(obj: dict[str, Any], key: str, where: str) -> bool:
    value = obj.get(key)
    if not isinstance(value, bool):
        raise ValueError(f"{where}: {key} must be true or false")
    return value


def _optional_str(obj: dict[str, Any], key: str, where: str) -> str | None:
    value = obj.get(key)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{where}: {key} must be a string or null")
    return value


def resident_from_wire(obj: Any, where: str) -> Resident:
    """`{"birth_date": "YYYY-MM-DD", "coordination_number": false}` → Resident.

    Raises ValueError naming `where` and the field, never a value."""
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: must be an object")
    return Resident(
        birth_date=_date(obj, "birth_date", where),
        coordination=_bool(obj, "coordination_number", where),
    )


def person_from_wire(identity_number_canonical: str, obj: Any, where: str) -> Person:
    """`{"birth_date", "coordination_number", "registered_address",
    "apartment_number", "deceased"}` → Person. The two address fields may be null
    or absent; the others are required."""
    if not isinstance(obj, dict):
        raise ValueError(f"{where}: must be an object")
    _bool(obj, "coordination_number", where)  # required by the protocol; not kept
    return Person(
        identity_number_canonical=identity_number_canonical,
        birth_date=_date(obj, "birth_date", where),
        registered_address=_optional_str(obj, "registered_address", where),
        apartment_number=_optional_str(obj, "apartment_number", where),
        deceased=_bool(obj, "deceased", where),
    )
