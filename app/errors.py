"""RFC 9457 problem details for every error answer.

Every 4xx/5xx leaves Varsel as ``application/problem+json`` with a
``request_id`` the caller can quote to the operator. A 500 never shows
internals: the traceback goes to the log under the same request id.
"""

from __future__ import annotations

import traceback
from typing import Any

import structlog
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException

from app.logging import current_request_id
from app.problem_types import PROBLEM_BASE as PROBLEM_BASE
from app.problem_types import PROBLEM_CONTENT_TYPE as PROBLEM_CONTENT_TYPE

log = structlog.get_logger("varsel.errors")

_STATUS_TYPES = {
    400: ("malformed-request", "The request could not be read"),
    401: ("unauthorized", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    406: ("not-acceptable", "Not acceptable"),
    409: ("conflict", "Conflict"),
    413: ("payload-too-large", "The request body is too large"),
    415: ("unsupported-media-type", "Unsupported media type"),
    422: ("validation", "The request is not valid"),
    429: ("rate-limited", "Too many requests"),
    500: ("internal", "Internal server error"),
    503: ("unavailable", "Service unavailable"),
}


class Problem(Exception):
    """Raise anywhere in a request to answer with a problem document."""

    def __init__(
        self,
        status: int,
        detail: str | None = None,
        *,
        type_: str | None = None,
        title: str | None = None,
        errors: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
        extra: dict[str, Any] | None = None,
    ) -> None:
        default_type, default_title = _STATUS_TYPES.get(status, ("error", "Error"))
        self.status = status
        self.type = PROBLEM_BASE + (type_ or default_type)
        self.title = title or default_title
        self.detail = detail
        self.errors = errors
        self.headers = headers or {}
        self.extra = extra or {}
        super().__init__(detail or self.title)

    def body(self) -> dict[str, Any]:
        document: dict[str, Any] = {"type": self.type, "title": self.title, "status": self.status}
        if self.detail:
            document["detail"] = self.detail
        if self.errors is not None:
            document["errors"] = self.errors
        document.update(self.extra)
        document["request_id"] = current_request_id()
        return document


class ValidationProblem(Problem):
    def __init__(self, errors: list[dict[str, str]], *, title: str = "The request is not valid") -> None:
        count = len(errors)
        super().__init__(
            422,
            f"{count} field{'s' if count != 1 else ''} {'are' if count != 1 else 'is'} invalid",
            title=title,
            errors=errors,
        )


def problem_response(problem: Problem) -> JSONResponse:
    return JSONResponse(
        problem.body(),
        status_code=problem.status,
        media_type=PROBLEM_CONTENT_TYPE,
        headers=problem.headers,
    )


def field_path(loc: tuple[Any, ...] | list[Any]) -> str:
    """('body', 'tenants', 0, 'name') → 'tenants[0].name' (the spec's JSONPath-like form)."""
    path = ""
    for part in loc:
        if part in ("body", "query", "path", "header", "form") and path == "":
            continue
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += ("." if path else "") + str(part)
    return path or "(body)"


def _clean_message(error: dict[str, Any]) -> str:
    message = str(error.get("msg", "invalid"))
    # pydantic prefixes messages of custom validators; integrators do not need it
    for prefix in ("Value error, ", "Assertion failed, "):
        if message.startswith(prefix):
            message = message[len(prefix):]
    if error.get("type") == "extra_forbidden":
        message = "unknown field"
    elif error.get("type") == "missing":
        message = "field required"
    return message


def errors_from_pydantic(raw: list[Any]) -> list[dict[str, str]]:
    seen: set[tuple[str, str]] = set()
    errors = []
    for error in raw:
        item = (field_path(error.get("loc", ())), _clean_message(error))
        if item not in seen:
            seen.add(item)
            errors.append({"field": item[0], "message": item[1]})
    return errors


async def _problem_handler(_: Request, exc: Problem) -> JSONResponse:
    return problem_response(exc)


# FastAPI's answer when a JSON body cannot even be decoded (bytes that are not UTF-8, a number of more
# than the 4,300 digits Python's int() reads): to the client as any invalid JSON, the same problem as
# /batch, which reads its body itself, answers.
_UNREADABLE_BODY = "There was an error parsing the body"


async def http_problem_handler(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    detail = exc.detail if isinstance(exc.detail, str) else None
    if exc.status_code == 400 and detail == _UNREADABLE_BODY and "json" in request.headers.get("content-type", ""):
        return problem_response(malformed_json())
    if exc.status_code == 404 and detail == "Not Found":
        detail = "No resource at this address, or it is not yours to see"
    elif exc.status_code == 405 and detail == "Method Not Allowed":
        detail = "This address does not accept that method; see /docs"
    return problem_response(Problem(exc.status_code, detail, headers=getattr(exc, "headers", None)))


def malformed_json() -> Problem:
    return Problem(400, "The body is not valid JSON: JSON in UTF-8, its numbers of at most 4,300 digits",
                   type_="malformed-json")


async def validation_problem_handler(_: Request, exc: RequestValidationError) -> JSONResponse:
    raw = exc.errors()
    if any(e.get("type") == "json_invalid" for e in raw):
        return problem_response(malformed_json())
    return problem_response(ValidationProblem(errors_from_pydantic(list(raw))))


# --------------------------------------------------------------------------- a busy database

# SQLite answers SQLITE_BUSY / SQLITE_LOCKED when another connection holds the
# write lock past the busy timeout; PostgreSQL gives up on a serialization
# failure (40001), a deadlock (40P01) or a lock timeout (55P03). None of them is
# the request's fault or a bug: the same request a moment later succeeds. Nor is a connection
# lost in the middle of the request (PostgreSQL restarted, a failover): the pool has already
# dropped it (`app/db.py: ping_when_idle`), nothing of the request was stored, and the same
# request again gets a new connection.
_SQLITE_BUSY_CODES = (5, 6)
_POSTGRES_BUSY_STATES = frozenset({"40001", "40P01", "55P03"})
RETRY_AFTER_SECONDS = 2


def _connection_lost(exc: BaseException | None) -> bool:
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


def is_contention(exc: BaseException) -> bool:
    """True for a database error that means "try again": busy, or the connection lost, on SQLite or PostgreSQL."""
    if not isinstance(exc, DBAPIError):
        return False
    if _connection_lost(exc):
        return True
    original = exc.orig
    if getattr(original, "sqlstate", None) in _POSTGRES_BUSY_STATES:
        return True
    code = getattr(original, "sqlite_errorcode", None)
    if code is not None:
        return code & 0xFF in _SQLITE_BUSY_CODES  # extended codes keep the primary code in the low byte
    text = str(original).lower()
    return "database is locked" in text or "database table is locked" in text


def busy_problem(exc: BaseException | None = None) -> Problem:
    """The 503 to send the same request again: what happened (`exc`: busy, or the connection lost) said plainly."""
    what = ("The connection to the database was lost (it may be restarting)." if _connection_lost(exc)
            else "The database is busy with other work.")
    return Problem(
        503,
        f"{what} Send the same request again after Retry-After seconds; "
        "notices already stored are answered as retries (200), never stored twice.",
        headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
    )


async def database_error_handler(request: Request, exc: DBAPIError) -> Response:
    if not is_contention(exc):
        raise exc  # a real failure: the request-context middleware logs it and answers 500
    log.warning("database_connection_lost" if _connection_lost(exc) else "database_busy",
                database=type(exc.orig).__module__.split(".")[0], error=type(exc.orig).__name__)
    # Through the app's Problem handler, so a browser gets the Swedish page and an API client problem+json.
    handler = request.app.exception_handlers.get(Problem, _problem_handler)
    return await handler(request, busy_problem(exc))


def safe_stack(exc: BaseException) -> list[str]:
    """Where an exception came from, as "file:line in function", without its message.

    Messages of database and validation errors quote the values involved, and those
    may be personal data; the frames and the exception's class are enough to find it.
    """
    frames = traceback.extract_tb(exc.__traceback__)
    return [f"{frame.filename.rsplit('/', 2)[-1]}:{frame.lineno} in {frame.name}" for frame in frames[-12:]]


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(Problem, _problem_handler)  # type: ignore[arg-type]
    app.add_exception_handler(StarletteHTTPException, http_problem_handler)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, validation_problem_handler)  # type: ignore[arg-type]
    app.add_exception_handler(DBAPIError, database_error_handler)  # type: ignore[arg-type]
    # Unhandled exceptions become a 500 problem in RequestContextMiddleware (app/logging.py).
