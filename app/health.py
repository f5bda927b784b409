"""Liveness, readiness and metrics endpoints for the operator's platform."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text

from app import migrate
from app.errors import Problem

router = APIRouter(tags=["operations"])


@router.get("/healthz", operation_id="checkLiveness", summary="The process is running",
            description="200 while the process runs (the platform's liveness probe); it asks nothing else.")
def healthz() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/readyz", operation_id="checkReadiness", summary="The database answers and its migrations are current",
            description="200 when the database answers and its migrations are current, 503 (with the failing "
                        "check) otherwise: the platform's readiness probe.")
def readyz(request: Request) -> JSONResponse:
    state = request.app.state
    checks: dict[str, str] = {}
    try:
        with state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception:  # noqa: BLE001 - any failure means not ready
        checks["database"] = "unreachable"
    if checks["database"] == "ok":
        try:
            current = migrate.is_current(state.engine, state.settings.database_url)
            checks["migrations"] = "current" if current else "pending: run `varsel db upgrade`"
        except Exception:  # noqa: BLE001
            checks["migrations"] = "unknown"
    ready = checks.get("database") == "ok" and checks.get("migrations") == "current"
    return JSONResponse(
        {"status": "ready" if ready else "not ready", "checks": checks},
        status_code=200 if ready else 503,
    )


@router.get("/metrics", summary="Prometheus metrics", include_in_schema=False)
def metrics(request: Request) -> Response:
    _check_scraper(request, request.app.state.settings.metrics_token)
    body, content_type = request.app.state.metrics.render()
    return Response(body, media_type=content_type)


def _check_scraper(request: Request, token: str | None) -> None:
    # Request counts by route and job outcomes tell an outsider how the service is used and when it
    # fails; with a token set only the operator's scraper may read them.
    if not token:
        return
    scheme, _, presented = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(presented.strip().encode(), token.encode()):
        raise Problem(401, "GET /metrics needs `Authorization: Bearer <VARSEL_METRICS_TOKEN>`",
                      headers={"WWW-Authenticate": 'Bearer realm="metrics"'})
