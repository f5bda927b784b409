"""Errors shared by the clients of outside systems.

Messages are fixed, English and free of personal data (no names, identity
numbers, addresses or phone numbers): they end up in logs, in the outbox's
last-error column and in tracebacks.
"""

from __future__ import annotations


class IntegrationUnavailable(RuntimeError):
    """The outside system could not give an answer now (network, timeout, 429, 5xx,
    or an answer that is not the documented protocol). Try again later."""


class IntegrationRejected(RuntimeError):
    """The outside system refused the request with a 4xx answer. Sending the same
    request again will not help; a person has to look at it."""

    def __init__(self, message: str, *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
