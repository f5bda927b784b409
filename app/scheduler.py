"""Scheduled jobs: a registry by name. Each job run is one unit of work.

Jobs are registered here by name so that `varsel jobs run NAME` and the
in-process scheduler run exactly the same code.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from app.config import Settings
from app.db import make_engine, make_sessionmaker

log = structlog.get_logger("varsel.jobs")


@dataclass(frozen=True)
class Job:
    name: str
    schedule_description: str
    run: Callable[..., object]


JOBS: dict[str, Job] = {}


def run_job_once(settings: Settings, name: str) -> object:
    job = JOBS[name]
    engine = make_engine(settings.database_url)
    started = time.perf_counter()
    try:
        result = job.run(settings=settings, sessionmaker=make_sessionmaker(engine))
        log.info("job_run", job=name, outcome="ok", duration_ms=round((time.perf_counter() - started) * 1000))
        return result
    except Exception:
        log.exception("job_run", job=name, outcome="error")
        raise
    finally:
        engine.dispose()
