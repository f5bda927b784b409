"""Scheduled jobs, the registry by name, and the one leader that runs them.

APScheduler only triggers: every job reads and writes rows (timers, outbox),
so running it twice or late loses and duplicates nothing. On PostgreSQL one
process leads at a time — it holds an advisory lock on a dedicated connection;
when it dies the lock goes with its connection and another process takes over
within `LEADER_RETRY_SECONDS`. SQLite runs as a single instance and leads.

Each run is recorded in `job_runs` (outcome, duration) and logged; at start a
leader catches up what downtime skipped (last month's reports, the nightly purge).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import String, Text, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Mapped, Session, mapped_column, sessionmaker

from app.calendar import STOCKHOLM
from app.config import Settings, check_production
from app.db import Base, make_engine, make_sessionmaker, transaction, utcnow
from app.logging import describe_exception

log = structlog.get_logger("varsel.jobs")

LEADER_LOCK_KEY = 0x5641_5253  # "VARS": one advisory lock per database
LEADER_RETRY_SECONDS = 15


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


JOBS: dict[str, Job] = {}


def register(job: Job) -> Job:
    JOBS[job.name] = job
    return job


def run_recorded(context: JobContext, name: str) -> object:
    """Run one job now and record the run. Raises what the job raised."""
    job = JOBS[name]
    started = utcnow()
    clock = time.perf_counter()
    outcome, summary = "ok", ""
    try:
        result = job.run(context)
        summary = str(result)
        return result
    except Exception as exc:
        # Stored and logged: a database error's message would quote the row (names, addresses).
        outcome, summary = "error", describe_exception(exc)
        log.error("job_failed", job=name, error=summary, exc_info=exc)
        raise
    finally:
        duration = time.perf_counter() - clock
        log.info("job_run", job=name, outcome=outcome, duration_ms=round(duration * 1000), summary=summary[:200])
        try:
            with transaction(context.sessions) as session:
                session.add(JobRun(job=name, started_at=started, finished_at=utcnow(), outcome=outcome,
                                   summary=summary[:2000]))
        except Exception:  # noqa: BLE001 - the run itself matters more than its record
            log.warning("job_run_not_recorded", job=name)


def run_job_once(settings: Settings, name: str) -> object:
    """`varsel jobs run NAME`: the same code the scheduler runs, once, in this process."""
    import app.jobs  # noqa: F401 - registers the jobs

    check_production(settings)  # a job run outside the server meets the same refusal as `serve`
    engine = make_engine(settings.database_url)
    try:
        return run_recorded(JobContext(settings, make_sessionmaker(engine), utcnow), name)
    finally:
        engine.dispose()


def last_success(sessions: sessionmaker[Session], name: str) -> datetime | None:
    with transaction(sessions) as session:
        return session.scalar(select(JobRun.started_at).where(JobRun.job == name, JobRun.outcome == "ok")
                              .order_by(JobRun.started_at.desc()).limit(1))


class SchedulerService:
    """Owns leadership and the APScheduler instance inside one server process."""

    def __init__(self, settings: Settings, engine: Engine, sessions: sessionmaker[Session]) -> None:
        import app.jobs  # noqa: F401 - registers the jobs

        self.settings = settings
        self.engine = engine
        self.context = JobContext(settings, sessions, utcnow)
        self.scheduler: BackgroundScheduler | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock_connection: Any = None
        self.is_leader = False

    def start(self) -> None:
        self._thread = threading.Thread(target=self._lead, name="varsel-scheduler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._step_down()

    def _lead(self) -> None:
        while not self._stop.is_set():
            if not self.is_leader and self._acquire():
                self._become_leader()
            elif self.is_leader and not self._still_leader():
                log.warning("scheduler_leadership_lost")
                self._step_down()
            self._stop.wait(LEADER_RETRY_SECONDS)

    def _acquire(self) -> bool:
        if self.engine.dialect.name != "postgresql":
            return True
        try:
            connection = self.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}).scalar()
            connection.commit()
            if got:
                # Out of the pool: closing it must end the database session, and with it the lock.
                connection.detach()
                self._lock_connection = connection
                return True
            connection.close()
        except Exception:  # noqa: BLE001 - the database may be down; try again later
            log.warning("scheduler_lock_unavailable")
        return False

    def _still_leader(self) -> bool:
        if self._lock_connection is None:
            return True
        try:
            self._lock_connection.execute(text("SELECT 1"))
            self._lock_connection.commit()
            return True
        except Exception:  # noqa: BLE001
            return False

    def _become_leader(self) -> None:
        self.is_leader = True
        log.info("scheduler_leader", database=self.engine.dialect.name)
        scheduler = BackgroundScheduler(timezone=STOCKHOLM, job_defaults={
            "coalesce": True, "max_instances": 1, "misfire_grace_time": None})
        now = utcnow()
        for job in JOBS.values():
            trigger = job.trigger()
            # Interval jobs start at once; a cron job runs at start only to catch up a run that
            # downtime skipped. (APScheduler pauses a job given next_run_time=None: omit it instead.)
            catch_up = isinstance(trigger, IntervalTrigger) or (
                job.catch_up is not None and job.catch_up(last_success(self.context.sessions, job.name), now))
            extra = {"next_run_time": now} if catch_up else {}
            scheduler.add_job(self._run, trigger=trigger, args=[job.name], id=job.name, name=job.name, **extra)
        scheduler.start()
        self.scheduler = scheduler

    def _run(self, name: str) -> None:
        try:
            run_recorded(self.context, name)
        except Exception:  # noqa: BLE001 - recorded and logged; the next run tries again
            pass

    def _step_down(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=True)
            self.scheduler = None
        if self._lock_connection is not None:
            try:
                self._lock_connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": LEADER_LOCK_KEY})
                self._lock_connection.commit()
            except Exception:  # noqa: BLE001 - closing the connection releases it anyway
                pass
            try:
                self._lock_connection.close()
            except Exception:  # noqa: BLE001
                pass
            self._lock_connection = None
        self.is_leader = False


def every(seconds: int) -> Callable[[], IntervalTrigger]:
    return lambda: IntervalTrigger(seconds=seconds, timezone=STOCKHOLM)


def cron(**fields: Any) -> Callable[[], CronTrigger]:
    return lambda: CronTrigger(timezone=STOCKHOLM, **fields)


def missed_since(period: timedelta) -> Callable[[datetime | None, datetime], bool]:
    return lambda last, now: last is None or now - last > period
