"""SMS through a provider's HTTP API — Varsel's protocol.

Varsel speaks this small JSON-over-HTTP protocol; an operator points it at a
provider that speaks it, or puts an adapter in front of one that does not.

Every request carries
    Content-Type: application/json
    Accept: application/json
    Authorization: Bearer <api key>            (only when an API key is configured)
    Idempotency-Key: <the caller's outbox id>

Send one message
    POST {base_url}/v1/messages
    {"to": "+46701234567", "from": "Varsel", "text": "…", "reference": "<the outbox id>"}
    → 202 {"id": "<the provider's message id>"}      accepted for delivery
    → 200 {"id": "…"}   a replay: a message with this Idempotency-Key was already
                        accepted; counts as success, nothing is sent twice.
    → 4xx (400 bad number, 401/403 key, 409, 422, …): IntegrationRejected. Not retried.
    → 429, 5xx, timeouts, network errors: retried (`retries` times, exponential
          backoff from `backoff_s`, the same Idempotency-Key), then SmsUnavailable.
    A 200/202 without an "id" raises SmsUnavailable without a retry.

Before anything is sent (by every sender here, the recording one too):
  * `to` must be E.164: "+" and 8–15 digits, not starting with 0;
  * `text` must be 1–480 characters (three concatenated segments at most);
  * `text` must carry no identity number or email address
    (`notifications.privacy.assert_no_personal_data`) — the caller's templates
    guarantee it, this is the second guard;
  * `from` (sender_name) is an alphanumeric sender id (1–11 letters, digits or
    spaces, at least one letter) or an E.164 number.
Violations raise ValueError. Error messages and log lines never contain the
phone number or the text.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import httpx
import structlog

from integrations.errors import IntegrationUnavailable
from integrations.retrying import Retrying, json_client
from notifications.privacy import assert_no_personal_data

__all__ = [
    "HttpSmsSender",
    "MAX_TEXT_LENGTH",
    "RecordingSmsSender",
    "SentSms",
    "SmsSender",
    "SmsUnavailable",
    "sms_sender_from_settings",
    "validate_sms",
]

log = structlog.get_logger("varsel.notifications.sms")

MAX_TEXT_LENGTH = 480
_E164 = re.compile(r"\+[1-9][0-9]{7,14}")
_ALPHANUMERIC_SENDER = re.compile(r"(?=.*[A-Za-z])[A-Za-z0-9 ]{1,11}")
_KEY = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{0,127}")


class SmsUnavailable(IntegrationUnavailable):
    """The SMS provider gave no usable answer; try again later."""


@runtime_checkable
class SmsSender(Protocol):
    def send(self, to: str, text: str, *, idempotency_key: str) -> str:
        """Send `text` to `to`; return the provider's message id."""
        ...


def validate_sms(to: str, text: str, idempotency_key: str) -> None:
    """The checks every sender runs before sending; ValueError without the values."""
    if not isinstance(to, str) or not _E164.fullmatch(to):
        raise ValueError("recipient must be an E.164 number: '+' and 8-15 digits")
    if not isinstance(text, str) or not text.strip():
        raise ValueError("SMS text must not be empty")
    if len(text) > MAX_TEXT_LENGTH:
        raise ValueError(
            f"SMS text is {len(text)} characters; at most {MAX_TEXT_LENGTH} (three segments)"
        )
    assert_no_personal_data(text)
    if not isinstance(idempotency_key, str) or not _KEY.fullmatch(idempotency_key):
        raise ValueError(
            "idempotency_key must be 1-128 characters: letters, digits, '.', '_', ':' or '-', "
            "starting with a letter or digit"
        )


class HttpSmsSender:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        sender_name: str = "Varsel",
        *,
        timeout: float = 5.0,
        retries: int = 2,
        backoff_s: float = 0.2,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("SMS provider URL must start with http:// or https://")
        if not (_ALPHANUMERIC_SENDER.fullmatch(sender_name) or _E164.fullmatch(sender_name)):
            raise ValueError(
                "SMS sender name must be 1-11 letters, digits or spaces, or an E.164 number"
            )
        self._retrying = Retrying("sms", SmsUnavailable, log, retries, backoff_s, sleep)
        self.sender_name = sender_name
        self._client = json_client(base_url, api_key, timeout)

    def send(self, to: str, text: str, *, idempotency_key: str) -> str:
        validate_sms(to, text, idempotency_key)
        body = {"to": to, "from": self.sender_name, "text": text, "reference": idempotency_key}
        response = self._post(body, idempotency_key)
        try:
            data = response.json()
        except ValueError:
            data = None
        message_id = data.get("id") if isinstance(data, dict) else None
        if not isinstance(message_id, str) or not message_id:
            raise SmsUnavailable(
                f"SMS provider answered {response.status_code} without a message id"
            )
        return message_id

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HttpSmsSender":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, body: dict[str, str], idempotency_key: str) -> httpx.Response:
        return self._retrying.send(
            lambda: self._client.post(
                "/v1/messages", json=body, headers={"Idempotency-Key": idempotency_key}
            ),
            operation="send",
            label="SMS provider",
            accept=(200, 202),
            rejected=lambda status: f"SMS provider rejected the message with {status}",
        )


@dataclass(frozen=True)
class SentSms:
    to: str = field(repr=False)
    text: str = field(repr=False)
    idempotency_key: str
    message_id: str


class RecordingSmsSender:
    """In memory, for tests and for the demo when no provider is configured.
    Runs the same checks as HttpSmsSender; one message per idempotency key; set
    `fail_with` to an exception to make every send raise it (an outage)."""

    def __init__(self) -> None:
        self.messages: list[SentSms] = []
        self.fail_with: BaseException | None = None

    def send(self, to: str, text: str, *, idempotency_key: str) -> str:
        validate_sms(to, text, idempotency_key)
        if self.fail_with is not None:
            raise self.fail_with
        for sent in self.messages:
            if sent.idempotency_key == idempotency_key:
                return sent.message_id
        message_id = f"recorded-{len(self.messages) + 1}"
        self.messages.append(SentSms(to, text, idempotency_key, message_id))
        return message_id


def sms_sender_from_settings(
    url: str | None,
    api_key: str | None,
    sender_name: str | None = None,
    *,
    timeout: float = 5.0,
    retries: int = 2,
) -> SmsSender:
    """`url` set → HttpSmsSender; otherwise a RecordingSmsSender (development and
    the demo: messages are kept in memory, nothing leaves the machine)."""
    if url:
        return HttpSmsSender(
            url, api_key, sender_name or "Varsel", timeout=timeout, retries=retries
        )
    return RecordingSmsSender()
