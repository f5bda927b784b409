"""What the portal's page modules share: the page renderer, redirects, the intake context of a portal user."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse

from app.notices.service import IntakeContext
from app.web.portal.session import PortalUser
from app.web.templating import templates


def page(request: Request, template: str, portal: PortalUser | None = None, status: int = 200,
         **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, f"portal/{template}", {"portal": portal, **context},
                                      status_code=status)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def intake_context(request: Request, portal: PortalUser) -> IntakeContext:
    """The landlord API's intake context, with the portal user as the actor (its id is the landlord's)."""
    return IntakeContext.of(request.app.state, portal.actor)
