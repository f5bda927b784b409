"""The application factory."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import structlog
from fastapi import FastAPI
from sqlalchemy.engine import Engine
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from app.api_docs import install_docs
from app.config import Settings, check_production, get_settings
from app.db import make_engine, make_sessionmaker, utcnow
from app.errors import install_error_handlers
from app.health import router as health_router
from app.http_limits import BodyLimitMiddleware
from app.http_methods import MethodsMiddleware
from app.http_security import SecurityHeadersMiddleware
from app.input_guard import InputGuardMiddleware
from app.logging import RequestContextMiddleware, configure_logging
from app.metrics import Metrics, NoticeResultMiddleware
from app.notices.groups import NoticeGroups
from app.openapi import install_openapi, operation_id
from app.routers import include_domain_routers
from app.routing.service import RouterProvider
from app.security.api import router as auth_router
from app.security.ratelimit import RateLimiter
from app.startup import on_shutdown, on_startup

log = structlog.get_logger("varsel.app")

DESCRIPTION = """
Varsel receives landlords' notices to the social welfare committee
(underrättelser, Jordabalken 12 kap. 25 a, 42 and 44 §§), computes the
statutory deadlines, routes each notice to the district of the address and
keeps the district staff's queues.

Landlords authenticate with `Authorization: Bearer <api key>`. Every error is
`application/problem+json` (RFC 9457) with a `request_id`.
"""


def _leads_scheduler(app: FastAPI) -> bool:
    # The scheduler is made at start-up (app/startup.py); before that, and when disabled, there is none.
    scheduler = getattr(app.state, "scheduler", None)
    return bool(scheduler is not None and scheduler.is_leader)


def create_app(settings: Settings | None = None, *, engine: Engine | None = None) -> FastAPI:
    settings = settings or get_settings()
    check_production(settings)
    configure_logging(json_logs=settings.json_logs, level=settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        log.info("startup", env=settings.env, database=app.state.engine.dialect.name)
        on_startup(app)
        try:
            yield
        finally:
            on_shutdown(app)
            log.info("shutdown")

    app = FastAPI(
        title="Varsel",
        version="1.0",
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served from vendored files by app/api_docs.py
        redoc_url=None,
        generate_unique_id_function=operation_id,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.engine = engine or make_engine(settings.database_url)
    app.state.sessionmaker = make_sessionmaker(app.state.engine)
    app.state.metrics = Metrics()
    app.state.metrics.watch_database(app.state.sessionmaker, leader=lambda: _leads_scheduler(app))
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.state.routers = RouterProvider(settings.municipality)
    app.state.clock = utcnow  # tests replace it to pin "today"
    app.state.notice_groups = NoticeGroups(app.state)  # notices sent alone at once, written together

    install_error_handlers(app)
    # Outermost last: the request context wraps everything, including the size check; the security
    # headers wrap the request context, so that its 500 answers carry them too.
    app.add_middleware(MethodsMiddleware)  # innermost: sees the routes' own answers (405) first
    app.add_middleware(InputGuardMiddleware)
    app.add_middleware(BodyLimitMiddleware)
    app.add_middleware(NoticeResultMiddleware, metrics=app.state.metrics)  # sees the size check's 413 too
    app.add_middleware(RequestContextMiddleware, observe=app.state.metrics.observe_request)
    app.add_middleware(SecurityHeadersMiddleware, hsts=settings.env == "production")
    if settings.forwarded_allow_ips.strip():
        # Outermost: everything inside — the access line, the audit log, the sign-in throttle — sees the
        # client behind a trusted proxy. Here rather than in uvicorn, so `serve`, `demo` and the tests
        # take the same path (`varsel serve` turns uvicorn's own copy off).
        app.add_middleware(ProxyHeadersMiddleware, trusted_hosts=settings.forwarded_allow_ips)

    app.include_router(health_router)
    app.include_router(auth_router)
    include_domain_routers(app)
    install_docs(app)
    install_openapi(app)
    return app
