"""Addresses as the city's register and the landlords write them: normalisation and the register file.

Pure: no database. The routing engine matches a notice's address against the
register by these normal forms; the register file (CSV) is parsed here.
"""

from __future__ import annotations

import csv
import functools
import io
import re
import unicodedata
from dataclasses import dataclass

from app.routing.postal import normalise_postal_code


# ---------------------------------------------------------------------------------------------
# Text normalisation and address splitting
# ---------------------------------------------------------------------------------------------

_DASHES = str.maketrans({"\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-"})
_WS = re.compile(r"\s+")
_NUMBER = re.compile(
    r"(?P<num>\d+)(?:\s*(?P<letter>[a-zåäöéü])(?![a-zåäöéü0-9]))?"
    r"(?:\s*-\s*(?P<num2>\d+)(?:\s*(?P<letter2>[a-zåäöéü])(?![a-zåäöéü0-9]))?)?"
)
_FIRST_NUMBER_TOKEN = re.compile(r"(?:^|(?<=\s))\d")
_APARTMENT = re.compile(r"\b(?:lgh|lägenhet|lägenhetsnummer|lgh\.)\s*(?:nr\.?\s*)?(\d{4})\b")


@functools.lru_cache(maxsize=4096)  # cities, streets and postal codes repeat within a batch
def normalise_text(value: str | None) -> str:
    """NFC, casefold, one kind of dash, whitespace folded to single spaces."""
    if not value:
        return ""
    text = unicodedata.normalize("NFC", str(value)).translate(_DASHES).casefold()
    return _WS.sub(" ", text).strip()


def normalise_street(value: str | None) -> str:
    """A street name as the register key uses it: normalised text, no trailing punctuation.

    No abbreviation is expanded or guessed ('S:t', 'g.', 'v.' stay as written):
    a register match must be exact after this normalisation.
    """
    return normalise_text(value).strip(" .,;")


def normalise_number(value: str | None) -> str | None:
    """'30 A' → '30a', '5-7' → '5-7'; None when it is not a street number."""
    text = normalise_text(value)
    if not text:
        return None
    match = _NUMBER.fullmatch(text)
    if match is None:
        return None
    return _number_from_match(match)


def _number_from_match(match: re.Match[str]) -> str:
    number = match["num"] + (match["letter"] or "")
    if match["num2"]:
        number += "-" + match["num2"] + (match["letter2"] or "")
    return number


def split_street_address(value: str | None) -> tuple[str, str | None]:
    """Split a written street address into (street name, number with letter).

    'Götgatan 30 A' → ('götgatan', '30a');
    'Sankt Eriksgatan 117, lgh 1102' → ('sankt eriksgatan', '117');
    'Hornsgatan 12B lgh 1001 2 tr' → ('hornsgatan', '12b');
    'Drottninggatan 5-7' → ('drottninggatan', '5-7');
    'Skeppsholmen' → ('skeppsholmen', None).

    Pragmatic rules: the text is normalised (casefold, whitespace folded);
    anything after the first comma is dropped (apartment, floor, c/o); the
    street name is the text before the first word that starts with a digit;
    the number is that word's digits, an optional single letter (written
    together or apart) and an optional range ('5-7'). Whatever follows (lgh,
    tr, entrance) is ignored. No abbreviation is expanded.
    """
    text = normalise_text(value)
    head = text.split(",", 1)[0].strip()
    first = _FIRST_NUMBER_TOKEN.search(head)
    if first is None:
        return normalise_street(head), None
    street = normalise_street(head[: first.start()])
    match = _NUMBER.match(head, first.start())
    if match is None:  # cannot happen: a digit starts the token
        return street, None
    return street, _number_from_match(match)


def apartment_number_from(explicit: str | None, street_address: str) -> str | None:
    if explicit is not None and str(explicit).strip():
        text = normalise_text(explicit)
        text = re.sub(r"^(?:lgh\.?|lägenhet(?:snummer)?)\s*(?:nr\.?)?\s*", "", text)
        return text.replace(" ", "") or None
    found = _APARTMENT.search(normalise_text(street_address))
    return found.group(1) if found else None


# ---------------------------------------------------------------------------------------------
# The address register
# ---------------------------------------------------------------------------------------------

REGISTER_COLUMNS = ("street", "number", "postal_code", "district_code")


@dataclass(frozen=True)
class AddressEntry:
    """One address of the city's register. `number` is normalised ('30a'), `postal_code` five digits."""

    street: str
    number: str
    postal_code: str
    district_code: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (normalise_street(self.street), self.number, self.postal_code)


def parse_address_register_csv(text: str) -> list[AddressEntry]:
    """Parse the register CSV (header ``street,number,postal_code,district_code``).

    UTF-8 text, with or without BOM; ``,`` or ``;`` as delimiter (detected from
    the header). Column order is free; names are case-insensitive. Raises
    ValueError naming the line of every bad row (unknown or missing columns,
    wrong field count, empty street, bad number, bad postal code, empty district).
    """
    text = text.removeprefix("\ufeff")
    lines = text.splitlines()
    header_line = next((line for line in lines if line.strip()), None)
    if header_line is None:
        raise ValueError("address register: the file is empty (expected a header line)")
    delimiter = ";" if header_line.count(";") > header_line.count(",") else ","
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    header: list[str] | None = None
    entries: list[AddressEntry] = []
    errors: list[str] = []
    for record in reader:
        line_no = reader.line_num
        if not record or all(not cell.strip() for cell in record):
            continue
        if header is None:
            header = [cell.strip().casefold() for cell in record]
            unknown = [c for c in header if c not in REGISTER_COLUMNS]
            missing = [c for c in REGISTER_COLUMNS if c not in header]
            duplicated = sorted({c for c in header if header.count(c) > 1})
            problems = []
            if unknown:
                problems.append(f"unknown columns: {', '.join(unknown)}")
            if missing:
                problems.append(f"missing columns: {', '.join(missing)}")
            if duplicated:
                problems.append(f"repeated columns: {', '.join(duplicated)}")
            if problems:
                raise ValueError(
                    f"address register: line {line_no}: {'; '.join(problems)} "
                    f"(expected {','.join(REGISTER_COLUMNS)})"
                )
            continue
        if len(record) != len(header):
            errors.append(f"line {line_no}: {len(record)} fields, expected {len(header)}")
            continue
        row = {k: v.strip() for k, v in zip(header, record)}
        row_errors = []
        street = _WS.sub(" ", unicodedata.normalize("NFC", row["street"])).strip()
        if not street:
            row_errors.append("empty street")
        number = normalise_number(row["number"])
        if number is None:
            row_errors.append(f"bad number {row['number']!r}")
        postal = normalise_postal_code(row["postal_code"])
        if postal is None:
            row_errors.append(f"bad postal code {row['postal_code']!r}")
        district = row["district_code"]
        if not district:
            row_errors.append("empty district_code")
        if row_errors:
            errors.append(f"line {line_no}: {', '.join(row_errors)}")
            continue
        entries.append(AddressEntry(street, number, postal, district))  # type: ignore[arg-type]
    if header is None:
        raise ValueError("address register: the file is empty (expected a header line)")
    if errors:
        shown = errors[:20]
        more = f"; and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise ValueError("address register: " + "; ".join(shown) + more)
    return entries
