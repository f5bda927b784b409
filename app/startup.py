"""What happens when the application starts and stops (called from the lifespan)."""

from __future__ import annotations

from pathlib import Path

import structlog
from fastapi import FastAPI

from app.db import transaction
from app.routing.service import import_addresses, import_boundaries

log = structlog.get_logger("varsel.startup")


def load_configured_data(app: FastAPI) -> None:
    """Import VARSEL_DISTRICT_BOUNDARIES / VARSEL_ADDRESS_REGISTER when their content is new."""
    settings = app.state.settings
    boundaries: Path | None = settings.district_boundaries
    register: Path | None = settings.address_register
    if boundaries is None and register is None:
        return
    with transaction(app.state.sessionmaker) as session:
        if boundaries is not None:
            result = import_boundaries(session, boundaries.read_bytes(), boundaries.name, settings.municipality)
            log.info("boundaries_checked", version=result.version, imported=result.changed)
        if register is not None:
            result = import_addresses(session, register.read_text(encoding="utf-8-sig"), str(register),
                                      settings.municipality)
            log.info("address_register_checked", version=result.version, imported=result.changed,
                     entries=result.count)
    app.state.routers.invalidate()


def on_startup(app: FastAPI) -> None:
    try:
        load_configured_data(app)
    except Exception:  # noqa: BLE001 - start anyway: /readyz says what is wrong, the log says why
        log.exception("configured_data_not_loaded")
    app.state.scheduler = None
    if app.state.settings.scheduler_enabled:
        from app.jobs.registry import JOBS
        from app.scheduler import SchedulerService

        app.state.scheduler = SchedulerService(app.state.settings, app.state.engine, app.state.sessionmaker, JOBS)
        app.state.scheduler.start()


def on_shutdown(app: FastAPI) -> None:
    if app.state.scheduler is not None:
        app.state.scheduler.stop()
    app.state.engine.dispose()
