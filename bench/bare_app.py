"""The comparison point for the ingest benchmark: a bare FastAPI endpoint that only validates the body.

Logged as Varsel logs in production, so that the comparison is of the work and not of the logging:
JSON lines through the same configuration (`app/logging.py`), and one access line per request.
"""

import time

import structlog
from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from app.logging import configure_logging
from app.notices.schemas import NoticeIn

configure_logging(json_logs=True, level="INFO")
access_log = structlog.get_logger("varsel.access")


class AccessLog:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def remember(message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember)
        finally:
            access_log.info("request", method=scope["method"], path=scope["path"], status=status,
                            duration_ms=round((time.perf_counter() - started) * 1000, 2))


app = FastAPI()
app.add_middleware(AccessLog)


@app.post("/api/v1/notices", status_code=201)
def post_notice(body: NoticeIn) -> dict[str, str]:
    return {"external_id": body.external_id}
