"""Exactly one scheduler leads on PostgreSQL; another takes over when it goes."""

from __future__ import annotations

import time

import pytest

from app import scheduler as scheduler_module
from app.db import make_engine, make_sessionmaker
from app.jobs.registry import JOBS
from app.scheduler import SchedulerService
from tests.conftest import TEST_DATABASE_URL


def _wait_for(condition, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def test_the_jobs_of_the_spec_are_registered():
    assert {"sweep-deadlines", "dispatch-outbox", "purge-expired"} <= {job.name for job in JOBS}


@pytest.mark.postgres_only
def test_one_leader_and_a_takeover(engine, settings, monkeypatch):
    monkeypatch.setattr(scheduler_module, "LEADER_RETRY_SECONDS", 0.2)
    engines = [make_engine(TEST_DATABASE_URL) for _ in range(2)]
    services = [SchedulerService(settings, e, make_sessionmaker(e), JOBS) for e in engines]
    try:
        services[0].start()
        assert _wait_for(lambda: services[0].is_leader)
        services[1].start()
        time.sleep(1.0)
        assert not services[1].is_leader, "a second process must not lead while the first holds the lock"
        services[0].stop()
        assert _wait_for(lambda: services[1].is_leader), "the second process takes over when the first goes"
    finally:
        for service in services:
            service.stop()
        for e in engines:
            e.dispose()
