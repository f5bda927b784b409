"""Prometheus metrics: this process's requests and notices, its runtime, and what the database records.

One registry per app, so tests (and several apps in one process) do not collide. What the
database records — job runs, send attempts, the outbox, missed deadlines — is read by
`app/metrics_db.py`, so that it counts every process's work, `varsel jobs run` included.
The list of every metric is in `docs/operations.md` ("Monitoring").
"""

from __future__ import annotations

from collections.abc import Callable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    GCCollector,
    Histogram,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from sqlalchemy.orm import Session, sessionmaker
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.metrics_db import DatabaseCollector
from app.vocabulary import NoticeKind, codes

NOTICE_PATH = "/api/v1/notices"
NOTICE_KINDS = frozenset(codes(NoticeKind))


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        # Memory, CPU, open files (Linux), the interpreter's version and its garbage collector.
        ProcessCollector(registry=self.registry)
        PlatformCollector(registry=self.registry)
        GCCollector(registry=self.registry)
        self.requests = Counter(
            "varsel_http_requests_total",
            "HTTP requests by method, route template and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "varsel_http_request_duration_seconds",
            "HTTP request duration by method and route template",
            ["method", "route"],
            buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
            registry=self.registry,
        )
        self.notices = Counter(
            "varsel_notices_received_total",
            "Notices offered by landlords (single and batch items), by kind, the HTTP status each got "
            "(201 stored, 200 a replay, 409 a conflicting retry, 422 invalid …) and the key it came with "
            "(live, test, or none: refused before a key was recognised); kind 'unknown' when the body did "
            "not say one",
            ["kind", "result", "key"],
            registry=self.registry,
        )
        self.notice_groups = Histogram(
            "varsel_notice_group_size",
            "Notices sent alone (POST /api/v1/notices) written together in one transaction, per group "
            "(app/notices/groups.py): 1 when each came alone; by key (live or test)",
            ["key"],
            buckets=(1, 2, 3, 4, 6, 8, 16, 32, 64, 100),
            registry=self.registry,
        )
        self.database: DatabaseCollector | None = None

    def watch_database(self, sessions: sessionmaker[Session], leader: Callable[[], bool]) -> None:
        """Export what the database records, and whether this process leads the scheduler."""
        self.database = DatabaseCollector(sessions, leader=leader)
        self.registry.register(self.database)

    def observe_request(self, method: str, route: str, status: int, seconds: float) -> None:
        self.requests.labels(method, route, str(status)).inc()
        self.latency.labels(method, route).observe(seconds)

    def count_notice(self, kind: object, status: int, test: bool | None) -> None:
        """One notice's answer. `kind` as the landlord sent it: only the contract's kinds become labels.
        `test`: sent with a test key (True), a live key (False), or before any key was recognised (None)."""
        key = "none" if test is None else "test" if test else "live"
        # Only a string can be one of the kinds: a list or an object (a batch item's own 422) cannot be
        # looked up in the set at all.
        known = isinstance(kind, str) and kind in NOTICE_KINDS
        self.notices.labels(kind if known else "unknown", str(status), key).inc()

    def render(self) -> tuple[bytes, str]:
        return generate_latest(self.registry), CONTENT_TYPE_LATEST


class NoticeResultMiddleware:
    """Counts every answer to `POST /api/v1/notices`, refusals before the endpoint (401, 413, 415, 422,
    429) included: only out here is every status seen. The endpoint leaves the notice's kind in
    `request.state.notice_kind` once the body has one (the batch endpoint counts its items itself)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"].rstrip("/") != NOTICE_PATH:
            await self.app(scope, receive, send)
            return
        state = scope.setdefault("state", {})  # the dict behind request.state, shared with the endpoint
        status = 500

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            self.metrics.count_notice(state.get("notice_kind"), status, state.get("api_key_test"))
