"""The one leader that runs the scheduled jobs (the jobs themselves are in `app/jobs/`).

APScheduler only triggers: every job reads and writes rows (timers, outbox),
so running it twice or late loses and duplicates nothing. On PostgreSQL one
process leads at a time — it holds an advisory lock on a dedicated connection;
when it dies the lock goes with its connection and another process takes over
within `LEADER_RETRY_SECONDS`. SQLite runs as a single instance and leads.

Each run is recorded in `job_runs` (`app/jobs/base.py`); at start a leader
catches up what downtime skipped (last month's reports, the nightly purge).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import structlog
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from app.calendar import STOCKHOLM
from app.config import Settings
from app.db import utcnow
from app.jobs.base import Job, JobContext, last_success, run_recorded

log = structlog.get_logger("varsel.jobs")

LEADER_LOCK_KEY = 0x5641_5253  # "VARS": one advisory lock per database
LEADER_RETRY_SECONDS = 15


class SchedulerService:
    """Owns leadership and the APScheduler instance inside one server process."""

    def __init__(self, settings: Settings, engine: Engine, sessions: sessionmaker[Session],
                 jobs: Sequence[Job]) -> None:
        self.settings = settings
        self.jobs = {job.name: job for job in jobs}
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
        for job in self.jobs.values():
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
            run_recorded(self.context, self.jobs[name])
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

