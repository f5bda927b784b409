"""Sending one request to an outside system, with retries — shared by the HTTP clients.

The geocoder, the population register, Kronofogden and the SMS provider each
speak a small JSON-over-HTTP protocol of Varsel's (documented in the client's
own module), and they all fail the same way. For one request:

  * a status in `accept` is the answer: it is returned, the client reads it;
  * 429 and 5xx, timeouts and network errors are retried: `retries` more
    attempts, waiting `backoff_s * 2**n` (n = 0, 1, …) through the injectable
    `sleep` before each; after the last one the client's `unavailable` error
    (a subclass of IntegrationUnavailable) is raised;
  * any other 4xx raises IntegrationRejected with its `status_code`, at once;
  * any other status (1xx, 2xx not accepted, 3xx — redirects are not followed)
    raises `unavailable`, at once.

Messages start with the client's `label` ("geocoder search:", "SMS provider")
and name the status or the kind of network error, never the request: its URL or
body may carry personal data. Before each wait a warning `integration_retry` is
logged on the client's logger with system, operation, attempt, problem and
retry_in_s, and nothing else.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

import httpx

from integrations.errors import IntegrationRejected, IntegrationUnavailable

__all__ = ["RETRYABLE_ERRORS", "Retrying", "json_client"]

# Failures of the network or of the server: worth another attempt.
RETRYABLE_ERRORS = (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError)


def json_client(base_url: str, api_key: str | None, timeout: float) -> httpx.Client:
    """An httpx.Client for one of Varsel's JSON protocols: Accept: application/json,
    Authorization: Bearer <api key> when a key is configured, redirects not followed."""
    headers = {"Accept": "application/json", "User-Agent": "varsel"}
    if api_key:
        headers["Authorization"] = f"Bearer {api_key}"
    return httpx.Client(base_url=base_url, headers=headers, timeout=timeout, follow_redirects=False)


class Retrying:
    """The retry policy of one client.

    `system` is the system's name in log lines ("geocoder"), `unavailable` the
    error raised when no answer can be had now, `log` the client's structlog
    logger; `retries` (0 or more, else ValueError), `backoff_s` and `sleep` as in
    the module docstring.
    """

    def __init__(
        self,
        system: str,
        unavailable: type[IntegrationUnavailable],
        log: Any,
        retries: int,
        backoff_s: float,
        sleep: Callable[[float], None],
    ) -> None:
        if retries < 0:
            raise ValueError("retries must be 0 or more")
        self.system = system
        self.unavailable = unavailable
        self.retries = retries
        self.backoff_s = backoff_s
        self._log = log
        self._sleep = sleep

    def send(
        self,
        request: Callable[[], httpx.Response],
        *,
        operation: str,
        label: str,
        accept: Collection[int],
        rejected: Callable[[int], str] | None = None,
    ) -> httpx.Response:
        """Call `request` (which sends the request, e.g. `lambda: client.get(…)`) until
        it answers with a status in `accept`, and return that answer; raise otherwise.

        `operation` names the request in log lines, `label` starts every message.
        `rejected(status)` gives the message of IntegrationRejected for a 4xx; by
        default "<label> rejected with <status>".
        """
        attempts = self.retries + 1
        for attempt in range(1, attempts + 1):
            try:
                response = request()
            except httpx.TimeoutException:
                problem = "did not answer in time"
            except RETRYABLE_ERRORS as exc:
                problem = f"could not be reached ({type(exc).__name__})"
            else:
                status = response.status_code
                if status in accept:
                    return response
                if status == 429 or status >= 500:
                    problem = f"answered {status}"
                elif 400 <= status < 500:
                    message = rejected(status) if rejected else f"{label} rejected with {status}"
                    raise IntegrationRejected(message, status_code=status)
                else:
                    raise self.unavailable(f"{label} answered unexpected status {status}")
            if attempt < attempts:
                delay = self.backoff_s * 2 ** (attempt - 1)
                self._log.warning(
                    "integration_retry",
                    system=self.system,
                    operation=operation,
                    attempt=attempt,
                    problem=problem,
                    retry_in_s=delay,
                )
                self._sleep(delay)
        raise self.unavailable(f"{label} {problem} after {attempts} attempts")
