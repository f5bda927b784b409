"""Kronofogden (the Enforcement Authority): the same-day acknowledgement.

Socialtjänstförordning (2025:468) 11 kap. 3 §: when the committee receives
Kronofogden's notice of the time of an eviction, it must the same day send the
authority a confirmation that the notice was received, naming the responsible
handler. `KronofogdenClient` sends that confirmation; the HTTP client in
`http.py`, the file-backed one in `local.py`, or a real provider's client
satisfy it.

Sending is idempotent: the caller passes its outbox id as `idempotency_key`,
and sending again with the same key (after a lost answer, or a crash between
sending and recording) gives the same receipt and no second acknowledgement.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from integrations.errors import IntegrationUnavailable

__all__ = [
    "AckReceipt",
    "Acknowledgement",
    "KronofogdenClient",
    "KronofogdenUnavailable",
    "acknowledgement_to_wire",
    "check_idempotency_key",
    "parse_timestamp",
]


class KronofogdenUnavailable(IntegrationUnavailable):
    """Kronofogden (or its adapter) gave no usable answer; try again later."""


@dataclass(frozen=True)
class Acknowledgement:
    reference: str  # Kronofogden's reference of the eviction notice (målnummer)
    received_at: dt.datetime  # when the committee received the notice; timezone-aware
    responsible_handler_name: str
    responsible_handler_phone: str | None
    district_name: str
    committee: str  # the district committee (stadsdelsnämnd) that acknowledges


@dataclass(frozen=True)
class AckReceipt:
    authority_reference: str
    accepted_at: dt.datetime


@runtime_checkable
class KronofogdenClient(Protocol):
    def send_acknowledgement(self, ack: Acknowledgement, *, idempotency_key: str) -> AckReceipt:
        ...


# Outbox ids: letters, digits and . _ : - (safe in a header and a file name).
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


def check_idempotency_key(key: str) -> str:
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise ValueError(
            "idempotency_key must be 1-128 characters: letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit"
        )
    return key


def acknowledgement_to_wire(ack: Acknowledgement) -> dict[str, Any]:
    """The JSON body of an acknowledgement (the same in the HTTP protocol and the files)."""
    if not ack.reference or not ack.reference.strip():
        raise ValueError("acknowledgement reference must not be empty")
    if ack.received_at.tzinfo is None or ack.received_at.utcoffset() is None:
        raise ValueError("acknowledgement received_at must be timezone-aware")
    if not ack.responsible_handler_name.strip():
        raise ValueError("acknowledgement must name the responsible handler")
    return {
        "reference": ack.reference,
        "received_at": ack.received_at.isoformat(),
        "responsible_handler_name": ack.responsible_handler_name,
        "responsible_handler_phone": ack.responsible_handler_phone,
        "district_name": ack.district_name,
        "committee": ack.committee,
    }


_RFC3339 = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?"
    r"(?:[Zz]|[+-][0-9]{2}:[0-9]{2})"
)


def parse_timestamp(value: Any) -> dt.datetime:
    """An RFC 3339 timestamp with an offset → aware datetime; ValueError otherwise."""
    if not isinstance(value, str) or not _RFC3339.fullmatch(value):
        raise ValueError("must be an RFC 3339 timestamp with a time zone offset")
    try:
        return dt.datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        raise ValueError("is not a real date and time") from None
