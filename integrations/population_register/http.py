"""HTTP client for the population register (folkbokföring) — Varsel's protocol.

No real register is reachable from Varsel's own network, so Varsel speaks this
small JSON-over-HTTP protocol; an operator puts an adapter in front of the real
provider (for example Skatteverket's Navet, or the city's own population
service) that answers it. Both look-ups are POST requests so that identity
numbers and addresses travel in the request body and never appear in URLs,
proxy logs or access logs.

Every request carries
    Content-Type: application/json
    Accept: application/json
    Authorization: Bearer <api key>            (only when an API key is configured)

Household look-up
    POST {base_url}/v1/household-lookup
    {"street_address": "Götgatan 30", "postal_code": "118 46", "apartment_number": "1102"}
        apartment_number may be null (a house without apartments); the values
        are sent as Varsel received them, the adapter normalises them.
    → 200 {"residents": [{"birth_date": "1985-04-12", "coordination_number": false}, …]}
        everybody registered at the tenancy; an empty list means the address
        is known and nobody is registered there. No names.
    → 404 the register knows no such address or apartment.

Person look-up
    POST {base_url}/v1/person-lookup
    {"personal_identity_number": "198504121230"}     (12 digits, no separator)
    → 200 {"birth_date": "1985-04-12", "coordination_number": false,
           "registered_address": "Götgatan 30, 118 46 Stockholm" | null,
           "apartment_number": "1102" | null, "deceased": false}
    → 404 the register knows no one with that number.

Errors, for both
    429 and 5xx, timeouts and network errors are retried (`retries` times, with
    exponential backoff starting at `backoff_s`), then raise
    PopulationRegisterUnavailable. Any other 4xx raises IntegrationRejected and
    is not retried. A 200 whose body is not the documented JSON raises
    PopulationRegisterUnavailable without a retry. Error messages and log
    lines name the operation and the status, never what was asked.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import httpx
import structlog

from integrations.population_register.protocol import (
    Household,
    Person,
    PopulationRegisterUnavailable,
    canonical_identity_number,
    person_from_wire,
    resident_from_wire,
)
from integrations.retrying import Retrying, json_client

__all__ = ["HttpPopulationRegister"]

log = structlog.get_logger("varsel.integrations.population_register")

_SYSTEM = "population register"


class HttpPopulationRegister:
    source = "population_register:http"

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
            raise ValueError("population register URL must start with http:// or https://")
        self._retrying = Retrying(
            "population_register", PopulationRegisterUnavailable, log, retries, backoff_s, sleep
        )
        self._client = json_client(base_url, api_key, timeout)

    # ---- PopulationRegister ----------------------------------------------

    def household_at(
        self, street_address: str, postal_code: str, apartment_number: str | None
    ) -> Household | None:
        body = {
            "street_address": street_address,
            "postal_code": postal_code,
            "apartment_number": apartment_number,
        }
        response = self._post("/v1/household-lookup", body, "household look-up")
        if response.status_code == 404:
            return None
        data = self._json(response, "household look-up")
        residents = data.get("residents") if isinstance(data, dict) else None
        if not isinstance(residents, list):
            raise PopulationRegisterUnavailable(
                "population register household look-up: answered without a residents list"
            )
        try:
            parsed = [resident_from_wire(r, f"residents[{i}]") for i, r in enumerate(residents)]
        except ValueError as exc:
            raise PopulationRegisterUnavailable(
                f"population register household look-up: answered with a malformed body ({exc})"
            ) from None
        return Household(residents=parsed, source=self.source)

    def person(self, identity_number: str) -> Person | None:
        canonical = canonical_identity_number(identity_number)
        response = self._post(
            "/v1/person-lookup", {"personal_identity_number": canonical}, "person look-up"
        )
        if response.status_code == 404:
            return None
        data = self._json(response, "person look-up")
        try:
            return person_from_wire(canonical, data, "person")
        except ValueError as exc:
            raise PopulationRegisterUnavailable(
                f"population register person look-up: answered with a malformed body ({exc})"
            ) from None

    # ---- plumbing -----------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> "HttpPopulationRegister":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _post(self, path: str, body: dict[str, Any], operation: str) -> httpx.Response:
        """POST with retries (both look-ups only read, so repeating one is always safe).
        Returns a 200 or 404 answer; raises otherwise."""
        return self._retrying.send(
            lambda: self._client.post(path, json=body),
            operation=operation,
            label=f"{_SYSTEM} {operation}:",
            accept=(200, 404),
        )

    @staticmethod
    def _json(response: httpx.Response, operation: str) -> Any:
        try:
            return response.json()
        except ValueError:
            raise PopulationRegisterUnavailable(
                f"{_SYSTEM} {operation}: answered with a body that is not JSON"
            ) from None
