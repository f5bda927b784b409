"""The landlord portal (`/hyresvard`): small landlords send and follow their notices without an integration.

Swedish pages on the landlord API's own services: the form and the uploaded file
become notices through the same intake (`app/notices/service.py`, and for a file
the batch processing of `app/notices/api.py`), the lists and receipts are the
API's, the events go through the same event service. A portal user sees only its
own landlord's notices (404 otherwise), exactly as the landlord's API key does.
Its accounts, sessions and cookie are its own (`session.py`): it never reaches a
staff page, and staff never sign in here.
"""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.logging import current_request_id
from app.web.portal import form_pages, notice_pages, signin_pages, upload_pages
from app.web.portal.session import PREFIX, PortalCsrfFailed, PortalSignInRequired
from app.web.templating import templates

router = APIRouter(include_in_schema=False)
for module in (signin_pages, form_pages, notice_pages, upload_pages):
    router.include_router(module.router)


def install_portal_errors(app: FastAPI) -> None:
    @app.exception_handler(PortalSignInRequired)
    async def _sign_in(request: Request, exc: PortalSignInRequired) -> Response:
        if request.headers.get("hx-request"):
            # A fragment for a page whose session ended: say so in its place, not the whole sign-in page.
            return HTMLResponse('<p class="field-error">Du har loggats ut. Ladda om sidan och logga in igen.</p>')
        suffix = "&expired=1" if exc.expired else ""
        return RedirectResponse(f"{PREFIX}/logga-in?next={quote(exc.next_path)}{suffix}", status_code=303)

    @app.exception_handler(PortalCsrfFailed)
    async def _csrf(request: Request, exc: PortalCsrfFailed) -> Response:
        return templates.TemplateResponse(request, "portal/error.html", {
            "title": "Formuläret hade gått ut", "request_id": current_request_id(),
            "text": "Gå tillbaka, ladda om sidan och försök igen."}, status_code=400)
