"""The request guard: control characters in the path, the query string or a form never reach a handler.

JSON bodies are checked field by field by their schemas (`app/text.py`'s
markers); what no schema sees is checked here, once, for every route: path
parameters (``/api/v1/notices/%00``), query parameters and form fields, both
``application/x-www-form-urlencoded`` and ``multipart/form-data``. Path and
query values are single-line; form values may hold what a textarea sends
(line breaks, tab), and their single-line fields are checked by the form's own
rules after that.

A refused request is answered exactly as a failed validation: the app's own
``RequestValidationError`` handler gives API clients 422 problem+json and
browsers the Swedish error page, naming the field. Pure ASGI, inside the body
size limit, so a form is read whole only when it is already known to be small;
JSON bodies pass through untouched.
"""

from __future__ import annotations

import re
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import parse_qsl

from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.datastructures import FormData, Headers, UploadFile
from starlette.formparsers import FormParser, MultiPartException, MultiPartParser
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import validation_problem_handler
from app.text import text_problem

_FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f\ud800-\udfff]")

Located = tuple[tuple[str, ...], str]  # (loc, message) in pydantic's terms


class InputGuardMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refused = _path_problems(scope) + _query_problems(scope)
        media = Headers(scope=scope).get("content-type", "").split(";")[0].strip().lower()
        if media in _FORM_TYPES and scope["method"] not in ("GET", "HEAD"):
            body, complete = await _read_all(receive)
            if not complete:
                return  # the client went away
            refused += await _form_problems(scope, body, multipart=media == _FORM_TYPES[1])
            receive = _replay(body, receive)
        if refused:
            await _refuse(scope, receive, send, refused)
            return
        await self.app(scope, receive, send)


# --------------------------------------------------------------------------- what is checked

def _path_problems(scope: Scope) -> list[Located]:
    path: str = scope.get("path", "")
    problem = text_problem(path)
    if problem is None:
        return []
    names = [name for name, value in _path_params(scope).items() if text_problem(value) is not None]
    return [(("path", name), problem) for name in names] or [(("path", "(path)"), problem)]


def _query_problems(scope: Scope) -> list[Located]:
    raw = scope.get("query_string", b"").decode("latin-1")
    if not raw:
        return []
    refused = []
    # As Starlette reads them (percent-decoded as UTF-8), so the guard sees what the handler would.
    for name, value in parse_qsl(raw, keep_blank_values=True):
        problem = text_problem(name) or text_problem(value)
        if problem is not None:
            refused.append((("query", _printable(name)), problem))
    return refused


async def _form_problems(scope: Scope, body: bytes, *, multipart: bool) -> list[Located]:
    async def stream() -> AsyncGenerator[bytes, None]:
        yield body

    headers = Headers(scope=scope)
    try:
        form: FormData = await (MultiPartParser(headers, stream()) if multipart else FormParser(headers, stream())).parse()
    except MultiPartException:
        return []  # unreadable: the handler's own parsing answers it
    refused = []
    try:
        for name, value in form.multi_items():
            text = (value.filename or "") if isinstance(value, UploadFile) else value
            problem = text_problem(name) or text_problem(text, multiline=True)
            if problem is not None:
                refused.append((("body", _printable(name)), problem))
    finally:
        await form.close()
    return refused


def _path_params(scope: Scope) -> dict[str, str]:
    """The path parameters of the route this path would reach, by name (empty when none matches)."""
    app = scope.get("app")
    path = scope.get("path", "")
    for route, prefix in _api_routes(getattr(app, "router", None), ""):
        if not path.startswith(prefix):
            continue
        found = route.path_regex.match(path[len(prefix):] if prefix else path)
        if found is not None and (not route.methods or scope["method"] in route.methods):
            return {name: str(value) for name, value in found.groupdict().items()}
    return {}


def _api_routes(router: Any, prefix: str) -> list[tuple[APIRoute, str]]:
    found: list[tuple[APIRoute, str]] = []
    for route in getattr(router, "routes", []):
        if isinstance(route, APIRoute):
            found.append((route, prefix))
        elif hasattr(route, "original_router"):  # FastAPI keeps included routers nested
            found += _api_routes(route.original_router, prefix + route.include_context.prefix)
    return found


def _printable(name: str) -> str:
    # A refused name is echoed in the answer: written with escapes, never raw.
    return _UNPRINTABLE.sub(lambda m: f"\\u{ord(m.group()):04x}", name)


# --------------------------------------------------------------------------- reading and answering

async def _read_all(receive: Receive) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return b"", False
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), True


def _replay(body: bytes, receive: Receive) -> Receive:
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


async def _refuse(scope: Scope, receive: Receive, send: Send, refused: list[Located]) -> None:
    error = RequestValidationError([
        {"type": "value_error", "loc": loc, "msg": message, "input": None} for loc, message in refused
    ])
    app = scope.get("app")
    handlers = getattr(app, "exception_handlers", {})
    # The app's own handler: problem+json for API clients, the Swedish page for browsers.
    handler = handlers.get(RequestValidationError, validation_problem_handler)
    response = await handler(Request(scope, receive), error)
    await response(scope, receive, send)
