"""HTTP client for address search (geocoding) — Varsel's protocol.

No real geocoder is reachable from Varsel's own network, so Varsel speaks this
small JSON-over-HTTP protocol; an operator puts an adapter in front of the real
provider (Lantmäteriet's address services, the city's own address service, …)
that answers it.

Every request carries
    Accept: application/json
    Authorization: Bearer <api key>            (only when an API key is configured)

Search
    GET {base_url}/v1/search?street=Götgatan%2030&postal_code=118%2046&city=Stockholm
        the values as Varsel received them (URL-encoded); the adapter normalises.
    → 200 {"results": [{"lat": 59.3139, "lon": 18.0718, "quality": "address"}, …]}
        best result first; lat/lon in WGS84; quality is one of
          "address"      the point of that very address (the only quality
                         routing may use, see protocol.py)
          "street"       somewhere on the street
          "postal_code"  the middle of the postal-code area
        The client returns the first result.
    → 200 {"results": []} or 404: the address is not found → None.

Errors
    5xx and 429, timeouts and network errors are retried (`retries` times, with
    a short exponential backoff starting at `backoff_s`), then raise
    GeocoderUnavailable. Any other 4xx raises IntegrationRejected and is not
    retried. A 200 whose body is not the documented JSON raises
    GeocoderUnavailable without a retry. Messages and log lines name the status,
    never the address.

Cache
    Answers — found and not found — are kept in an in-process LRU cache
    (`cache_size` entries, `cache_ttl_s` seconds), shared by threads; a second
    identical look-up within the TTL makes no request. Failures are not cached.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import httpx
import structlog

from integrations.geocoding.cache import MISSING, TTLCache, cache_key
from integrations.geocoding.protocol import QUALITIES, GeocodeResult, GeocoderUnavailable
from integrations.retrying import Retrying, json_client

__all__ = ["HttpGeocoder"]

log = structlog.get_logger("varsel.integrations.geocoding")

_SYSTEM = "geocoder"


class HttpGeocoder:
    source = "geocoder:http"

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        timeout: float = 3.0,
        retries: int = 2,
        cache_size: int = 10_000,
        cache_ttl_s: float = 86_400,
        *,
        backoff_s: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("geocoder URL must start with http:// or https://")
        self._retrying = Retrying("geocoder", GeocoderUnavailable, log, retries, backoff_s, sleep)
        self._client = json_client(base_url.rstrip("/"), api_key, timeout)
        self._cache = TTLCache(cache_size, cache_ttl_s, clock)

    # ---- Geocoder -----------------------------------------------------------

    def locate(self, street_address: str, postal_code: str, city: str) -> GeocodeResult | None:
        key = cache_key(street_address, postal_code, city)
        cached = self._cache.get(key)
        if cached is not MISSING:
            return cached  # type: ignore[no-any-return]
        params = {"street": street_address, "postal_code": postal_code, "city": city}
        response = self._get("/v1/search", params)
        result = None if response.status_code == 404 else self._parse(response)
        self._cache.put(key, result)
        return result

    # ---- plumbing -----------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpGeocoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _get(self, path: str, params: dict[str, str]) -> httpx.Response:
        """GET with retries. Returns a 200 or 404 answer; raises otherwise."""
        return self._retrying.send(
            lambda: self._client.get(path, params=params),
            operation="search",
            label=f"{_SYSTEM} search:",
            accept=(200, 404),
        )

    @staticmethod
    def _parse(response: httpx.Response) -> GeocodeResult | None:
        try:
            body = response.json()
        except ValueError:
            raise GeocoderUnavailable(
                f"{_SYSTEM} search: answered with a body that is not JSON"
            ) from None
        results = body.get("results") if isinstance(body, dict) else None
        if not isinstance(results, list):
            raise GeocoderUnavailable(f"{_SYSTEM} search: answered without a results list")
        if not results:
            return None
        first = results[0]
        try:
            lat = float(first["lat"])
            lon = float(first["lon"])
            quality = first["quality"]
        except (TypeError, KeyError, ValueError):
            raise GeocoderUnavailable(
                f"{_SYSTEM} search: answered with a malformed result"
            ) from None
        if isinstance(first["lat"], bool) or isinstance(first["lon"], bool):
            raise GeocoderUnavailable(f"{_SYSTEM} search: answered with a malformed result")
        if quality not in QUALITIES:
            raise GeocoderUnavailable(f"{_SYSTEM} search: answered with an unknown quality")
        if not (
            math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180
        ):
            raise GeocoderUnavailable(f"{_SYSTEM} search: answered with coordinates out of range")
        return GeocodeResult(lat=lat, lon=lon, quality=quality)
