"""What every page module shares: the page renderer, redirects, role checks, the CSRF form field."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import unquote, urlsplit

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.cases import service as cases
from app.cases.models import Case
from app.deps import SessionDep, SettingsDep
from app.errors import Problem
from app.web.session import WebUser, WebUserDep, check_csrf
from app.web.templating import templates

CsrfField = Annotated[str | None, Form(alias="csrf_token")]
HOME = {"handler": "/ko", "manager": "/ko", "joint_assessor": "/gemensam-bedomning",
        "intake": "/manuell-fordelning", "admin": "/admin"}


def page(request: Request, template: str, web: Any = None, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"web": web, **context}, status_code=status)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def require_role(web: Any, *roles: str) -> None:
    if web.user.role not in roles:
        raise Problem(404)


def request_now(request: Request) -> Any:
    return request.app.state.clock()


def safe_next(value: str | None) -> str:
    """Where to go after signing in: only a path on this site, else "/".

    So that a sign-in link cannot bounce anyone to another site with a fresh
    session, anything a browser or a proxy could read as another host is
    refused: ``//host`` and ``/\\host`` (browsers treat a backslash as a slash),
    the same percent-encoded (``/%2F…``, also encoded twice), control characters
    (browsers drop tabs and newlines inside URLs, so ``/\t/host`` is ``//host``)
    and absolute URLs.
    """
    if not value or len(value) > _MAX_NEXT or not value.startswith("/"):
        return "/"
    decoded = value
    for _ in range(3):  # a value encoded more often than this is no path a page of ours links to
        if _unsafe(decoded):
            return "/"
        decoded, previous = unquote(decoded), decoded
        if decoded == previous:
            return value
    return "/"


_MAX_NEXT = 2000


def _unsafe(value: str) -> bool:
    if value.startswith(("//", "/\\")) or "\\" in value:
        return True
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        return True
    parts = urlsplit(value)
    return bool(parts.scheme or parts.netloc)


def csrf_checked(web: WebUserDep, settings: SettingsDep, csrf: CsrfField = None) -> WebUser:
    """The signed-in user of a form post whose CSRF token belongs to their session."""
    check_csrf(settings, web, csrf)
    return web


WebActionDep = Annotated[WebUser, Depends(csrf_checked)]


def web_case_in_scope(case_id: str, web: WebUserDep, session: SessionDep) -> Case:
    return cases.readable(session, web.actor, case_id)


# The staff API's `CaseInScope` and `OpenCaseForWork` (app/deps.py), for pages and their forms.
WebCaseInScope = Annotated[Case, Depends(web_case_in_scope)]


class WebCaseForWork:
    """`case: WebCaseForWork["close"]` — the CSRF-checked form's case, locked, if the user may do that now."""

    def __class_getitem__(cls, command: str) -> Any:
        def dependency(case_id: str, web: WebActionDep, session: SessionDep) -> Case:
            return cases.for_work(session, web.actor, case_id, command, via="web")

        return Annotated[Case, Depends(dependency)]
