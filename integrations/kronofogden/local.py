"""Kronofogden clients without a network.

`FileKronofogdenClient(directory)` — for development and the demo, where no
authority is reachable: each acknowledgement becomes one file
`{directory}/{idempotency_key}.json`:

    {"idempotency_key": "outbox-42",
     "acknowledgement": {…the HTTP body documented in http.py…},
     "receipt": {"authority_reference": "LOCAL-outbox-42",
                 "accepted_at": "2026-12-11T08:12:03+00:00"}}

Sending again with the same key writes nothing and returns the receipt stored
in the existing file (like the authority's replay). The file appears
atomically (written aside, then hard-linked into place), so a reader never
sees half a file and two concurrent senders with one key produce one file.
The files hold the handler's name, as the real acknowledgement does, so they
are written 0600 in a 0700 directory (`app.files`).

`RecordingKronofogdenClient` — in memory, for tests: keeps what was sent, is
idempotent by key, and fails on demand (`fail_with`).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from app.files import private_dir, write_private
from integrations.kronofogden.protocol import (
    AckReceipt,
    Acknowledgement,
    KronofogdenUnavailable,
    acknowledgement_to_wire,
    check_idempotency_key,
    parse_timestamp,
)

__all__ = ["FileKronofogdenClient", "RecordingKronofogdenClient", "SentAcknowledgement"]


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class FileKronofogdenClient:
    def __init__(
        self,
        directory: str | os.PathLike[str],
        *,
        now: Callable[[], dt.datetime] = _utc_now,
    ) -> None:
        self.directory = private_dir(directory)
        self._now = now

    def path_for(self, idempotency_key: str) -> Path:
        return self.directory / f"{check_idempotency_key(idempotency_key)}.json"

    def send_acknowledgement(self, ack: Acknowledgement, *, idempotency_key: str) -> AckReceipt:
        final = self.path_for(idempotency_key)
        body = acknowledgement_to_wire(ack)
        if final.exists():
            return self._stored_receipt(final)
        accepted_at = self._now()
        if accepted_at.utcoffset() is None:
            raise ValueError("the clock must give timezone-aware datetimes")
        receipt = AckReceipt(f"LOCAL-{idempotency_key}", accepted_at)
        document = {
            "idempotency_key": idempotency_key,
            "acknowledgement": body,
            "receipt": {
                "authority_reference": receipt.authority_reference,
                "accepted_at": receipt.accepted_at.isoformat(),
            },
        }
        data = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
        if not write_private(final, data, replace=False):  # another sender got there first
            return self._stored_receipt(final)
        return receipt

    @staticmethod
    def _stored_receipt(path: Path) -> AckReceipt:
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))["receipt"]
            return AckReceipt(
                authority_reference=str(stored["authority_reference"]),
                accepted_at=parse_timestamp(stored["accepted_at"]),
            )
        except (OSError, ValueError, KeyError, TypeError):
            raise KronofogdenUnavailable(
                "Kronofogden acknowledgement: the stored file for this idempotency key "
                "is unreadable"
            ) from None


@dataclass(frozen=True)
class SentAcknowledgement:
    idempotency_key: str
    acknowledgement: Acknowledgement
    receipt: AckReceipt


class RecordingKronofogdenClient:
    """In memory. `sent` lists each acknowledgement once per idempotency key; set
    `fail_with` to an exception to make every send raise it (an outage)."""

    def __init__(self, *, now: Callable[[], dt.datetime] = _utc_now) -> None:
        self.sent: list[SentAcknowledgement] = []
        self.fail_with: BaseException | None = None
        self._now = now

    def send_acknowledgement(self, ack: Acknowledgement, *, idempotency_key: str) -> AckReceipt:
        check_idempotency_key(idempotency_key)
        acknowledgement_to_wire(ack)  # the same checks as the real clients
        if self.fail_with is not None:
            raise self.fail_with
        for sent in self.sent:
            if sent.idempotency_key == idempotency_key:
                return sent.receipt
        receipt = AckReceipt(f"REC-{len(self.sent) + 1}", self._now())
        self.sent.append(SentAcknowledgement(idempotency_key, ack, receipt))
        return receipt
