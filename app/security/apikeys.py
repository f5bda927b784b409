"""API keys for landlords and authorities.

A key looks like ``vsl_<prefix>_<secret>``. The prefix is public: it finds the
row and names the key in logs and in `varsel landlords keys revoke --prefix`.
The secret is shown once; only an HMAC-SHA256 of the whole key (keyed with
VARSEL_SECRET_KEY) is stored, so a copy of the database alone does not let
anyone call the API.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KEY_SCHEME = "vsl"


@dataclass(frozen=True)
class NewKey:
    prefix: str
    plaintext: str
    key_hash: str


def key_hash(secret_key: str, plaintext: str) -> str:
    return hmac.new(secret_key.encode(), plaintext.encode(), hashlib.sha256).hexdigest()


def generate_key(secret_key: str) -> NewKey:
    prefix = secrets.token_hex(4)
    plaintext = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
    return NewKey(prefix=prefix, plaintext=plaintext, key_hash=key_hash(secret_key, plaintext))


def split_prefix(plaintext: str) -> str | None:
    parts = plaintext.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_SCHEME or len(parts[1]) != 8:
        return None
    return parts[1]


def matches(secret_key: str, plaintext: str, stored_hash: str) -> bool:
    return hmac.compare_digest(key_hash(secret_key, plaintext), stored_hash)


# --------------------------------------------------------------------------- the verified-key cache

# How long a process trusts a key it has verified against the database without looking again: the
# bound within which a revocation made elsewhere (the CLI, another worker) stops the key everywhere.
# The process that revokes a key forgets it at once (`KeyCache.forget`). Documented in
# docs/integrators.md ("Keys") and docs/security.md.
KEY_CACHE_SECONDS = 5.0


@dataclass(frozen=True)
class VerifiedKey:
    """What a request needs of a key that was found, unrevoked, with a matching hash: plain values, no row."""

    prefix: str
    test: bool
    owner_kind: str  # "landlord" | "authority"
    owner_id: Any
    owner_name: str


class KeyCache:
    """Verified keys by their keyed hash, each trusted for `ttl` seconds from its look-up.

    By the keyed hash, never the key: a memory dump shows no usable key, and a key is found only
    under the secret it was verified with. `clock` is injectable (tests move time on).
    """

    def __init__(self, ttl: float = KEY_CACHE_SECONDS, clock: Callable[[], float] = time.monotonic,
                 max_entries: int = 10_000) -> None:
        self.ttl = ttl
        self.clock = clock
        self.max_entries = max_entries
        self._entries: dict[str, tuple[float, VerifiedKey]] = {}
        self._lock = threading.Lock()

    def get(self, hashed: str) -> VerifiedKey | None:
        entry = self._entries.get(hashed)
        if entry is None:
            return None
        if self.clock() >= entry[0]:
            with self._lock:
                self._entries.pop(hashed, None)
            return None
        return entry[1]

    def put(self, hashed: str, key: VerifiedKey) -> None:
        if self.ttl <= 0:
            return
        with self._lock:
            if len(self._entries) >= self.max_entries:
                self._entries.clear()  # a flood of distinct keys: start over rather than grow
            self._entries[hashed] = (self.clock() + self.ttl, key)

    def forget(self, prefix: str) -> None:
        """A key revoked by this process stops working here at once."""
        with self._lock:
            for hashed in [h for h, (_, key) in self._entries.items() if key.prefix == prefix]:
                del self._entries[hashed]

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


VERIFIED = KeyCache()  # the process's cache (app/security/service.py: verify_key)
