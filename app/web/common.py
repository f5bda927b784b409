"""What every page module shares: the page renderer, redirects, role checks, the CSRF form field."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.errors import Problem
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




def safe_next(value: str) -> str:
    """Where to go after signing in: only a local path, so a sign-in link cannot bounce anyone to another site."""
    return value if value.startswith("/") and not value.startswith("//") else "/"
