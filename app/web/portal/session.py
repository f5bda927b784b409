"""Who is signed in to the landlord portal: its own cookie, its own session rows, its own CSRF tokens.

A portal session is a row of `landlord_web_sessions` (`app/security/sessions.py`
with `model=LandlordWebSession`); its cookie has a name of its own and the path
`/hyresvard`, so the browser does not even send it to the staff pages, and the
staff cookie is never looked up here. The CSRF token is the staff's HMAC over
the session id with a prefix of its own, so no token of one kind fits the other.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Form, Request, Response
from sqlalchemy.orm import Session

from app.config import Settings
from app.deps import SessionDep, SettingsDep, client_ip
from app.security import landlord_users, sessions
from app.security.actors import Actor
from app.security.models import LandlordUser, LandlordWebSession
from app.security.tokens import csrf_token, csrf_valid

PREFIX = "/hyresvard"
COOKIE = "varsel_portal_session"
LOGIN_CSRF_COOKIE = "varsel_portal_login_csrf"


class PortalSignInRequired(Exception):
    """Raised by the portal's page dependencies; answered with a redirect to its sign-in page."""

    def __init__(self, next_path: str, expired: bool = False) -> None:
        self.next_path = next_path
        self.expired = expired


class PortalCsrfFailed(Exception):
    pass


@dataclass(frozen=True)
class PortalUser:
    user: LandlordUser
    actor: Actor  # kind landlord_user, id = the landlord's
    session: LandlordWebSession
    csrf: str

    @property
    def landlord(self):  # noqa: ANN201 - the ORM's Landlord
        return self.user.landlord


def _csrf_for(settings: Settings, row: LandlordWebSession) -> str:
    return csrf_token(settings.secret_key, f"portal:{row.id}")


def current_portal_user(request: Request, session: SessionDep, settings: SettingsDep) -> PortalUser:
    cookie = request.cookies.get(COOKIE)
    row = sessions.resolve(session, settings, cookie, model=LandlordWebSession)
    if row is None:
        raise PortalSignInRequired(request.url.path, expired=cookie is not None)
    actor = landlord_users.portal_actor(row.user, client_ip(request))
    return PortalUser(row.user, actor, row, _csrf_for(settings, row))


PortalUserDep = Annotated[PortalUser, Depends(current_portal_user)]
CsrfField = Annotated[str | None, Form(alias="csrf_token")]


def portal_form(portal: PortalUserDep, settings: SettingsDep, csrf: CsrfField = None) -> PortalUser:
    """The signed-in portal user of a form post whose CSRF token belongs to their session."""
    if not csrf_valid(settings.secret_key, f"portal:{portal.session.id}", csrf):
        raise PortalCsrfFailed()
    return portal


PortalFormDep = Annotated[PortalUser, Depends(portal_form)]


def start(response: Response, request: Request, session: Session, settings: Settings, user: LandlordUser) -> None:
    """Sign the browser in to the portal: a new session row, and its secret in the portal's cookie."""
    if previous := request.cookies.get(COOKIE):
        sessions.end(session, previous, model=LandlordWebSession)
    started = sessions.start(session, settings, user, ip=client_ip(request),
                             user_agent=request.headers.get("user-agent"), model=LandlordWebSession)
    set_cookie(response, COOKIE, started.cookie, settings, max_age=settings.session_ttl_seconds)


def set_cookie(response: Response, name: str, value: str, settings: Settings, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax",
                        secure=settings.secure_cookies, path=PREFIX)


def delete_cookie(response: Response, name: str) -> None:
    response.delete_cookie(name, path=PREFIX)


def login_csrf() -> str:
    return secrets.token_urlsafe(24)
