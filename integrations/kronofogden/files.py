"""Kronofogden's eviction notices as a file (the import path beside the API).

The file is either a JSON array of notices or JSON Lines (one notice object
per line; blank lines are skipped). A UTF-8 byte-order mark is ignored. Each
notice has the shape of `POST /api/v1/kronofogden/eviction-notices`:

    {"reference": "KFM-2026-001234",
     "eviction_at": "2026-12-18T09:00:00+01:00",                     (RFC 3339)
     "tenant": {"name": "…", "personal_identity_number": "…"},
     "property": {"street_address": "…", "postal_code": "…", "city": "…",
                  "apartment_number": "…"},                           (apartment optional)
     "landlord": {"name": "…", "org_number": "…"}}

`parse_eviction_notice_file` checks the structure — an object per entry, the
fields above present with the right JSON types, `eviction_at` a real RFC 3339
timestamp with an offset — and returns the entries as they were (raw dicts).
The service validates the values themselves (identity number checksum,
postal code, …). Errors name the entry (`index 3` in an array, `line 4` in
JSON Lines) and the field, never a value, since the file holds personal data.
"""

from __future__ import annotations

import json
from typing import Any

from integrations.kronofogden.protocol import parse_timestamp

__all__ = ["parse_eviction_notice_file"]

_REQUIRED_OBJECTS: dict[str, tuple[str, ...]] = {
    "tenant": ("name", "personal_identity_number"),
    "property": ("street_address", "postal_code", "city"),
    "landlord": ("name", "org_number"),
}


def parse_eviction_notice_file(text: str) -> list[dict[str, Any]]:
    text = text.removeprefix("\ufeff")
    if text.lstrip().startswith("["):
        try:
            entries = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"not valid JSON ({exc.msg}: line {exc.lineno} column {exc.colno})"
            ) from None
        for index, entry in enumerate(entries):
            _check(entry, f"index {index}")
        return entries
    notices: list[dict[str, Any]] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            entry = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"line {number}: not valid JSON ({exc.msg}: column {exc.colno})"
            ) from None
        _check(entry, f"line {number}")
        notices.append(entry)
    return notices


def _check(entry: Any, where: str) -> None:
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: must be a JSON object")
    reference = entry.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        raise ValueError(f"{where}: reference must be a non-empty string")
    try:
        parse_timestamp(entry.get("eviction_at"))
    except ValueError as exc:
        raise ValueError(f"{where}: eviction_at {exc}") from None
    for name, fields in _REQUIRED_OBJECTS.items():
        value = entry.get(name)
        if not isinstance(value, dict):
            raise ValueError(f"{where}: {name} must be an object")
        for field in fields:
            if not isinstance(value.get(field), str) or not value[field].strip():
                raise ValueError(f"{where}: {name}.{field} must be a non-empty string")
    apartment = entry["property"].get("apartment_number")
    if apartment is not None and not isinstance(apartment, str):
        raise ValueError(f"{where}: property.apartment_number must be a string or null")
