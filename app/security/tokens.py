"""Staff API tokens, web-session secrets and CSRF tokens.

API tokens are itsdangerous signatures over a tiny payload (user id and the
user's token version): stateless, so an API call costs no extra write, and
bumping ``User.token_version`` voids every token of that user at once.

Web sessions are server-side rows (`app/security/sessions.py`); the cookie
carries a random secret of which only the SHA-256 is stored, so a copy of the
table cannot be replayed as cookies. A plain hash suffices: the secret has 256
bits of entropy, nothing to guess.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_TOKEN_SALT = "varsel.staff-token"


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    token_version: int


def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_TOKEN_SALT)


def issue_token(secret_key: str, user_id: uuid.UUID, token_version: int) -> str:
    return _serializer(secret_key).dumps({"u": str(user_id), "v": token_version})


def read_token(secret_key: str, token: str, max_age: int) -> TokenClaims | None:
    try:
        data = _serializer(secret_key).loads(token, max_age=max_age)
        return TokenClaims(uuid.UUID(data["u"]), int(data["v"]))
    except (SignatureExpired, BadSignature, KeyError, ValueError, TypeError):
        return None


def new_session_secret() -> str:
    return secrets.token_urlsafe(32)


def hash_session_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def csrf_token(secret_key: str, session_id: str) -> str:
    """The CSRF token of a session: bound to it, so a token from another session fails."""
    return hmac.new(secret_key.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: str, session_id: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret_key, session_id), presented or "")
