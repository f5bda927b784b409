"""Edge checks that must happen before a body is parsed: size (413) and media type (415).

Pure ASGI, so an oversized body is refused from its Content-Length without
reading it, and a chunked body is refused as soon as it passes the limit.
"""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import Problem
from app.logging import current_request_id

DEFAULT_LIMIT = 256 * 1024
BATCH_LIMIT = 2 * 1024 * 1024
# Paths under /api/ that take a form rather than JSON (OAuth2 password flow).
FORM_PATHS = frozenset({"/api/v1/auth/token"})
# Paths under /api/ that also take a CSV file (app/notices/csv_batch.py).
CSV_PATHS = frozenset({"/api/v1/notices/batch"})


# The landlord portal's CSV upload (a form): room for a 2 MiB file and the form around it, and for a
# somewhat larger file to reach the page that tells the landlord, in Swedish, to split it.
UPLOAD_PATHS = frozenset({"/hyresvard/ladda-upp"})
UPLOAD_LIMIT = 2 * BATCH_LIMIT


def body_limit_for(path: str) -> int:
    if path in UPLOAD_PATHS:
        return UPLOAD_LIMIT
    return BATCH_LIMIT if path.endswith("/batch") else DEFAULT_LIMIT


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in ("GET", "HEAD", "OPTIONS", "DELETE"):
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = body_limit_for(path)
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        declared = headers.get("content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            await _refuse(send, _too_large(limit))
            return
        has_body = (declared is not None and declared != "0") or "transfer-encoding" in headers
        if path.startswith("/api/") and path not in FORM_PATHS and has_body:
            media = headers.get("content-type", "").split(";")[0].strip().lower()
            csv_ok = path in CSV_PATHS
            if not (media == "application/json" or media.endswith("+json") or (csv_ok and media == "text/csv")):
                hint = " (or a CSV file with 'Content-Type: text/csv')" if csv_ok else ""
                await _refuse(
                    send,
                    Problem(415, f"Send the body as JSON with 'Content-Type: application/json'{hint}"),
                )
                return
        if declared is not None:
            await self.app(scope, receive, send)
            return
        # No Content-Length (chunked): buffer up to the limit, then replay.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _refuse(send, _too_large(limit))
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def _too_large(limit: int) -> Problem:
    readable = f"{limit // (1024 * 1024)} MiB" if limit >= 1024 * 1024 else f"{limit // 1024} KiB"
    hint = " Split it into several batches." if limit == BATCH_LIMIT else (
        " Send many notices through /api/v1/notices/batch." if limit == DEFAULT_LIMIT else ""
    )
    return Problem(413, f"The body is larger than {readable}.{hint}")


async def _refuse(send: Send, problem: Problem) -> None:
    document = problem.body()
    document["request_id"] = current_request_id()
    body = json.dumps(document).encode()
    await send(
        {
            "type": "http.response.start",
            "status": problem.status,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
