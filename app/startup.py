"""What happens when the application starts and stops (called from the lifespan)."""

from __future__ import annotations

import gc
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


def settle_memory() -> None:
    """Keep the garbage collector's work in proportion to a batch's (bench/profile_batch.py).

    What start-up made (modules, routes, mappers) lives as long as the process: frozen, no full
    collection walks it again. A 500-notice batch makes a few hundred thousand short-lived objects:
    with the default threshold (700) the collector ran some 110 times per batch and moved the
    batch's own rows up the generations, to be walked again; at 20,000 it runs a few times
    (66 → 12 ms per batch, CPU 0.80 → 0.64 s). Cyclic garbage lives a little longer: a few MB.
    Called by the server's entry point (`app/asgi.py`), not by `create_app`: a test run makes many
    apps, and frozen objects are never collected. The server's app asks for it again at the end of
    its start-up (`SETTLE_AFTER_STARTUP`), with the routing data (the district boundaries, the
    address register) loaded first: left out of the freeze, every full collection walked it again —
    3.4 % of the instructions of a single notice (callgrind, 100 notices in process: 8.57 → 8.28 M
    each; freezing after the first requests too would save 5 %, with their caches).
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(20_000, 20, 20)


# Set on `app.state` by the server's entry point: `on_startup` settles the memory once more at its end.
SETTLE_AFTER_STARTUP = "settle_memory_after_startup"


def on_startup(app: FastAPI) -> None:
    try:
        load_configured_data(app)
    except Exception:  # noqa: BLE001 - start anyway: /readyz says what is wrong, the log says why
        log.exception("configured_data_not_loaded")
    if getattr(app.state, SETTLE_AFTER_STARTUP, False):
        _load_router(app)
        settle_memory()  # the routing data just loaded lives as long as the process too
    app.state.scheduler = None
    if app.state.settings.scheduler_enabled:
        from app.jobs.registry import JOBS
        from app.scheduler import SchedulerService

        app.state.scheduler = SchedulerService(app.state.settings, app.state.engine, app.state.sessionmaker, JOBS)
        app.state.scheduler.start()


def _load_router(app: FastAPI) -> None:
    """The routing data (boundaries, address register) the first notice would load, loaded now: so
    that it is frozen with the rest (`settle_memory`), and the first notice does not wait for it."""
    try:
        with transaction(app.state.sessionmaker) as session:
            app.state.routers.get(session)
    except Exception as exc:  # noqa: BLE001 - start anyway: the first notice loads it, or says why it cannot
        log.warning("routing_data_not_loaded_at_startup", error=type(exc).__name__)


def on_shutdown(app: FastAPI) -> None:
    if app.state.scheduler is not None:
        app.state.scheduler.stop()
    app.state.engine.dispose()
