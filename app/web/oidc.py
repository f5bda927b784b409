"""Sign-in through the city's identity provider (OpenID Connect, authorisation code flow with PKCE).

Configured by VARSEL_OIDC_ISSUER, VARSEL_OIDC_CLIENT_ID and VARSEL_OIDC_CLIENT_SECRET;
local users with passwords remain the embedded default. The identity provider
proves who the person is; Varsel decides what they may do: the claim named by
VARSEL_OIDC_USERNAME_CLAIM must match an active local user (created by an
admin with a role and a district). Nobody is created automatically.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from typing import Annotated, Any
from urllib.parse import urlencode

import httpx
from authlib.integrations.httpx_client import OAuth2Client
from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from sqlalchemy import select

from app.config import Settings
from app.db import utcnow
from app.deps import SessionDep, SettingsDep, client_ip, staff_actor
from app.errors import Problem
from app.security import audit
from app.security.models import User
from app.security.service import record_failed_sign_in
from app.web.common import safe_next
from app.web.session import set_cookie, start_session

router = APIRouter(include_in_schema=False)

STATE_COOKIE = "varsel_oidc"
_STATE_SALT = "varsel.oidc-state"
_DISCOVERY_TTL = 3600.0
_discovery_cache: dict[str, tuple[float, dict[str, Any], KeySet]] = {}


def enabled(settings: Settings) -> bool:
    return bool(settings.oidc_issuer and settings.oidc_client_id)


def _provider(settings: Settings) -> tuple[dict[str, Any], KeySet]:
    issuer = (settings.oidc_issuer or "").rstrip("/")
    cached = _discovery_cache.get(issuer)
    if cached and time.monotonic() - cached[0] < _DISCOVERY_TTL:
        return cached[1], cached[2]
    try:
        with httpx.Client(timeout=5.0) as client:
            metadata = client.get(f"{issuer}/.well-known/openid-configuration").raise_for_status().json()
            keys = KeySet.import_key_set(client.get(metadata["jwks_uri"]).raise_for_status().json())
    except (httpx.HTTPError, KeyError, ValueError) as exc:
        raise Problem(503, "The identity provider does not answer; sign in with a local account or try later") from exc
    if metadata.get("issuer", "").rstrip("/") != issuer:
        raise Problem(503, "The identity provider's metadata names another issuer")
    _discovery_cache[issuer] = (time.monotonic(), metadata, keys)
    return metadata, keys


def _redirect_uri(settings: Settings) -> str:
    return f"{settings.public_base_url.rstrip('/')}/logga-in/oidc/callback"


@router.get("/logga-in/oidc")
def start(settings: SettingsDep, next: str = "/") -> Response:
    if not enabled(settings):
        raise Problem(404)
    metadata, _keys = _provider(settings)
    state, nonce, verifier = (secrets.token_urlsafe(24) for _ in range(3))
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = urlencode({
        "response_type": "code", "client_id": settings.oidc_client_id, "redirect_uri": _redirect_uri(settings),
        "scope": "openid profile email", "state": state, "nonce": nonce,
        "code_challenge": challenge, "code_challenge_method": "S256",
    })
    response = RedirectResponse(f"{metadata['authorization_endpoint']}?{query}", status_code=303)
    signed = URLSafeTimedSerializer(settings.secret_key, salt=_STATE_SALT).dumps(
        {"state": state, "nonce": nonce, "verifier": verifier, "next": safe_next(next)})
    set_cookie(response, STATE_COOKIE, signed, settings, max_age=600)
    return response


@router.get("/logga-in/oidc/callback")
def callback(request: Request, session: SessionDep, settings: SettingsDep,
             code: Annotated[str, Query(max_length=2000)] = "", state: Annotated[str, Query(max_length=200)] = "",
             error: str | None = None) -> Response:
    if not enabled(settings):
        raise Problem(404)
    if error:
        raise Problem(401, "The identity provider did not sign you in")
    try:
        saved = URLSafeTimedSerializer(settings.secret_key, salt=_STATE_SALT).loads(
            request.cookies.get(STATE_COOKIE, ""), max_age=600)
    except BadSignature:
        raise Problem(401, "The sign-in took too long or came from elsewhere; start again") from None
    if not code or not secrets.compare_digest(state, saved["state"]):
        raise Problem(401, "The sign-in does not match this browser; start again")
    metadata, keys = _provider(settings)
    client = OAuth2Client(client_id=settings.oidc_client_id, client_secret=settings.oidc_client_secret,
                          token_endpoint_auth_method="client_secret_post", timeout=5.0)
    try:
        tokens = client.fetch_token(metadata["token_endpoint"], grant_type="authorization_code", code=code,
                                    redirect_uri=_redirect_uri(settings), code_verifier=saved["verifier"])
    except Exception as exc:  # noqa: BLE001 - any failure of the token exchange means: not signed in
        raise Problem(401, "The identity provider did not confirm the sign-in") from exc
    claims = _verified_claims(tokens.get("id_token", ""), keys, settings, saved["nonce"])
    username = str(claims.get(settings.oidc_username_claim, "")).strip()
    user = session.scalar(select(User).where(User.username == username)) if username else None
    if user is None or not user.active:
        # The identity provider vouched for this person, but Varsel does not let them in:
        # the record of the refusal must survive the error answer.
        record_failed_sign_in(session, user, ip=client_ip(request), via="oidc",
                              reason="inactive" if user is not None else "unknown_user")
        session.commit()
        raise Problem(403, "Your account is not set up in Varsel; ask the administrator to create it")
    user.last_sign_in_at = utcnow()
    audit.record(session, staff_actor(user, request), "web.sign_in", object_type="user", object_id=user.id,
                 district_id=user.district_id, details={"via": "oidc"})
    # Checked again although the state cookie is signed: one rule for every `next`, wherever it was stored.
    response = RedirectResponse(safe_next(saved.get("next")), status_code=303)
    start_session(response, request, session, settings, user)
    response.delete_cookie(STATE_COOKIE, path="/")
    return response


def _verified_claims(id_token: str, keys: KeySet, settings: Settings, nonce: str) -> dict[str, Any]:
    try:
        token = jwt.decode(id_token, keys, algorithms=["RS256", "ES256", "PS256"])
        jwt.JWTClaimsRegistry(
            iss={"essential": True, "value": (settings.oidc_issuer or "").rstrip("/")},
            aud={"essential": True, "value": settings.oidc_client_id},
            exp={"essential": True},
            nonce={"essential": True, "value": nonce},
        ).validate(token.claims)
    except (JoseError, ValueError) as exc:
        raise Problem(401, "The identity provider's answer could not be verified") from exc
    return dict(token.claims)
