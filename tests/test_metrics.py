"""`GET /metrics` counts what the operator watches: job runs (the scheduler's and `varsel jobs run`'s),
send attempts and the outbox, missed deadlines, notices by kind and answer, leadership, the process."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import delete, select

from app.db import make_engine, utcnow
from app.jobs.base import Job, JobContext, JobRun, every, run_recorded
from app.main import create_app
from app.notices.schemas import EXAMPLE_NOTICE
from notifications import outbox
from notifications.models import OutboxMessage
from tests.conftest import TEST_DATABASE_URL
from tests.jobs.conftest import at, notice

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(client: TestClient) -> Samples:
    answer = client.get("/metrics")
    assert answer.status_code == 200
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(answer.text) for s in family.samples}


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


def _fresh(app) -> None:
    app.state.metrics.database.max_age = 0  # every scrape reads the database (5 s in service)


def _job(name: str, run) -> Job:
    return Job(name, "test", every(60), run)


def _record(settings, sessions, name: str = "test-job", run=lambda context: "done") -> None:
    try:
        run_recorded(JobContext(settings, sessions, utcnow), _job(name, run))
    except RuntimeError:
        pass


def _caught_up(db) -> None:
    """Last month's reports and last night's purge done: a new leader has nothing to catch up (the reports
    take a while to render, and are not what these tests are about)."""
    with db() as session:
        for job in ("monthly-reports", "purge-expired"):
            session.add(JobRun(job=job, started_at=utcnow(), finished_at=utcnow(), outcome="ok"))


# --------------------------------------------------------------------------- job runs


def test_with_the_scheduler_running_the_jobs_that_ran_in_the_last_minute_are_counted(settings, engine, db):
    _caught_up(db)
    app = create_app(settings.model_copy(update={"scheduler_enabled": True}), engine=engine)
    _fresh(app)
    wanted = {"sweep-deadlines", "dispatch-outbox", "household-lookups", "geocode-unrouted"}
    with TestClient(app) as client:
        deadline = time.monotonic() + 30
        while True:
            samples = scrape(client)
            ran = {dict(labels)["job"] for (name, labels), v in samples.items()
                   if name == "varsel_job_runs_total" and dict(labels)["outcome"] == "ok" and v >= 1}
            if wanted <= ran and value(samples, "varsel_scheduler_leader") == 1:
                break
            assert time.monotonic() < deadline, f"after 30 s only {ran} counted"
            time.sleep(0.2)
    for job in wanted:
        finished = value(samples, "varsel_job_last_run_timestamp_seconds", job=job, outcome="ok")
        assert time.time() - 60 < finished <= time.time()
        assert value(samples, "varsel_job_duration_seconds_count", job=job, outcome="ok") >= 1


@pytest.mark.postgres_only
def test_any_process_sees_from_the_database_whether_some_process_leads(settings, engine, db):
    _caught_up(db)
    leader = create_app(settings.model_copy(update={"scheduler_enabled": True}), engine=engine)
    other = create_app(settings, engine=engine)
    _fresh(other)
    with TestClient(other) as client:
        assert value(scrape(client), "varsel_scheduler_leaders") == 0
        with TestClient(leader):
            deadline = time.monotonic() + 30
            while value(scrape(client), "varsel_scheduler_leaders") != 1:
                assert time.monotonic() < deadline, "the leader's lock was not seen within 30 s"
                time.sleep(0.2)
            assert value(scrape(client), "varsel_scheduler_leader") == 0  # this process does not lead
        assert value(scrape(client), "varsel_scheduler_leaders") == 0  # the leader stopped: its lock went


def test_a_job_run_from_the_command_line_in_another_process_is_counted_by_the_server(app, client, settings):
    _fresh(app)
    before = value(scrape(client), "varsel_job_runs_total", job="sweep-deadlines", outcome="ok") or 0
    env = {**os.environ, "VARSEL_DATABASE_URL": TEST_DATABASE_URL, "VARSEL_STORAGE_DIR": str(settings.storage_dir),
           "VARSEL_SCHEDULER_ENABLED": "false"}
    ran = subprocess.run([sys.executable, "-m", "app.cli", "jobs", "run", "sweep-deadlines"], env=env,
                         capture_output=True, text=True, timeout=120)
    assert ran.returncode == 0, ran.stderr
    samples = scrape(client)
    assert value(samples, "varsel_job_runs_total", job="sweep-deadlines", outcome="ok") == before + 1
    assert value(samples, "varsel_job_duration_seconds_count", job="sweep-deadlines", outcome="ok") == before + 1
    assert value(samples, "varsel_scheduler_leader") == 0  # this process runs no scheduler


def test_failures_and_durations_are_counted_by_job_and_outcome(app, client, settings, sessions):
    _fresh(app)

    def fails(context):
        time.sleep(0.12)
        raise RuntimeError("the provider is down")

    _record(settings, sessions, "flaky", fails)
    _record(settings, sessions, "flaky")
    _record(settings, sessions, "flaky")
    samples = scrape(client)
    assert value(samples, "varsel_job_runs_total", job="flaky", outcome="error") == 1
    assert value(samples, "varsel_job_runs_total", job="flaky", outcome="ok") == 2
    assert value(samples, "varsel_job_duration_seconds_sum", job="flaky", outcome="error") >= 0.1
    assert value(samples, "varsel_job_duration_seconds_bucket", job="flaky", outcome="error", le="0.1") == 0
    assert value(samples, "varsel_job_duration_seconds_bucket", job="flaky", outcome="error", le="0.25") == 1
    assert value(samples, "varsel_job_duration_seconds_bucket", job="flaky", outcome="ok", le="0.05") == 2


def test_the_first_scrape_counts_the_retained_history_and_the_purge_never_makes_a_count_go_down(
        app, client, settings, sessions, db):
    for _ in range(3):
        _record(settings, sessions)
    _fresh(app)
    assert value(scrape(client), "varsel_job_runs_total", job="test-job", outcome="ok") == 3
    with db() as session:  # what purge-expired does to the runs older than a month: all but the latest here
        latest = session.scalar(select(JobRun.id).order_by(JobRun.id.desc()).limit(1))
        session.execute(delete(JobRun).where(JobRun.id < latest))
    assert value(scrape(client), "varsel_job_runs_total", job="test-job", outcome="ok") == 3
    _record(settings, sessions)
    assert value(scrape(client), "varsel_job_runs_total", job="test-job", outcome="ok") == 4
    with db() as session:  # a month without runs: the purge leaves none (SQLite then reuses the ids)
        session.execute(delete(JobRun))
    assert value(scrape(client), "varsel_job_runs_total", job="test-job", outcome="ok") == 4
    _record(settings, sessions)
    _record(settings, sessions)
    assert value(scrape(client), "varsel_job_runs_total", job="test-job", outcome="ok") == 6


def test_a_run_committed_after_a_later_one_is_still_counted_once(app, client, db):
    """Ids come from a sequence when the row is inserted, but rows become visible at commit: a lower id can
    appear after a higher one was counted."""
    _fresh(app)
    now = utcnow()
    collector = app.state.metrics.database
    scrape(client)
    with db() as session:
        session.add(JobRun(id=1000, job="late", started_at=now, finished_at=now, outcome="ok"))
    assert value(scrape(client), "varsel_job_runs_total", job="late", outcome="ok") == 1
    with db() as session:
        session.add(JobRun(id=999, job="late", started_at=now, finished_at=now, outcome="ok"))
    assert value(scrape(client), "varsel_job_runs_total", job="late", outcome="ok") == 2
    assert value(scrape(client), "varsel_job_runs_total", job="late", outcome="ok") == 2
    # Once settled, the cursor moves past them and they are not read again.
    collector.jobs.cursor.settle = 0
    scrape(client)
    assert collector.jobs.cursor.floor == 1000 and not collector.jobs.cursor.recent
    assert value(scrape(client), "varsel_job_runs_total", job="late", outcome="ok") == 2


# --------------------------------------------------------------------------- the outbox and deliveries


class _Works:
    def send(self, message):
        return "ok"


class _Refuses:
    def send(self, message):
        raise outbox.PermanentFailure("no such address")


class _Down:
    def send(self, message):
        raise ConnectionError("the provider does not answer")


def test_send_attempts_by_outcome_and_the_waiting_messages_by_status(app, client, sessions, db):
    _fresh(app)
    with db() as session:
        for channel, key in (("email", "a"), ("sms", "b"), ("letter", "c")):
            outbox.enqueue(session, channel=channel, template="new_cases_digest", dedup_key=key,
                           recipient="x@stad.example", payload={})
    outbox.dispatch(sessions, {"email": _Works(), "sms": _Refuses(), "letter": _Down()})
    samples = scrape(client)
    assert value(samples, "varsel_deliveries_total", channel="email", outcome="sent") == 1
    assert value(samples, "varsel_deliveries_total", channel="sms", outcome="failed") == 1
    assert value(samples, "varsel_deliveries_total", channel="letter", outcome="retry") == 1
    assert value(samples, "varsel_outbox_messages", status="failed", channel="sms") == 1
    assert value(samples, "varsel_outbox_messages", status="pending", channel="letter") == 1  # retried later
    assert value(samples, "varsel_outbox_messages", status="pending", channel="email") == 0
    assert value(samples, "varsel_outbox_oldest_due_age_seconds") == 0  # the retry is not due yet
    assert value(samples, "varsel_outbox_oldest_pending_age_seconds") >= 0


def test_a_message_due_for_twenty_minutes_shows_as_overdue(app, client, db):
    _fresh(app)
    with db() as session:
        outbox.enqueue(session, channel="email", template="new_cases_digest", dedup_key="stuck",
                       recipient="x@stad.example", payload={})
        message = session.scalar(select(OutboxMessage))
        message.created_at = message.next_attempt_at = utcnow() - timedelta(minutes=20)
    samples = scrape(client)
    assert 1195 <= value(samples, "varsel_outbox_oldest_due_age_seconds") < 1260
    assert 1195 <= value(samples, "varsel_outbox_oldest_pending_age_seconds") < 1260


# --------------------------------------------------------------------------- deadlines and notices


def test_a_missed_redemption_end_is_counted_as_a_missed_statutory_deadline(app, client, landlord, sessions,
                                                                           settings):
    _fresh(app)
    app.state.clock = lambda: at(2026, 9, 1, 8, 0)  # the redemption end has long passed
    answer = client.post("/api/v1/notices", headers=landlord.headers,
                         json=notice("PASSED-1", sent_on="2026-08-31", tenant_served_on="2026-08-31",
                                     termination_on="2026-08-28",
                                     arrears={"amount_sek": 9000, "due_date": "2026-08-01",
                                              "payment_instructions": "Bankgiro 123-4567"}))
    assert answer.status_code == 201, answer.text
    assert value(scrape(client), "varsel_deadlines_missed_total", kind="redemption_period_end",
                 statutory="true") == 0
    from app.jobs.registry import run_job

    run_job(sessions, settings, "sweep-deadlines")
    samples = scrape(client)
    assert value(samples, "varsel_deadlines_missed_total", kind="redemption_period_end", statutory="true") == 1
    assert value(samples, "varsel_deadlines_missed_total", kind="first_contact", statutory="false") == 1


def test_notices_are_counted_by_kind_and_the_answer_they_got(app, client, landlord):
    body = {**EXAMPLE_NOTICE, "external_id": "M-1", "sent_on": "2026-11-20"}
    app.state.clock = lambda: at(2026, 11, 20, 10, 0)
    assert client.post("/api/v1/notices", headers=landlord.headers, json=body).status_code == 201
    assert client.post("/api/v1/notices", headers=landlord.headers, json=body).status_code == 200
    changed = {**body, "contact": {**body["contact"], "name": "Någon annan"}}
    assert client.post("/api/v1/notices", headers=landlord.headers, json=changed).status_code == 409
    assert client.post("/api/v1/notices", headers=landlord.headers,
                       json={**body, "external_id": "M-2", "sent_on": "2030-01-01"}).status_code == 422
    assert client.post("/api/v1/notices", headers=landlord.headers, json={"kind": "rent_arrears"}).status_code == 422
    assert client.post("/api/v1/notices", json=body).status_code == 401
    batch = {"notices": [{**body, "external_id": "M-3"}, {**body, "external_id": "M-4", "tenants": []},
                         {"kind": "nonsense"}]}
    assert client.post("/api/v1/notices/batch", headers=landlord.headers, json=batch).status_code == 200
    samples = scrape(client)
    counted = {tuple(sorted(dict(labels).items())): v for (name, labels), v in samples.items()
               if name == "varsel_notices_received_total"}
    assert counted == {
        (("key", "live"), ("kind", "rent_arrears"), ("result", "201")): 2,
        (("key", "live"), ("kind", "rent_arrears"), ("result", "200")): 1,
        (("key", "live"), ("kind", "rent_arrears"), ("result", "409")): 1,
        (("key", "live"), ("kind", "rent_arrears"), ("result", "422")): 2,  # a future date; a batch item without tenants
        (("key", "live"), ("kind", "unknown"), ("result", "422")): 2,  # no notice to speak of: the body, the third item
        (("key", "none"), ("kind", "unknown"), ("result", "401")): 1,
    }


def test_a_test_keys_notices_are_counted_apart(app, client, landlord, db, settings):
    from app.security import service as accounts

    with db() as session:
        test_key = accounts.create_landlord_key(session, settings, org_number=landlord.org_number, test=True).plaintext
    headers = {"Authorization": f"Bearer {test_key}"}
    body = {**EXAMPLE_NOTICE, "external_id": "T-1", "sent_on": "2026-11-20"}
    app.state.clock = lambda: at(2026, 11, 20, 10, 0)
    assert client.post("/api/v1/notices", headers=headers, json=body).status_code == 201
    assert client.post("/api/v1/notices", headers=headers, json={"kind": "rent_arrears"}).status_code == 422
    batch = {"notices": [{**body, "external_id": "T-2"}]}
    assert client.post("/api/v1/notices/batch", headers=headers, json=batch).status_code == 200
    assert client.post("/api/v1/notices", headers=landlord.headers, json={**body, "external_id": "L-1"}).status_code == 201
    samples = scrape(client)
    counted = {tuple(sorted(dict(labels).items())): v for (name, labels), v in samples.items()
               if name == "varsel_notices_received_total"}
    assert counted == {
        (("key", "test"), ("kind", "rent_arrears"), ("result", "201")): 2,
        (("key", "test"), ("kind", "unknown"), ("result", "422")): 1,  # the key was recognised before the body failed
        (("key", "live"), ("kind", "rent_arrears"), ("result", "201")): 1,
    }


# --------------------------------------------------------------------------- the process


def test_the_process_and_the_interpreter_are_described(client):
    samples = scrape(client)
    names = {name for name, _ in samples}
    assert {"process_resident_memory_bytes", "process_cpu_seconds_total", "python_info",
            "python_gc_objects_collected_total"} <= names


def test_without_a_database_metrics_still_answer_and_say_so(settings, tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/missing/dir/varsel.db")
    with TestClient(create_app(settings, engine=engine)) as client:
        samples = scrape(client)
    assert value(samples, "varsel_metrics_database_up") == 0
    assert "process_resident_memory_bytes" in {name for name, _ in samples}
    engine.dispose()
