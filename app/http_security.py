"""Security headers on every answer (pure ASGI).

Three content security policies, chosen by path and content type:

- the staff UI and everything else: scripts, styles and images from Varsel's own
  origin only (htmx is vendored under /static), no inline script or style, no
  plugins, forms post to Varsel only, never framed;
- `/api/…`: answers are data, not pages — nothing may load or run. Inline
  styles are allowed for the one HTML document the API serves, the monthly
  report, which carries its stylesheet inside so that it stands alone;
- `/docs` and `/redoc`: Swagger UI and ReDoc are vendored under /static, so
  their pages load scripts from Varsel's own origin only — no CDN, no inline
  script (Swagger UI starts from a file). Styles may be inline there: both
  viewers set styles from script, and styles cannot run code. ReDoc's search
  runs in a worker it builds from a blob: URL of its own code.

PDFs get `frame-ancestors 'none'` only: Chromium shows a PDF inside a page it
makes itself, and a stricter policy on the PDF blocks its own viewer.

Every answer except the static assets is `Cache-Control: no-store`: staff
pages, the staff API, identity-number reveals, reports and landlords' receipts
all show personal data, which must not stay in a browser's or a proxy's cache.
"""

from __future__ import annotations

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
DOCS_POLICY = "; ".join([
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "worker-src blob:",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])
DOCS_PATHS = ("/docs", "/redoc")

HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope.get("path", "")
        policy = DOCS_POLICY if path in DOCS_PATHS else None

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = self._with_headers(message, path, policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)

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
