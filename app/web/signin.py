"""Signing in and out of the staff UI (local accounts; OIDC is in `oidc.py`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.deps import SESSION_COOKIE, SessionDep, SettingsDep, client_ip, staff_actor
from app.security import audit, sessions
from app.security import service as accounts
from app.web.common import HOME, CsrfField, page, safe_next, see_other
from app.web.oidc import enabled as oidc_enabled
from app.web.session import LOGIN_CSRF_COOKIE, WebUserDep, check_csrf, login_csrf, set_cookie, start_session

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(web: WebUserDep) -> RedirectResponse:
    return see_other(HOME.get(web.user.role, "/logga-in"))


@router.get("/logga-in", response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep, next: str = "/", expired: int = 0) -> HTMLResponse:
    token = login_csrf()
    response = page(request, "login.html", next=safe_next(next), csrf=token, expired=bool(expired),
                    oidc=oidc_enabled(settings))
    set_cookie(response, LOGIN_CSRF_COOKIE, token, settings, max_age=1800)
    return response


@router.post("/logga-in", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, settings: SettingsDep,
          username: Annotated[str, Form(max_length=100)], password: Annotated[str, Form(max_length=1000)],
          csrf: CsrfField = None, next: Annotated[str, Form()] = "/") -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or csrf != expected:
        return page(request, "login.html", next=safe_next(next), csrf=expected or "", status=400,
                    error="Formuläret hade gått ut. Försök igen.")
    result = accounts.authenticate_user(session, settings, username, password, ip=client_ip(request), via="web")
    if result.user is None:
        session.commit()  # the failure count and its audit record must survive the error answer
        if result.retry_after:
            message = (f"För många misslyckade inloggningar. Vänta {_seconds_sv(result.retry_after)} "
                       "och försök sedan igen.")
        else:
            message = "Fel användarnamn eller lösenord."
        response = page(request, "login.html", next=safe_next(next), csrf=expected, error=message,
                        status=429 if result.retry_after else 401, username=username)
        if result.retry_after:
            response.headers["Retry-After"] = str(result.retry_after)
        return response
    actor = staff_actor(result.user, request)
    audit.record(session, actor, "web.sign_in", object_type="user", object_id=result.user.id,
                 district_id=result.user.district_id, details={"via": "password"})
    target = safe_next(next)
    response = see_other(target if target != "/" else HOME.get(result.user.role, "/"))
    start_session(response, request, session, settings, result.user)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logga-ut")
def logout(web: WebUserDep, session: SessionDep, settings: SettingsDep, csrf: CsrfField = None) -> RedirectResponse:
    check_csrf(settings, web, csrf)
    sessions.revoke(web.session)
    audit.record(session, web.actor, "web.sign_out", object_type="user", object_id=web.user.id,
                 district_id=web.user.district_id)
    response = see_other("/logga-in")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _seconds_sv(seconds: int) -> str:
    return "1 sekund" if seconds == 1 else f"{seconds} sekunder"
