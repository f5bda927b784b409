"""Structured logging and the request-id / access-log middleware.

One renderer for everything: Varsel's own structlog events and the standard
library loggers of uvicorn, SQLAlchemy and APScheduler all go through
structlog's ProcessorFormatter, as JSON in production and readable in
development. Log lines carry ids and counts, never personal data.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from typing import Any

import structlog
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_request_id: ContextVar[str | None] = ContextVar("varsel_request_id", default=None)
_REQUEST_ID_OK = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

access_log = structlog.get_logger("varsel.access")


def current_request_id() -> str | None:
    return _request_id.get()


def configure_logging(*, json_logs: bool, level: str = "INFO") -> None:
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
        else structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty(), exception_formatter=structlog.dev.plain_traceback)
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
            structlog.processors.format_exc_info if json_logs else _identity,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
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


def _identity(_: Any, __: str, event_dict: dict[str, Any]) -> dict[str, Any]:
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
    from app.errors import PROBLEM_BASE, PROBLEM_CONTENT_TYPE

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
