"""Population registers without a network: a JSON file (development, the demo)
and an in-memory one (tests).

The file (and the dict given to `InMemoryPopulationRegister`) looks like this;
residents and persons use the same fields as the HTTP protocol in `http.py`:

    {
      "households": [
        {"street_address": "Götgatan 30", "postal_code": "118 46", "apartment_number": "1102",
         "residents": [{"birth_date": "1985-04-12", "coordination_number": false},
                       {"birth_date": "2015-09-01", "coordination_number": false}]}
      ],
      "persons": [
        {"personal_identity_number": "19850412-1230", "birth_date": "1985-04-12",
         "coordination_number": false, "registered_address": "Götgatan 30, 118 46 Stockholm",
         "apartment_number": "1102", "deceased": false}
      ]
    }

Both top-level lists may be left out. `apartment_number` may be null (a house).

Matching is forgiving in the ways addresses differ in practice:
  street address — Unicode NFC, case-folded, runs of whitespace collapsed;
  postal code    — digits only ("118 46" = "11846");
  apartment      — case-folded, whitespace removed, a leading "lgh"/"lägenhet"
                   dropped ("lgh 1102" = "1102"); "" is the same as null.
Identity numbers are given as YYYYMMDDNNNC or YYYYMMDD-NNNC.

`FilePopulationRegister` re-reads the file when its modification time, size or
inode changes, so the demo data can be edited while the service runs. If the
edited file is broken, look-ups raise PopulationRegisterUnavailable (the jobs
retry) until it is fixed; the message names the position, never the content.
"""

from __future__ import annotations

import json
import os
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

from integrations.population_register.protocol import (
    Household,
    Person,
    PopulationRegisterUnavailable,
    canonical_identity_number,
    person_from_wire,
    resident_from_wire,
)

__all__ = [
    "FilePopulationRegister",
    "InMemoryPopulationRegister",
    "normalise_apartment",
    "normalise_postal_code",
    "normalise_street",
]

_WHITESPACE = re.compile(r"\s+")
_APARTMENT_PREFIX = re.compile(r"^(?:lgh|lägenhet)\.?")
_NON_DIGITS = re.compile(r"[^0-9]")

_Key = tuple[str, str, str | None]


def normalise_street(value: str) -> str:
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", value).casefold()).strip()


def normalise_postal_code(value: str) -> str:
    return _NON_DIGITS.sub("", value)


def normalise_apartment(value: str | None) -> str | None:
    if value is None:
        return None
    compact = _WHITESPACE.sub("", unicodedata.normalize("NFC", value).casefold())
    compact = _APARTMENT_PREFIX.sub("", compact)
    return compact or None


def _key(street_address: str, postal_code: str, apartment_number: str | None) -> _Key:
    return (
        normalise_street(street_address),
        normalise_postal_code(postal_code),
        normalise_apartment(apartment_number),
    )


class InMemoryPopulationRegister:
    """A register built from a dict in the file format above. Raises ValueError
    (naming the entry, never its content) when the dict is malformed."""

    def __init__(self, data: dict[str, Any], *, source: str = "population_register:memory") -> None:
        self.source = source
        self._households: dict[_Key, list[Any]] = {}
        self._persons: dict[str, Person] = {}
        if not isinstance(data, dict):
            raise ValueError("population register data must be an object")
        households = data.get("households", [])
        persons = data.get("persons", [])
        if not isinstance(households, list) or not isinstance(persons, list):
            raise ValueError("households and persons must be lists")
        for index, entry in enumerate(households):
            where = f"households[{index}]"
            if not isinstance(entry, dict):
                raise ValueError(f"{where}: must be an object")
            street, postal = entry.get("street_address"), entry.get("postal_code")
            apartment = entry.get("apartment_number")
            if not isinstance(street, str) or not street.strip():
                raise ValueError(f"{where}: street_address must be a non-empty string")
            if not isinstance(postal, str) or len(normalise_postal_code(postal)) != 5:
                raise ValueError(f"{where}: postal_code must have five digits")
            if apartment is not None and not isinstance(apartment, str):
                raise ValueError(f"{where}: apartment_number must be a string or null")
            residents = entry.get("residents")
            if not isinstance(residents, list):
                raise ValueError(f"{where}: residents must be a list")
            key = _key(street, postal, apartment)
            if key in self._households:
                raise ValueError(f"{where}: the same tenancy is listed twice")
            self._households[key] = [
                resident_from_wire(r, f"{where}.residents[{i}]") for i, r in enumerate(residents)
            ]
        for index, entry in enumerate(persons):
            where = f"persons[{index}]"
            if not isinstance(entry, dict):
                raise ValueError(f"{where}: must be an object")
            try:
                canonical = canonical_identity_number(entry.get("personal_identity_number"))
            except ValueError as exc:
                raise ValueError(f"{where}: personal_identity_number: {exc}") from None
            if canonical in self._persons:
                raise ValueError(f"{where}: the same person is listed twice")
            self._persons[canonical] = person_from_wire(canonical, entry, where)

    def household_at(
        self, street_address: str, postal_code: str, apartment_number: str | None
    ) -> Household | None:
        residents = self._households.get(_key(street_address, postal_code, apartment_number))
        if residents is None:
            return None
        return Household(residents=list(residents), source=self.source)

    def person(self, identity_number: str) -> Person | None:
        return self._persons.get(canonical_identity_number(identity_number))


class FilePopulationRegister:
    """The register in a JSON file, re-read whenever the file changes.

    The file is read once at construction: a missing or malformed file is a
    configuration error and raises (OSError / ValueError) right away.
    """

    source = "population_register:file"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        signature = self._signature()
        self._register = self._load()
        self._loaded_signature = signature

    def household_at(
        self, street_address: str, postal_code: str, apartment_number: str | None
    ) -> Household | None:
        return self._current().household_at(street_address, postal_code, apartment_number)

    def person(self, identity_number: str) -> Person | None:
        return self._current().person(identity_number)

    def _signature(self) -> tuple[int, int, int]:
        stat = os.stat(self.path)
        return (stat.st_mtime_ns, stat.st_size, stat.st_ino)

    def _load(self) -> InMemoryPopulationRegister:
        text = self.path.read_text(encoding="utf-8-sig")
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            # The position only: exc.msg and the numbers carry no file content.
            raise ValueError(
                f"population register file is not valid JSON "
                f"({exc.msg}: line {exc.lineno} column {exc.colno})"
            ) from None
        return InMemoryPopulationRegister(data, source=self.source)

    def _current(self) -> InMemoryPopulationRegister:
        with self._lock:
            try:
                signature = self._signature()
                if signature != self._loaded_signature:
                    self._register = self._load()
                    self._loaded_signature = signature
            except (OSError, ValueError) as exc:
                raise PopulationRegisterUnavailable(
                    f"population register file could not be read: {_safe_reason(exc)}"
                ) from None
            return self._register


def _safe_reason(exc: Exception) -> str:
    if isinstance(exc, OSError):
        return exc.strerror or type(exc).__name__
    return str(exc)  # our own ValueErrors name positions and fields, not values
