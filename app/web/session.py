"""Web sign-in: the session cookie, CSRF tokens and the signed-in user of a page request.

The cookie holds the secret of a server-side session row (`app/security/sessions.py`):
signing out, deactivation and a new password end it at once, wherever the
cookie was copied to. The CSRF token is an HMAC of the session's id, so it is
worthless for any other session.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from sqlalchemy.orm import Session

from app.config import Settings
from app.deps import SESSION_COOKIE, SessionDep, SettingsDep, client_ip, staff_actor
from app.security import sessions
from app.security.actors import Actor
from app.security.models import User, WebSession
from app.security.tokens import csrf_token, csrf_valid

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
    session: WebSession
    csrf: str

    @property
    def session_id(self) -> str:
        return str(self.session.id)


def current_web_user(request: Request, session: SessionDep, settings: SettingsDep) -> WebUser:
    cookie = request.cookies.get(SESSION_COOKIE)
    row = sessions.resolve(session, settings, cookie)
    if row is None:
        raise SignInRequired(_return_to(request), expired=cookie is not None)
    return WebUser(row.user, staff_actor(row.user, request), row, csrf_token(settings.secret_key, str(row.id)))


def _return_to(request: Request) -> str:
    """Where to come back after signing in: the page itself, or for a form's post (which a browser cannot
    repeat by following a link) the page the form was on, when it is one of ours. A page keeps its query:
    a link such as the monthly mail's `/rapporter?manad=2026-10` must come back to that month."""
    if request.method in ("GET", "HEAD"):
        return request.url.path + (f"?{request.url.query}" if request.url.query else "")
    referer = urlsplit(request.headers.get("referer", ""))
    same_site = referer.netloc == request.url.netloc and referer.path.startswith("/")
    return referer.path if same_site else "/"


WebUserDep = Annotated[WebUser, Depends(current_web_user)]


def check_csrf(settings: Settings, web: WebUser, presented: str | None) -> None:
    if not csrf_valid(settings.secret_key, web.session_id, presented):
        raise CsrfFailed()


def start_session(response: Response, request: Request, session: Session, settings: Settings, user: User) -> None:
    """Sign the browser in: a new session row, and its secret in the cookie."""
    if previous := request.cookies.get(SESSION_COOKIE):
        sessions.end(session, previous)
    started = sessions.start(session, settings, user, ip=client_ip(request),
                             user_agent=request.headers.get("user-agent"))
    set_cookie(response, SESSION_COOKIE, started.cookie, settings, max_age=settings.session_ttl_seconds)


def login_csrf() -> str:
    return secrets.token_urlsafe(24)


def set_cookie(response: Response, name: str, value: str, settings: Settings, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path="/")
