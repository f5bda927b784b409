"""Signing in to the landlord portal: with email and password, or once with a sign-in link; signing out.

Only landlord users sign in here. A staff username and password fail exactly like a
wrong password (there is no such landlord user), and a portal session is never a
staff session (`session.py`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response

from app.deps import SessionDep, SettingsDep, client_ip
from app.security import audit, landlord_users, sessions
from app.security.passwords import WeakPassword
from app.security.service import AccountError
from app.web.common import safe_next
from app.web.portal.common import page, see_other
from app.web.portal.session import (
    COOKIE,
    LOGIN_CSRF_COOKIE,
    PREFIX,
    CsrfField,
    PortalFormDep,
    PortalUserDep,
    delete_cookie,
    login_csrf,
    set_cookie,
    start,
)

router = APIRouter(include_in_schema=False)
HOME = f"{PREFIX}/underrattelser"


def _next(value: str | None) -> str:
    """A path of the portal to go to after signing in; anything else (a staff page, another site) is home."""
    target = safe_next(value)
    return target if target == PREFIX or target.startswith(PREFIX + "/") else HOME


def _login_page(request: Request, settings, *, next_path: str, status: int = 200, error: str | None = None,
                email: str = "", expired: bool = False, csrf: str | None = None) -> Response:
    token = csrf or login_csrf()
    response = page(request, "login.html", next=next_path, csrf=token, error=error, email=email, expired=expired,
                    status=status)
    set_cookie(response, LOGIN_CSRF_COOKIE, token, settings, max_age=1800)
    return response


@router.get(PREFIX, response_class=HTMLResponse)
def portal_home(portal: PortalUserDep) -> Response:
    return see_other(HOME)


@router.get(f"{PREFIX}/logga-in", response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep, next: str = HOME, expired: int = 0) -> Response:
    return _login_page(request, settings, next_path=_next(next), expired=bool(expired))


@router.post(f"{PREFIX}/logga-in", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, settings: SettingsDep,
          email: Annotated[str, Form(max_length=254)], password: Annotated[str, Form(max_length=1000)],
          csrf: CsrfField = None, next: Annotated[str, Form(max_length=2000)] = HOME) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or csrf != expected:
        return _login_page(request, settings, next_path=_next(next), status=400, email=email,
                           error="Formuläret hade gått ut. Försök igen.")
    result = landlord_users.authenticate(session, settings, email, password, ip=client_ip(request))
    if result.user is None:
        session.commit()  # the failure count and its audit record must survive the error answer
        if result.retry_after:
            seconds = "1 sekund" if result.retry_after == 1 else f"{result.retry_after} sekunder"
            error = f"För många misslyckade inloggningar. Vänta {seconds} och försök sedan igen."
        else:
            error = "Fel e-postadress eller lösenord."
        response = _login_page(request, settings, next_path=_next(next), email=email, error=error, csrf=expected,
                               status=429 if result.retry_after else 401)
        if result.retry_after:
            response.headers["Retry-After"] = str(result.retry_after)
        return response
    actor = landlord_users.portal_actor(result.user, client_ip(request))
    audit.record(session, actor, "portal.sign_in", object_type="landlord_user", object_id=result.user.id,
                 details={"via": "password"})
    response = see_other(_next(next))
    start(response, request, session, settings, result.user)
    delete_cookie(response, LOGIN_CSRF_COOKIE)
    return response


@router.post(f"{PREFIX}/logga-ut")
def logout(portal: PortalFormDep, session: SessionDep) -> Response:
    sessions.revoke(portal.session)
    audit.record(session, portal.actor, "portal.sign_out", object_type="landlord_user", object_id=portal.user.id)
    response = see_other(f"{PREFIX}/logga-in")
    delete_cookie(response, COOKIE)
    return response


# --------------------------------------------------------------------------- the one-time link

@router.get(f"{PREFIX}/lank/{{secret}}", response_class=HTMLResponse)
def link_form(request: Request, session: SessionDep, settings: SettingsDep, secret: str) -> Response:
    # Looking does not spend the link (mail scanners open links): only choosing a password does.
    user = landlord_users.by_link(session, secret)
    if user is None:
        return page(request, "link.html", status=404, expired=True)
    token = login_csrf()
    response = page(request, "link.html", secret=secret, email=user.email, landlord=user.landlord.name, csrf=token)
    set_cookie(response, LOGIN_CSRF_COOKIE, token, settings, max_age=1800)
    return response


@router.post(f"{PREFIX}/lank", response_class=HTMLResponse)
def link_set_password(request: Request, session: SessionDep, settings: SettingsDep,
                      secret: Annotated[str, Form(max_length=200)], password: Annotated[str, Form(max_length=1000)],
                      repeat: Annotated[str, Form(max_length=1000)], csrf: CsrfField = None) -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    user = landlord_users.by_link(session, secret)
    if user is None:
        return page(request, "link.html", status=404, expired=True)
    error = None
    if not expected or csrf != expected:
        error = "Formuläret hade gått ut. Försök igen."
    elif password != repeat:
        error = "Lösenorden är inte lika. Skriv samma lösenord två gånger."
    else:
        try:
            user = landlord_users.set_password_by_link(session, secret, password)
        except WeakPassword:
            error = "Lösenordet ska ha minst 12 tecken och inte börja eller sluta med mellanslag."
        except AccountError as exc:
            error = exc.sv
    if error is not None:
        return page(request, "link.html", status=422, secret=secret, email=user.email, landlord=user.landlord.name,
                    csrf=expected or "", error=error)
    response = see_other(HOME)
    start(response, request, session, settings, user)
    delete_cookie(response, LOGIN_CSRF_COOKIE)
    return response
