"""What a scheduled job is, and how one run of it is recorded.

Every run goes into `job_runs` (outcome, duration, summary): the scheduler and
`varsel jobs run` record the same way, so the history — and the metrics read
from it — count both. A run that found nothing to do is logged at debug level:
the dispatcher runs every five seconds, and "sent 0" is not news.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import String, Text, select
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from app.calendar import STOCKHOLM
from app.config import Settings
from app.db import Base, transaction, utcnow
from app.logging import describe_exception

log = structlog.get_logger("varsel.jobs")


class JobRun(Base):
    __tablename__ = "job_runs"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    job: Mapped[str] = mapped_column(String(60), index=True)
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(String(10))  # ok | error
    summary: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class JobContext:
    settings: Settings
    sessions: sessionmaker[Session]
    now: Callable[[], datetime]


@dataclass(frozen=True)
class Job:
    name: str
    schedule_description: str
    trigger: Callable[[], Any]
    run: Callable[[JobContext], object]
    # Catch-up after downtime: given the last successful run (or None), should it run at start?
    catch_up: Callable[[datetime | None, datetime], bool] | None = None


def every(seconds: int) -> Callable[[], IntervalTrigger]:
    return lambda: IntervalTrigger(seconds=seconds, timezone=STOCKHOLM)


def cron(**fields: Any) -> Callable[[], CronTrigger]:
    return lambda: CronTrigger(timezone=STOCKHOLM, **fields)


def missed_since(period: timedelta) -> Callable[[datetime | None, datetime], bool]:
    return lambda last, now: last is None or now - last > period


def run_recorded(context: JobContext, job: Job) -> object:
    """Run one job now and record the run. Raises what the job raised."""
    started = utcnow()
    clock = time.perf_counter()
    outcome, summary, idle = "ok", "", False
    try:
        result = job.run(context)
        summary = str(result)
        idle = bool(getattr(result, "idle", False))
        return result
    except Exception as exc:
        # Stored and logged: a database error's message would quote the row (names, addresses).
        outcome, summary = "error", describe_exception(exc)
        log.error("job_failed", job=job.name, error=summary, exc_info=exc)
        raise
    finally:
        duration = time.perf_counter() - clock
        say = log.debug if idle else log.info
        say("job_run", job=job.name, outcome=outcome, duration_ms=round(duration * 1000), summary=summary[:200])
        try:
            with transaction(context.sessions) as session:
                session.add(JobRun(job=job.name, started_at=started, finished_at=utcnow(), outcome=outcome,
                                   summary=summary[:2000]))
        except Exception:  # noqa: BLE001 - the run itself matters more than its record
            log.warning("job_run_not_recorded", job=job.name)


def last_success(sessions: sessionmaker[Session], name: str) -> datetime | None:
    with transaction(sessions) as session:
        return session.scalar(select(JobRun.started_at).where(JobRun.job == name, JobRun.outcome == "ok")
                              .order_by(JobRun.started_at.desc()).limit(1))

