"""Geocoding with Nominatim — OpenStreetMap's search engine, which a city can run itself.

Chosen by ``VARSEL_GEOCODER_PROTOCOL=nominatim``; ``VARSEL_GEOCODER_URL`` is the
instance's base address (``https://nominatim.example.se``, or with a path prefix
such as ``https://gis.example.se/nominatim``).

The request (Nominatim's search API, structured form)
    GET {base_url}/search?street=Götgatan%2030&postalcode=118%2046&city=Stockholm
        &country=se&countrycodes=se&format=jsonv2&addressdetails=1&limit=3[&email=…]
    User-Agent: the configured VARSEL_GEOCODER_USER_AGENT (default "Varsel/<version>
    (+<public base URL>)"); ``email`` is added when VARSEL_GEOCODER_EMAIL is set. Both
    identify the service as Nominatim's usage policy asks. Requests are spaced at
    least `min_interval_s` (1 s) apart, the policy's limit for the public service.
    Authorization: Bearer <VARSEL_GEOCODER_API_KEY>, only when one is set (for an
    instance behind the city's gateway).

The answer we rely on (``format=jsonv2``): a JSON array of places, best first,
``[]`` when nothing is found. Of each place Varsel reads only
    lat, lon          WGS84 as decimal *strings* ("59.3139")
    place_rank        30 for a house or building, 26–27 for a street, lower for
                      postcodes, neighbourhoods and towns
    address           (with addressdetails=1) the place's address parts; Varsel
                      reads ``house_number`` and ``postcode``
Everything else (place_id, osm_type, display_name, category, type, importance,
boundingbox, licence, …) is ignored.

The quality judgement (see ``protocol.py``: only ``address`` may route)
    address      ``address.house_number`` equals the asked number (after the routing
                 engine's normalisation: "30 A" = "30a", "5-7") and, where the place
                 has a postcode, it equals the asked one (digits only)
    street       a street (place_rank 26–30) without that number: the street, or
                 another house on it
    postal_code  anything coarser: a postcode area, a neighbourhood, a town
    The first place of the best quality is returned. A street address without a
    number can never be ``address``.

Errors, as for every client (``integrations/retrying.py``)
    5xx and 429, timeouts and network errors are retried, then GeocoderUnavailable;
    another 4xx (Nominatim answers 400 with ``{"error": …}`` for a bad query)
    raises IntegrationRejected at once; a 200 whose body is not an array of places
    with readable coordinates raises GeocoderUnavailable without a retry. Messages
    and logs name the status, never the address.

Cache: as ``http.py`` (found and not-found answers, per process, TTL; failures not cached).
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable
from typing import Any

import httpx
import structlog

from app.routing.addresses import normalise_number, split_street_address
from integrations.geocoding.cache import MISSING, TTLCache, cache_key
from integrations.geocoding.protocol import GeocodeResult, GeocoderUnavailable
from integrations.retrying import Retrying, json_client

__all__ = ["NominatimGeocoder"]

log = structlog.get_logger("varsel.integrations.geocoding")

_LABEL = "geocoder (Nominatim) search:"
_HOUSE_RANK = 30
_STREET_RANKS = range(26, 31)
_ORDER = {"address": 0, "street": 1, "postal_code": 2}


def _digits(value: object) -> str:
    return "".join(c for c in str(value or "") if c.isdigit())


def judge(place: dict[str, Any], asked_number: str | None, asked_postcode: str) -> str:
    """The protocol's quality of one Nominatim place for the asked address."""
    address = place.get("address") if isinstance(place.get("address"), dict) else {}
    rank = place.get("place_rank")
    found_number = normalise_number(str(address.get("house_number") or ""))
    postcode = _digits(address.get("postcode"))
    if (asked_number is not None and found_number == asked_number
            and (not postcode or postcode == _digits(asked_postcode))):
        return "address"
    if isinstance(rank, int) and not isinstance(rank, bool) and rank in _STREET_RANKS:
        return "street"
    if found_number is not None or address.get("road"):
        return "street"  # an older Nominatim without place_rank: the address parts tell
    return "postal_code"


def _point(place: dict[str, Any]) -> tuple[float, float]:
    try:
        lat, lon = float(place["lat"]), float(place["lon"])
    except (TypeError, KeyError, ValueError):
        raise GeocoderUnavailable(f"{_LABEL} answered with a place without readable coordinates") from None
    if not (math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180):
        raise GeocoderUnavailable(f"{_LABEL} answered with coordinates out of range")
    return lat, lon


class NominatimGeocoder:
    source = "geocoder:nominatim"

    def __init__(
        self,
        base_url: str,
        *,
        user_agent: str,
        email: str | None = None,
        api_key: str | None = None,
        timeout: float = 3.0,
        retries: int = 2,
        limit: int = 3,
        min_interval_s: float = 1.0,
        cache_size: int = 10_000,
        cache_ttl_s: float = 86_400,
        backoff_s: float = 0.1,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("geocoder URL must start with http:// or https://")
        if not user_agent.strip():
            raise ValueError("Nominatim's usage policy asks for a User-Agent that names the service")
        self._retrying = Retrying("geocoder", GeocoderUnavailable, log, retries, backoff_s, sleep)
        self._client = json_client(base_url.rstrip("/"), api_key, timeout)
        self._client.headers["User-Agent"] = user_agent.strip()
        self._email = email.strip() if email and email.strip() else None
        self._limit = limit
        self._cache = TTLCache(cache_size, cache_ttl_s, clock)
        self._min_interval_s = min_interval_s
        self._sleep = sleep
        self._clock = clock
        self._turn = threading.Lock()
        self._last_request: float | None = None

    # ---- Geocoder -----------------------------------------------------------

    def locate(self, street_address: str, postal_code: str, city: str) -> GeocodeResult | None:
        key = cache_key(street_address, postal_code, city)
        cached = self._cache.get(key)
        if cached is not MISSING:
            return cached  # type: ignore[no-any-return]
        params = {"street": street_address, "postalcode": postal_code, "city": city, "country": "se",
                  "countrycodes": "se", "format": "jsonv2", "addressdetails": "1", "limit": str(self._limit)}
        if self._email:
            params["email"] = self._email
        response = self._retrying.send(lambda: self._spaced_get(params), operation="search", label=_LABEL,
                                       accept=(200,))
        result = self._parse(response, split_street_address(street_address)[1], postal_code)
        self._cache.put(key, result)
        return result

    # ---- plumbing -----------------------------------------------------------

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> NominatimGeocoder:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _spaced_get(self, params: dict[str, str]) -> httpx.Response:
        # One request at a time, `min_interval_s` apart: retries included, they are requests too.
        with self._turn:
            if self._last_request is not None:
                wait = self._last_request + self._min_interval_s - self._clock()
                if wait > 0:
                    self._sleep(wait)
            try:
                return self._client.get("/search", params=params)
            finally:
                self._last_request = self._clock()

    @staticmethod
    def _parse(response: httpx.Response, asked_number: str | None, asked_postcode: str) -> GeocodeResult | None:
        try:
            places = response.json()
        except ValueError:
            raise GeocoderUnavailable(f"{_LABEL} answered with a body that is not JSON") from None
        if not isinstance(places, list) or not all(isinstance(p, dict) for p in places):
            raise GeocoderUnavailable(f"{_LABEL} answered with something else than a list of places")
        best: GeocodeResult | None = None
        for place in places:
            quality = judge(place, asked_number, asked_postcode)
            if best is None or _ORDER[quality] < _ORDER[best.quality]:
                lat, lon = _point(place)
                best = GeocodeResult(lat=lat, lon=lon, quality=quality)
        return best
