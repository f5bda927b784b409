"""Structured logging and the request-id / access-log middleware.

One renderer for everything: Varsel's own structlog events and the standard
library loggers of uvicorn, SQLAlchemy and APScheduler all go through
structlog's ProcessorFormatter, as JSON in production and readable in
development. Log lines carry ids and counts, never personal data; as a last
line of defence every line passes `render_exception` and `redact_identity_numbers` on its way out.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import traceback
import uuid
from contextvars import ContextVar
from typing import IO, Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: ContextVar[str | None] = ContextVar("varsel_request_id", default=None)
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

access_log = structlog.get_logger("varsel.access")


def current_request_id() -> str | None:
    return _request_id.get()


def configure_logging(*, json_logs: bool, level: str = "INFO", stream: IO[str] | None = None) -> None:
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if json_logs
        # Plain tracebacks: the default rich ones print local variables, which may hold personal data.
        # Plain tracebacks: the default rich ones print local variables, which may hold personal data.
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty() and stream is None,
                                           exception_formatter=structlog.dev.plain_traceback)
    )
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # Tracebacks become text here, before any renderer formats them its own way.
            render_exception,
            redact_identity_numbers,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # uvicorn installs its own handlers; route them through ours. Its access log
    # is replaced by ours (it has no duration or request id).
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "sqlalchemy", "apscheduler", "alembic"):
        logger = logging.getLogger(name)
        logger.handlers[:] = []
        logger.propagate = True
    logging.getLogger("uvicorn.access").disabled = True
    # SQL statements could carry personal data in their parameters: warnings only.
    logging.getLogger("sqlalchemy.engine").setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    # httpx logs every URL at INFO; integration calls are logged by their callers, with ids only.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # WeasyPrint narrates every rendering step at INFO.
    for name in ("weasyprint", "weasyprint.progress", "fontTools"):
        logging.getLogger(name).setLevel(logging.WARNING)


# --------------------------------------------------------------------------- privacy of log lines

# Swedish personnummer and samordningsnummer: YYYYMMDDNNNC or YYMMDDNNNC, '-' or '+' optional before
# the last four; the day is 01-31, or 61-91 for a samordningsnummer. Checksums are not checked: a
# mistyped number is still somebody's.
_IDENTITY_SHAPE = re.compile(
    r"(?<![0-9A-Za-z])(?:(?:18|19|20)\d{2}|\d{2})(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01]|6[1-9]|[78]\d|9[01])"
    r"[-+]?\d{4}(?![0-9A-Za-z])"
)
REDACTED = "[redacted]"
_PLAIN = (int, float, bool, type(None))


def redact_text(text: str) -> str:
    return _IDENTITY_SHAPE.sub(REDACTED, text)


def redact_identity_numbers(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The last line of defence: no identity number leaves in a log line, whatever field carries it.

    Runs on Varsel's events and on foreign loggers' records alike, after the traceback became text.
    """
    return {key: _redact(value) for key, value in event_dict.items()}


def _redact(value: Any) -> Any:
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, _PLAIN):
        return value
    if isinstance(value, dict):
        return {key: _redact(item) for key, item in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_redact(item) for item in value]
    # Anything else is rendered by its str() or repr(): look at that, keep the object when it is clean.
    text = str(value)
    cleaned = redact_text(text)
    return value if cleaned == text else cleaned


def describe_exception(exc: BaseException) -> str:
    """`Type: message` for a log line or a stored run summary — except a database error's message.

    The drivers quote data in their messages (PostgreSQL's "Failing row contains (…)" and
    "Key (…)=(…) already exists" carry the row's names, phone numbers and addresses), so a database
    error is described by its class and the names the driver gives (SQLSTATE, table, column, constraint).
    """
    if not _from_database(exc):
        return f"{type(exc).__name__}: {exc}"
    driver = getattr(exc, "orig", None) or exc
    facts = []
    sqlstate = getattr(driver, "sqlstate", None) or getattr(driver, "sqlite_errorname", None)
    if sqlstate:
        facts.append(f"sqlstate {sqlstate}")
    diag = getattr(driver, "diag", None)
    for name in ("table_name", "column_name", "constraint_name"):
        value = getattr(diag, name, None) if diag is not None else None
        if value:
            facts.append(f"{name.removesuffix('_name')} {value}")
    # SQLite names the table and columns of a failed constraint, and never the values.
    constraint = _SQLITE_CONSTRAINT.match(str(driver)) if type(driver).__module__.endswith("sqlite3") else None
    if constraint:
        facts.append(constraint.group(0))
    inner = f" from {type(driver).__module__}.{type(driver).__name__}" if driver is not exc else ""
    return f"{type(exc).__name__}{inner}" + (f" ({', '.join(facts)})" if facts else "") + "; message withheld"


_SQLITE_CONSTRAINT = re.compile(r"(?:NOT NULL|UNIQUE|CHECK|FOREIGN KEY) constraint failed(?:: [\w., ]+)?\Z")


def _from_database(exc: BaseException) -> bool:
    from sqlalchemy.exc import StatementError

    module = type(exc).__module__
    return isinstance(exc, StatementError) or module.startswith(("psycopg", "sqlite3", "_sqlite3"))


def safe_traceback(exc: BaseException) -> str:
    """The traceback with every exception of the chain described by `describe_exception`; no locals."""
    chain: list[tuple[BaseException, str]] = []
    seen: set[int] = set()
    current: BaseException | None = exc
    joint = ""
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        chain.append((current, joint))
        if current.__cause__ is not None:
            current, joint = current.__cause__, "The above exception was the direct cause of the following exception:"
        elif current.__context__ is not None and not current.__suppress_context__:
            current, joint = current.__context__, "During handling of the above exception, another exception occurred:"
        else:
            current = None
    parts: list[str] = []
    for index, (item, _) in enumerate(reversed(chain)):
        if index:
            parts.append("\n" + chain[len(chain) - index][1] + "\n\n")
        if item.__traceback__ is not None:
            parts.append("Traceback (most recent call last):\n")
            parts.extend(traceback.format_list(traceback.extract_tb(item.__traceback__)))
        parts.append(describe_exception(item) + "\n")
    return "".join(parts).rstrip("\n")


def render_exception(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """`exc_info` (True, an exception or a sys.exc_info() tuple) becomes `exception` text by `safe_traceback`."""
    exc_info = event_dict.pop("exc_info", None)
    exc: BaseException | None = None
    if isinstance(exc_info, BaseException):
        exc = exc_info
    elif isinstance(exc_info, tuple):
        exc = exc_info[1]
    elif exc_info:
        exc = sys.exc_info()[1]
    if exc is not None:
        event_dict["exception"] = safe_traceback(exc)
    return event_dict


class RequestContextMiddleware:
    """Pure ASGI: request id, one access line per request, and metrics.

    Also the last line of defence: an exception that escapes everything else
    becomes a problem+json 500 here, with the request id, and never a traceback.
    """

    def __init__(self, app: ASGIApp, *, observe: Any = None) -> None:
        self.app = app
        self.observe = observe  # callable(method, route, status, seconds) for metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = _header(scope, b"x-request-id")
        request_id = incoming if incoming and _REQUEST_ID_OK.match(incoming) else uuid.uuid4().hex
        token = _request_id.set(request_id)
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_wrapper(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        except Exception as exc:  # noqa: BLE001 - turned into a problem answer
            # Rendered by `safe_traceback`: a database error's message (which can quote the row) is withheld.
            structlog.get_logger("varsel.errors").error("unhandled_error", exc_info=exc)
            status = 500
            if not response_started:
                await _send_internal_error(send, request_id)
        finally:
            duration = time.perf_counter() - started
            route = _route_template(scope)
            access_log.info(
                "request",
                method=scope["method"],
                path=route,
                status=status,
                duration_ms=round(duration * 1000, 2),
            )
            if self.observe is not None:
                self.observe(scope["method"], route, status, duration)
            structlog.contextvars.unbind_contextvars("request_id")
            _request_id.reset(token)


def _route_template(scope: Scope) -> str:
    # The route template ('/api/v1/notices/{notice_id}') keeps ids out of logs
    # and keeps metric label cardinality bounded.
    route = scope.get("route")
    path = getattr(route, "path", None)
    if path:
        return str(path)
    return "(unmatched)" if scope.get("path", "").startswith("/api/") else _static_prefix(scope)


_PLAIN_ROUTES = frozenset({"/docs", "/docs/oauth2-redirect", "/api/v1/openapi.json"})


def _static_prefix(scope: Scope) -> str:
    path: str = scope.get("path", "")
    if path in _PLAIN_ROUTES:
        return path
    return "/static/*" if path.startswith("/static/") else "(unmatched)"


def _header(scope: Scope, name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key == name:
            return value.decode("latin-1")
    return None


async def _send_internal_error(send: Send, request_id: str) -> None:
    from app.problem_types import PROBLEM_BASE, PROBLEM_CONTENT_TYPE

    body = json.dumps(
        {
            "type": PROBLEM_BASE + "internal",
            "title": "Internal server error",
            "status": 500,
            "detail": "Something went wrong on our side. Quote the request_id when you contact support.",
            "request_id": request_id,
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 500,
            "headers": [
                (b"content-type", PROBLEM_CONTENT_TYPE.encode()),
                (b"content-length", str(len(body)).encode()),
                (b"x-request-id", request_id.encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
