"""The scheduled jobs, registered by name (`varsel jobs list`)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from app.cases.delivery import build_channels
from app.db import transaction
from app.deadlines.sweep import sweep
from app.households.service import lookup_households
from app.reports.job import monthly_catch_up, run_monthly_reports
from app.routing.geocoding import geocode_unrouted
from app.routing.service import RouterProvider
from app.retention import purge_expired
from app.scheduler import Job, JobContext, JobRun, cron, every, missed_since, register
from integrations.geocoding.factory import geocoder_for
from integrations.population_register.factory import population_register_from_settings
from notifications.outbox import dispatch


def _sweep(context: JobContext) -> object:
    return sweep(context.sessions, now=context.now)


def _dispatch(context: JobContext) -> object:
    return dispatch(context.sessions, build_channels(context.settings, context.sessions), now=context.now)


def _households(context: JobContext) -> object:
    settings = context.settings
    register = population_register_from_settings(
        settings.population_register_url, settings.population_register_api_key,
        str(settings.population_register_file) if settings.population_register_file else None)
    return lookup_households(context.sessions, register, now=context.now())


def _geocode(context: JobContext) -> object:
    settings = context.settings
    geocoder = geocoder_for(settings)
    return geocode_unrouted(context.sessions, geocoder, RouterProvider(settings.municipality), now=context.now())


JOB_RUN_HISTORY = timedelta(days=30)


def _purge(context: JobContext) -> object:
    result = purge_expired(context.sessions, context.settings, now=context.now())
    # The dispatcher runs every few seconds: keep a month of run records, not all of them.
    with transaction(context.sessions) as session:
        session.execute(delete(JobRun).where(JobRun.started_at < context.now() - JOB_RUN_HISTORY))
    return result


register(Job("sweep-deadlines", "every minute: reminders, escalations, missed deadlines", every(60), _sweep))
register(Job("dispatch-outbox", "every 5 seconds: email, SMS, letters, Kronofogden", every(5), _dispatch))
register(Job("monthly-reports", "monthly, the 1st at 07:00 Europe/Stockholm: last month's summaries to managers",
             cron(day=1, hour=7, minute=0), run_monthly_reports, catch_up=monthly_catch_up))
register(Job("household-lookups", "every minute: who lives there, from the population register", every(60),
             _households))
register(Job("geocode-unrouted", "every minute: the geocoder for notices no local method could route", every(60),
             _geocode))
register(Job("purge-expired", "nightly 02:30 Europe/Stockholm: gallring of expired personal data",
             cron(hour=2, minute=30), _purge, catch_up=missed_since(timedelta(hours=25))))
