"""Field protection for identity numbers: AES-GCM encryption plus a keyed hash for matching.

The stored form never contains the number in plain text. The keyed hash
(HMAC-SHA256 under a key derived from VARSEL_DATA_KEY) lets Varsel find the
same person's other notices — the only matching the law allows
(förordning 2001:637 15 §) — without decrypting anything.

Key rotation (`varsel keys rotate-data-key`, app/security/keyrotation.py): a value is
encrypted as `v2:<key id>:<nonce+ciphertext>`, the key id naming the data key that sealed it,
so that the rows still sealed under an earlier key can be found and read. Earlier keys come
from VARSEL_DATA_KEY_PREVIOUS and travel with the current one as a `DataKey` (what
`Settings.data_key` holds), so every caller that reads — decrypting, comparing a retry's
fingerprint — tries them without passing them along. Writing and matching use the current
key only. Values written before key ids (`v1:`) are read with each key in turn.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from collections.abc import Iterable
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

_VERSION = "v2"
_LEGACY_VERSION = "v1"  # no key id: sealed before rotation existed


class DataKeyError(ValueError):
    pass


class DataKey(str):
    """VARSEL_DATA_KEY with the earlier keys (VARSEL_DATA_KEY_PREVIOUS, newest first) carried along."""

    previous: tuple[str, ...]

    def __new__(cls, current: str, previous: Iterable[str] = ()) -> DataKey:
        key = super().__new__(cls, current)
        key.previous = tuple(p for p in previous if p and p != current)
        return key


def all_keys(data_key: str) -> tuple[str, ...]:
    """The current key first, then the earlier ones."""
    return (str(data_key), *getattr(data_key, "previous", ()))


@lru_cache(maxsize=16)
def _keys(data_key: str) -> tuple[AESGCM, bytes, str]:
    try:
        raw = base64.b64decode(data_key, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DataKeyError("a data key must be base64 of 32 random bytes") from exc
    if len(raw) != 32:
        raise DataKeyError("a data key must be base64 of exactly 32 bytes (AES-256)")
    # Separate keys for separate purposes, all derived from the one secret.
    enc = hmac.new(raw, b"varsel:encryption:v1", hashlib.sha256).digest()
    mac = hmac.new(raw, b"varsel:matching:v1", hashlib.sha256).digest()
    # Names the key in stored values without revealing anything about it.
    key_id = hmac.new(raw, b"varsel:key-id:v1", hashlib.sha256).hexdigest()[:8]
    return AESGCM(enc), mac, key_id


def key_id(data_key: str) -> str:
    return _keys(str(data_key))[2]


def sealed_prefix(data_key: str) -> str:
    """How every value encrypted under this key begins (rows still to rotate do not)."""
    return f"{_VERSION}:{key_id(data_key)}:"


def encrypt(data_key: str, plaintext: str, *, context: str) -> str:
    """`context` (e.g. 'tenant.pin') is bound as associated data: a value moved to another column fails."""
    aead, _, kid = _keys(str(data_key))
    nonce = os.urandom(12)
    sealed = aead.encrypt(nonce, plaintext.encode(), context.encode())
    return f"{_VERSION}:{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


def decrypt(data_key: str, token: str, *, context: str) -> str:
    version, _, rest = token.partition(":")
    if version == _VERSION:
        kid, _, payload = rest.partition(":")
        candidates = [key for key in all_keys(data_key) if key_id(key) == kid]
    elif version == _LEGACY_VERSION:
        payload, candidates = rest, list(all_keys(data_key))
    else:
        raise DataKeyError(f"unknown encryption version {version!r}")
    blob = base64.urlsafe_b64decode(payload)
    for key in candidates:
        try:
            return _keys(key)[0].decrypt(blob[:12], blob[12:], context.encode()).decode()
        except InvalidTag:
            continue
    raise DataKeyError("sealed under a data key that is neither VARSEL_DATA_KEY nor in VARSEL_DATA_KEY_PREVIOUS")


def matching_hash(data_key: str, canonical: str) -> str:
    return hmac.new(_keys(str(data_key))[1], canonical.encode(), hashlib.sha256).hexdigest()


def fingerprint_matches(data_key: str, message: str, stored: str) -> bool:
    """Is `stored` the keyed hash of `message` under the current key or an earlier one?

    For fingerprints that cannot be recomputed under a new key because what they hash is not
    stored — a notice's whole body, kept only to recognise a retry.
    """
    return any(hmac.compare_digest(stored, matching_hash(key, message)) for key in all_keys(data_key))
