"""Security headers on every answer (pure ASGI).

Three content security policies, chosen by path and content type:

- the staff UI and everything else: scripts, styles and images from Varsel's own
  origin only (htmx is vendored under /static), no inline script or style, no
  plugins, forms post to Varsel only, never framed;
- `/api/…`: answers are data, not pages — nothing may load or run. Inline
  styles are allowed for the one HTML document the API serves, the monthly
  report, which carries its stylesheet inside so that it stands alone;
- `/docs` (and `/redoc`): Swagger UI loads from its CDN, so its page may use
  that host; its inline bootstrap script is allowed by its SHA-256 hash,
  computed from the page as it is sent, never by 'unsafe-inline'.

PDFs get `frame-ancestors 'none'` only: Chromium shows a PDF inside a page it
makes itself, and a stricter policy on the PDF blocks its own viewer.

Every answer except the static assets is `Cache-Control: no-store`: staff
pages, the staff API, identity-number reveals, reports and landlords' receipts
all show personal data, which must not stay in a browser's or a proxy's cache.
"""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

STRICT_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
API_POLICY = "; ".join([
    "default-src 'none'",
    "style-src 'unsafe-inline'",
    "img-src data:",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
])
PDF_POLICY = "frame-ancestors 'none'"
# Swagger UI's page loads its bundle and stylesheet from this CDN and its icon from FastAPI's site;
# drop them here once the assets are served from /static.
DOCS_ASSET_HOSTS = "https://cdn.jsdelivr.net"
DOCS_ICON_HOSTS = "https://fastapi.tiangolo.com"
DOCS_PATHS = ("/docs", "/redoc")

HSTS = "max-age=31536000; includeSubDomains"

_INLINE_SCRIPT = re.compile(rb"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)


def docs_policy(body: bytes) -> str:
    hashes = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(script).digest()).decode()}'"
                      for script in _INLINE_SCRIPT.findall(body))
    return "; ".join([
        "default-src 'none'",
        f"script-src 'self' {DOCS_ASSET_HOSTS} {hashes}".rstrip(),
        # Swagger UI sets style attributes from script; styles cannot run code.
        f"style-src 'self' {DOCS_ASSET_HOSTS} 'unsafe-inline'",
        f"img-src 'self' data: {DOCS_ICON_HOSTS}",
        f"font-src 'self' data: {DOCS_ASSET_HOSTS}",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ])


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        if path in DOCS_PATHS or path.startswith(tuple(p + "/" for p in DOCS_PATHS)):
            await self._docs(scope, receive, send, path)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = self._with_headers(message, path, None)
            await send(message)

        await self.app(scope, receive, send_with_headers)

    async def _docs(self, scope: Scope, receive: Receive, send: Send, path: str) -> None:
        # The page is small and its hashes depend on its body: hold it until it is complete.
        start: Message | None = None
        chunks: list[bytes] = []

        async def buffer(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                body = b"".join(chunks)
                await send(self._with_headers(start, path, docs_policy(body)))
                await send({"type": "http.response.body", "body": body})

        await self.app(scope, receive, buffer)

    def _with_headers(self, message: Message, path: str, policy: str | None) -> Message:
        static = path.startswith("/static/")
        # Ours replace the app's: a page that set its own caching or policy would undo the rule above.
        replaced = {b"content-security-policy"} if static else {b"content-security-policy", b"cache-control"}
        headers = [(k, v) for k, v in message.get("headers", []) if k.lower() not in replaced]
        content_type = next((v for k, v in headers if k.lower() == b"content-type"), b"").lower()
        if policy is None:
            if content_type.startswith(b"application/pdf"):
                policy = PDF_POLICY
            elif path.startswith("/api/"):
                policy = API_POLICY
            else:
                policy = STRICT_POLICY
        headers += [
            (b"content-security-policy", policy.encode()),
            (b"x-frame-options", b"DENY"),
            (b"x-content-type-options", b"nosniff"),
            (b"referrer-policy", b"no-referrer"),
        ]
        if not static:
            headers.append((b"cache-control", b"no-store"))
        if self.hsts:
            headers.append((b"strict-transport-security", HSTS.encode()))
        return {**message, "headers": headers}
