"""Signed, expiring staff tokens (API) and web sessions.

Both are itsdangerous signatures over a tiny payload (user id and the user's
token version): no server-side session store is needed, and bumping
``User.token_version`` revokes every token and session of that user.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

_TOKEN_SALT = "varsel.staff-token"
_SESSION_SALT = "varsel.web-session"


@dataclass(frozen=True)
class TokenClaims:
    user_id: uuid.UUID
    token_version: int
    session_id: str | None = None


def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def issue_token(secret_key: str, user_id: uuid.UUID, token_version: int) -> str:
    return _serializer(secret_key, _TOKEN_SALT).dumps({"u": str(user_id), "v": token_version})


def read_token(secret_key: str, token: str, max_age: int) -> TokenClaims | None:
    return _read(_serializer(secret_key, _TOKEN_SALT), token, max_age)


def issue_session(secret_key: str, user_id: uuid.UUID, token_version: int) -> str:
    payload = {"u": str(user_id), "v": token_version, "s": secrets.token_urlsafe(16)}
    return _serializer(secret_key, _SESSION_SALT).dumps(payload)


def read_session(secret_key: str, cookie: str, max_age: int) -> TokenClaims | None:
    return _read(_serializer(secret_key, _SESSION_SALT), cookie, max_age)


def csrf_token(secret_key: str, session_id: str) -> str:
    """The CSRF token of a session: bound to it, so a token from another session fails."""
    return hmac.new(secret_key.encode(), f"csrf:{session_id}".encode(), hashlib.sha256).hexdigest()


def csrf_valid(secret_key: str, session_id: str, presented: str | None) -> bool:
    return bool(presented) and hmac.compare_digest(csrf_token(secret_key, session_id), presented or "")


def _read(serializer: URLSafeTimedSerializer, value: str, max_age: int) -> TokenClaims | None:
    try:
        data = serializer.loads(value, max_age=max_age)
        return TokenClaims(uuid.UUID(data["u"]), int(data["v"]), data.get("s"))
    except (SignatureExpired, BadSignature, KeyError, ValueError, TypeError):
        return None
