"""The geocoders' answer cache: an address asked again within the TTL makes no request.

Found and not-found answers are kept (in process, LRU, shared by threads);
failures are never cached, so the next look-up asks again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from integrations.geocoding.protocol import GeocodeResult

__all__ = ["MISSING", "TTLCache", "cache_key"]

MISSING = object()


class TTLCache:
    """A thread-safe LRU cache whose entries expire after `ttl_s` seconds."""

    def __init__(self, size: int, ttl_s: float, clock: Callable[[], float]) -> None:
        self._size = size
        self._ttl_s = ttl_s
        self._clock = clock
        self._entries: OrderedDict[tuple[str, str, str], tuple[float, GeocodeResult | None]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()

    def get(self, key: tuple[str, str, str]) -> Any:
        if self._size <= 0:
            return MISSING
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return MISSING
            expires, value = entry
            if self._clock() >= expires:
                del self._entries[key]
                return MISSING
            self._entries.move_to_end(key)
            return value

    def put(self, key: tuple[str, str, str], value: GeocodeResult | None) -> None:
        if self._size <= 0:
            return
        with self._lock:
            self._entries[key] = (self._clock() + self._ttl_s, value)
            self._entries.move_to_end(key)
            while len(self._entries) > self._size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


def cache_key(street_address: str, postal_code: str, city: str) -> tuple[str, str, str]:
    def fold(value: str) -> str:
        return " ".join(str(value or "").split()).casefold()

    return fold(street_address), "".join(str(postal_code or "").split()), fold(city)
