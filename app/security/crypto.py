"""Field protection for identity numbers: AES-GCM encryption plus a keyed hash for matching.

The stored form never contains the number in plain text. The keyed hash
(HMAC-SHA256 under a key derived from VARSEL_DATA_KEY) lets Varsel find the
same person's other notices — the only matching the law allows
(förordning 2001:637 15 §) — without decrypting anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from functools import lru_cache

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v1"


class DataKeyError(ValueError):
    pass


@lru_cache(maxsize=8)
def _keys(data_key: str) -> tuple[AESGCM, bytes]:
    try:
        raw = base64.b64decode(data_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataKeyError("VARSEL_DATA_KEY must be base64 of 32 random bytes") from exc
    if len(raw) != 32:
        raise DataKeyError("VARSEL_DATA_KEY must be base64 of exactly 32 bytes (AES-256)")
    # Separate keys for separate purposes, both derived from the one secret.
    enc = hmac.new(raw, b"varsel:encryption:v1", hashlib.sha256).digest()
    mac = hmac.new(raw, b"varsel:matching:v1", hashlib.sha256).digest()
    return AESGCM(enc), mac


def encrypt(data_key: str, plaintext: str, *, context: str) -> str:
    """`context` (e.g. 'tenant.pin') is bound as associated data: a value moved to another column fails."""
    aead, _ = _keys(data_key)
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, plaintext.encode(), context.encode())
    return f"{_VERSION}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(data_key: str, token: str, *, context: str) -> str:
    version, _, payload = token.partition(":")
    if version != _VERSION:
        raise DataKeyError(f"unknown encryption version {version!r}")
    aead, _ = _keys(data_key)
    blob = base64.urlsafe_b64decode(payload)
    return aead.decrypt(blob[:12], blob[12:], context.encode()).decode()


def matching_hash(data_key: str, canonical: str) -> str:
    _, mac = _keys(data_key)
    return hmac.new(mac, canonical.encode(), hashlib.sha256).hexdigest()
