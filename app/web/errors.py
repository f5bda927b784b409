"""Error answers for pages: HTML for people, problem+json for the API (same exceptions)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import RedirectResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.errors import (
    Problem,
    errors_from_pydantic,
    http_problem_handler,
    problem_response,
    validation_problem_handler,
)
from app.logging import current_request_id
from app.web.session import CsrfFailed, SignInRequired
from app.web.templating import templates

_API_PREFIXES = ("/api/", "/healthz", "/readyz", "/metrics", "/docs")
PORTAL_PREFIX = "/hyresvard"

_MESSAGES = {
    401: ("Inloggningen misslyckades", "Du kunde inte loggas in. Försök igen."),
    403: ("Kontot saknas", "Ditt konto finns inte i Varsel. Be administratören att lägga upp det."),
    503: ("Tjänsten svarar inte", "En annan tjänst svarar inte just nu. Försök igen om en stund."),
    404: ("Sidan finns inte", "Sidan eller ärendet finns inte, eller så har du inte behörighet att se det."),
    405: ("Fel metod", "Sidan kan inte användas så."),
    409: ("Det går inte", "Åtgärden går inte att göra i ärendets nuvarande läge."),
    422: ("Kontrollera uppgifterna", "Något i formuläret behöver rättas."),
    429: ("Vänta en stund", "För många försök. Vänta några minuter och försök igen."),
}


def is_page(request: Request) -> bool:
    """A browser asking for a page gets HTML; every other client gets problem+json."""
    return not request.url.path.startswith(_API_PREFIXES) and "text/html" in request.headers.get("accept", "")


def _error_page(request: Request, status: int, detail: str | None, *, said: bool = False) -> Response:
    """`said`: the detail is already Swedish words for people (a case-work refusal), whatever the status."""
    title, text = _MESSAGES.get(status, ("Något gick fel", "Försök igen."))
    # The landlord portal's pages answer in its own frame, with a way back into the portal.
    template = "portal/error.html" if request.url.path.startswith(PORTAL_PREFIX) else "error.html"
    return templates.TemplateResponse(request, template, {
        "web": None, "title": title, "text": detail if detail and (said or status in (401, 422)) else text,
        "request_id": current_request_id()}, status_code=status)


def install_page_errors(app: FastAPI) -> None:
    @app.exception_handler(SignInRequired)
    async def _sign_in(request: Request, exc: SignInRequired) -> Response:
        if not is_page(request):
            return problem_response(Problem(401, "Sign in"))
        suffix = "&expired=1" if exc.expired else ""
        return RedirectResponse(f"/logga-in?next={quote(exc.next_path)}{suffix}", status_code=303)

    @app.exception_handler(CsrfFailed)
    async def _csrf(request: Request, exc: CsrfFailed) -> Response:
        return _error_page(request, 400, None) if is_page(request) else problem_response(Problem(400, "CSRF"))

    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> Response:
        if is_page(request):  # a case-work refusal says what to do in Swedish (app/cases/errors.py)
            swedish = getattr(exc, "detail_sv", None)
            return _error_page(request, exc.status, swedish or exc.detail, said=swedish is not None)
        return problem_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        if is_page(request):
            fields = ", ".join(sorted({e["field"] for e in errors_from_pydantic(list(exc.errors()))}))
            return _error_page(request, 422, f"Kontrollera fälten: {fields}.")
        return await validation_problem_handler(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        if is_page(request) and exc.status_code in _MESSAGES:
            return _error_page(request, exc.status_code, None)
        return await http_problem_handler(request, exc)
