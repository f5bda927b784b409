"""HTTP client for Kronofogden's acknowledgements — Varsel's protocol.

Kronofogden's own systems are not reachable from Varsel's network, so Varsel
speaks this small JSON-over-HTTP protocol; an operator puts an adapter in front
of the authority's real channel that answers it.

Every request carries
    Content-Type: application/json
    Accept: application/json
    Authorization: Bearer <api key>            (only when an API key is configured)
    Idempotency-Key: <the caller's outbox id>

Send the same-day acknowledgement (SoF 2025:468 11 kap. 3 §)
    POST {base_url}/v1/eviction-notices/{reference}/acknowledgements
        {reference} is Kronofogden's reference of the eviction notice,
        percent-encoded as one path segment.
    {"reference": "KFM-2026-001234",
     "received_at": "2026-12-11T09:12:00+01:00",          (RFC 3339, with offset)
     "responsible_handler_name": "Karin Handläggare",
     "responsible_handler_phone": "08-508 25 000" | null,
     "district_name": "Södermalm",
     "committee": "Södermalms stadsdelsnämnd"}
    → 201 {"authority_reference": "…", "accepted_at": "2026-12-11T09:12:03+01:00"}
    → 200 with the same body: a replay — the adapter already has an
          acknowledgement with this Idempotency-Key, and answers with its
          receipt. Counts as success; no second acknowledgement exists.
    → 404 Kronofogden knows no notice with that reference: IntegrationRejected.
    → other 4xx (400 invalid body, 401/403 key, 409 key reused with another
          body, …): IntegrationRejected. Not retried.
    → 429, 5xx, timeouts and network errors: retried (`retries` times, with
          exponential backoff starting at `backoff_s`, the same Idempotency-Key
          each time), then KronofogdenUnavailable.
    A 200/201 whose body is not the documented JSON raises
    KronofogdenUnavailable without a retry (the outbox tries again later, with
    the same key, and gets the receipt as a replay).

The body carries the handler's name and phone because the law requires it; it
carries nothing about the tenant. Error messages and log lines carry the
status and the operation, never the body.
"""

from __future__ import annotations

import time
from typing import Any, Callable
from urllib.parse import quote

import httpx
import structlog

from integrations.kronofogden.protocol import (
    AckReceipt,
    Acknowledgement,
    KronofogdenUnavailable,
    acknowledgement_to_wire,
    check_idempotency_key,
    parse_timestamp,
)
from integrations.retrying import Retrying, json_client

__all__ = ["HttpKronofogdenClient"]

log = structlog.get_logger("varsel.integrations.kronofogden")

_OPERATION = "acknowledgement"


def _rejection_message(status: int) -> str:
    if status == 404:
        return f"Kronofogden {_OPERATION}: answered 404, the eviction notice reference is unknown"
    return f"Kronofogden {_OPERATION}: rejected with {status}"


class HttpKronofogdenClient:
    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        timeout: float = 5.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("Kronofogden URL must start with http:// or https://")
        self._retrying = Retrying(
            "kronofogden", KronofogdenUnavailable, log, retries, backoff_s, sleep
        )
        self._client = json_client(base_url, api_key, timeout)

    def send_acknowledgement(self, ack: Acknowledgement, *, idempotency_key: str) -> AckReceipt:
        check_idempotency_key(idempotency_key)
        body = acknowledgement_to_wire(ack)
        path = f"/v1/eviction-notices/{quote(ack.reference, safe='')}/acknowledgements"
        response = self._post(path, body, {"Idempotency-Key": idempotency_key})
        answered = f"Kronofogden {_OPERATION}: answered {response.status_code}"
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise KronofogdenUnavailable(f"{answered} with a body that is not a JSON object")
        authority_reference = data.get("authority_reference")
        if not isinstance(authority_reference, str) or not authority_reference:
            raise KronofogdenUnavailable(f"{answered} without an authority_reference")
        try:
            accepted_at = parse_timestamp(data.get("accepted_at"))
        except ValueError as exc:
            raise KronofogdenUnavailable(f"{answered} with accepted_at that {exc}") from None
        return AckReceipt(authority_reference=authority_reference, accepted_at=accepted_at)

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HttpKronofogdenClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, path: str, body: dict[str, Any], headers: dict[str, str]) -> httpx.Response:
        """POST with retries. Returns a 200/201 answer; raises otherwise."""
        return self._retrying.send(
            lambda: self._client.post(path, json=body, headers=headers),
            operation=_OPERATION,
            label=f"Kronofogden {_OPERATION}:",
            accept=(200, 201),
            rejected=_rejection_message,
        )
