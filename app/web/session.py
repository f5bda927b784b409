"""Web sign-in: the session cookie, CSRF tokens and the signed-in user of a page request."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response

from app.config import Settings
from app.deps import SESSION_COOKIE, SessionDep, SettingsDep, staff_actor
from app.security.actors import Actor
from app.security.models import User
from app.security.tokens import csrf_token, csrf_valid, issue_session, read_session

LOGIN_CSRF_COOKIE = "varsel_login_csrf"


class SignInRequired(Exception):
    """Raised by page dependencies; answered with a redirect to the sign-in page."""

    def __init__(self, next_path: str, expired: bool = False) -> None:
        self.next_path = next_path
        self.expired = expired


class CsrfFailed(Exception):
    pass


@dataclass(frozen=True)
class WebUser:
    user: User
    actor: Actor
    session_id: str
    csrf: str


def current_web_user(request: Request, session: SessionDep, settings: SettingsDep) -> WebUser:
    cookie = request.cookies.get(SESSION_COOKIE)
    claims = read_session(settings.secret_key, cookie, settings.session_ttl_seconds) if cookie else None
    if claims is None or claims.session_id is None:
        raise SignInRequired(request.url.path, expired=cookie is not None)
    user = session.get(User, claims.user_id)
    if user is None or not user.active or user.token_version != claims.token_version:
        raise SignInRequired(request.url.path, expired=True)
    return WebUser(user, staff_actor(user, request), claims.session_id,
                   csrf_token(settings.secret_key, claims.session_id))


WebUserDep = Annotated[WebUser, Depends(current_web_user)]


def check_csrf(settings: Settings, web: WebUser, presented: str | None) -> None:
    if not csrf_valid(settings.secret_key, web.session_id, presented):
        raise CsrfFailed()


def new_session_cookie(settings: Settings, user: User) -> str:
    return issue_session(settings.secret_key, user.id, user.token_version)


def login_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(response: Response, name: str, value: str, settings: Settings, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path="/")

