"""The scheduled jobs (`varsel jobs list`): a plain list handed to the scheduler and the CLI.

Nothing registers itself on import; what runs is exactly what is listed here.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from app.config import Settings, check_production
from app.db import make_engine, make_sessionmaker, utcnow
from app.jobs import channels, geocoding, households, purge, reports, sweep
from app.jobs.base import Job, JobContext, cron, every, missed_since, run_recorded

JOBS: tuple[Job, ...] = (
    Job("sweep-deadlines", "every minute: reminders, escalations, missed deadlines", every(60), sweep.run),
    Job("dispatch-outbox", "every 5 seconds: email, SMS, letters, Kronofogden", every(5), channels.run),
    Job("monthly-reports", "monthly, the 1st at 07:00 Europe/Stockholm: last month's summaries to managers",
        cron(day=1, hour=7, minute=0), reports.run_monthly_reports, catch_up=reports.monthly_catch_up),
    Job("household-lookups", "every minute: who lives there, from the population register", every(60),
        households.run),
    Job("geocode-unrouted", "every minute: the geocoder for notices no local method could route", every(60),
        geocoding.run),
    Job("purge-expired", "nightly 02:30 Europe/Stockholm: gallring of expired personal data",
        cron(hour=2, minute=30), purge.run, catch_up=missed_since(timedelta(hours=25))),
)


def job_named(name: str) -> Job | None:
    return next((job for job in JOBS if job.name == name), None)


def run_job(sessions: sessionmaker[Session], settings: Settings, name: str) -> object:
    job = job_named(name)
    if job is None:
        raise KeyError(name)
    return run_recorded(JobContext(settings, sessions, utcnow), job)


def run_job_once(settings: Settings, name: str) -> object:
    """`varsel jobs run NAME`: the same code the scheduler runs, once, in this process, recorded the same way."""
    check_production(settings)  # a job run outside the server meets the same refusal as `serve`
    engine = make_engine(settings.database_url)
    try:
        return run_job(make_sessionmaker(engine), settings, name)
    finally:
        engine.dispose()
