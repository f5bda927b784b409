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
from dataclasses import dataclass

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
