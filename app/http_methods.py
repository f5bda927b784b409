"""What each address allows, answered as HTTP says (pure ASGI): `OPTIONS`, `HEAD` and `Allow` on 405.

Several routes may share an address (`GET` and `POST /api/v1/notices`); the router
alone names only the first route's methods. Here the methods of every route at the
path are gathered, so that

- `OPTIONS` answers 204 with `Allow` listing them all (an unknown address stays 404);
- a `405` carries the same full `Allow`;
- `HEAD` works wherever `GET` does: the GET route answers, and its headers go out
  without the body.
"""

from __future__ import annotations

from collections.abc import Iterable

from starlette.routing import BaseRoute, Match, Mount
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> set[str]:
    """Every method some route at this path answers (plus HEAD with GET, and OPTIONS); empty: no such path."""
    found: set[str] = set()
    for route in routes:
        for method in ORDER:
            if route.matches({**scope, "method": method})[0] != Match.FULL:
                continue
            if isinstance(route, Mount):
                # A mount matches whatever the method; the static files answer GET and HEAD only.
                found |= {"GET", "HEAD"} if isinstance(route.app, StaticFiles) else set(ORDER)
                break
            found.add(method)
    if "GET" in found:
        found.add("HEAD")
    if found:
        found.add("OPTIONS")
    return found


def allow_header(methods: set[str]) -> str:
    return ", ".join(sorted(methods, key=lambda m: (ORDER.index(m) if m in ORDER else len(ORDER), m)))


class MethodsMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        if method not in ("OPTIONS", "HEAD"):
            # Other requests pay nothing here unless they end in 405. The router writes into the scope as
            # it matches (a mount's root_path): the methods are found from the scope as it came in.
            await self.app(scope, receive, self._allow_on_405(send, dict(scope)))
            return
        allowed = allowed_methods(scope["app"].router.routes, scope)
        if method == "OPTIONS" and allowed:
            await send({"type": "http.response.start", "status": 204,
                        "headers": [(b"allow", allow_header(allowed).encode())]})
            await send({"type": "http.response.body", "body": b""})
            return
        if method == "HEAD" and "GET" in allowed:
            await self._head(scope, receive, send)
            return
        await self.app(scope, receive, self._allow_on_405(send, dict(scope)))

    async def _head(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The GET route answers; its headers (Content-Length included) go out, its body does not.
        as_get = {**scope, "method": "GET"}

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.start" and "route" in as_get:
                scope["route"] = as_get["route"]  # the access log and the metrics name the route
            if message["type"] == "http.response.body":
                if not message.get("more_body", False):
                    await send({"type": "http.response.body", "body": b""})
                return
            await send(message)

        await self.app(as_get, receive, headers_only)

    @staticmethod
    def _allow_on_405(send: Send, scope: Scope) -> Send:
        async def with_allow(message: Message) -> None:
            if message["type"] == "http.response.start" and message["status"] == 405:
                allowed = allowed_methods(scope["app"].router.routes, scope)
                headers = [(k, v) for k, v in message.get("headers", []) if k.lower() != b"allow"]
                message = {**message, "headers": [*headers, (b"allow", allow_header(allowed).encode())]}
            await send(message)

        return with_allow
