"""No personal data in the logs, even when a statement fails with the tenant's data among its parameters.

The production renderer (JSON) writes to a captured stream; the whole log is
then searched for every value the failing statement carried. PostgreSQL's own
message for a NOT NULL violation quotes the failing row, so on PostgreSQL this
also shows that a database error's message never reaches the log.
"""

from __future__ import annotations

import io
import json
import logging
import uuid
from datetime import date

import pytest
import structlog
from fastapi import APIRouter
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.db import transaction, utcnow
from app.deps import SessionDep
from app.logging import REDACTED, configure_logging, describe_exception
from app.notices.models import Notice
from app.jobs.base import Job, JobContext, JobRun, every, run_recorded
from notifications import outbox
from notifications.models import Delivery
from tests.conftest import IS_POSTGRES

NAME = "Anna Bergqvist-Lindholm"
PHONE = "+46 70 123 45 67"
EMAIL = "anna.bergqvist@example.se"
ADDRESS = "Hornsgatan 144"
POSTAL_CODE = "11728"
BIRTH_DATE = "1985-04-12"
PINS = ("19850412-1230", "198504121230", "850412-1230")
PERSONAL = (NAME, PHONE, EMAIL, ADDRESS, BIRTH_DATE, *PINS)

FAILING_TENANT = text(
    "INSERT INTO tenants (id, notice_id, position, name, phone, email, birth_date, pin_encrypted) "
    "VALUES (:id, :notice_id, NULL, :name, :phone, :email, :birth_date, :pin)"  # position is NOT NULL
)


def tenant_parameters() -> dict:
    return {"id": uuid.uuid4().hex, "notice_id": uuid.uuid4().hex, "name": NAME, "phone": PHONE, "email": EMAIL,
            "birth_date": date(1985, 4, 12), "pin": PINS[0]}


@pytest.fixture
def json_log(app):
    """The app's logging as in production (JSON), into a buffer; the readable kind again afterwards."""
    stream = io.StringIO()
    configure_logging(json_logs=True, stream=stream)
    yield stream
    configure_logging(json_logs=False)


def assert_clean(log: str) -> None:
    assert log.strip(), "nothing was logged"
    # The JSON renderer escapes non-ASCII: look at each line as written and as decoded.
    decoded = "\n".join(json.dumps(json.loads(line), ensure_ascii=False) for line in log.splitlines() if line)
    for value in PERSONAL:
        assert value not in log and value not in decoded, f"{value!r} is in the log"


def test_a_failing_statement_through_the_app_logs_no_personal_data(app, client, json_log, landlord):
    router = APIRouter()

    @router.post("/api/v1/test/failing-insert")
    def failing_insert(session: SessionDep) -> None:
        # As a careless intake would: the notice, then its tenant, both carrying personal data.
        session.add(Notice(landlord_id=landlord.id, external_id=PINS[2], body_hash="0" * 64, kind="rent_arrears",
                           sent_on=date(2026, 11, 18), status="routed", street_address=ADDRESS,
                           postal_code=POSTAL_CODE, contact={"name": NAME, "phone": PHONE, "email": EMAIL,
                                                             "note": f"tenant {PINS[1]}"}, routing={}))
        session.flush()
        session.execute(FAILING_TENANT, tenant_parameters())

    app.include_router(router)

    answer = client.post("/api/v1/test/failing-insert", headers=landlord.headers)

    assert answer.status_code == 500
    log = json_log.getvalue()
    assert_clean(log)
    [error] = [json.loads(line) for line in log.splitlines() if '"unhandled_error"' in line]
    assert "IntegrityError" in error["exception"] and "message withheld" in error["exception"]
    assert "23502" in error["exception"] if IS_POSTGRES else "SQLITE_CONSTRAINT_NOTNULL" in error["exception"]
    assert "tenants" in error["exception"]  # the table is named, so the operator still knows where to look
    assert error["request_id"] == answer.json()["request_id"]


def test_a_failing_job_records_and_logs_no_personal_data(settings, sessions, json_log, db):
    def failing(context: JobContext) -> object:
        with transaction(context.sessions) as session:
            session.execute(FAILING_TENANT, tenant_parameters())
        return "never"

    with pytest.raises(IntegrityError):
        run_recorded(JobContext(settings, sessions, utcnow), Job("test-failing-insert", "", every(60), failing))

    assert_clean(json_log.getvalue())
    assert '"job_failed"' in json_log.getvalue()
    with db() as session:
        summary = session.scalar(select(JobRun.summary).where(JobRun.job == "test-failing-insert"))
    assert summary.startswith("IntegrityError") and "message withheld" in summary
    assert not any(value in summary for value in PERSONAL)


def test_a_channel_failing_in_the_database_stores_and_logs_no_personal_data(sessions, db, json_log):
    with db() as session:
        outbox.enqueue(session, channel="letter", template="tenant_redemption_letter", dedup_key="leak-test",
                       payload={"notice_id": str(uuid.uuid4())})

    class FailingChannel:
        def send(self, message) -> str:
            with transaction(sessions) as session:
                session.execute(FAILING_TENANT, tenant_parameters())
            return "never"

    result = outbox.dispatch(sessions, {"letter": FailingChannel()})

    assert result.retried == 1
    assert_clean(json_log.getvalue())
    with db() as session:
        detail = session.scalar(select(Delivery.detail))
    assert detail.startswith("IntegrityError") and not any(value in detail for value in PERSONAL)


def test_identity_numbers_are_redacted_in_every_field_of_every_logger():
    stream = io.StringIO()
    configure_logging(json_logs=True, stream=stream)
    try:
        log = structlog.get_logger("varsel.test")

        class Person:
            def __str__(self) -> str:
                return f"Person({PINS[1]})"

        log.info(f"looked up {PINS[0]}", pin=PINS[1], nested={"list": [PINS[2], {"deeper": (PINS[0],)}]},
                 person=Person(), samordningsnummer="19850472-1237", plus_form="850412+1230")
        logging.getLogger("some.library").warning("tenant %s not found", PINS[0])
        try:
            raise ValueError(f"bad identity number {PINS[1]}")
        except ValueError:
            log.exception("lookup_failed")
            logging.getLogger("other.library").exception("while handling %s", PINS[2])
    finally:
        configure_logging(json_logs=False)

    written = stream.getvalue()
    for value in (*PINS, "19850472-1237", "850412+1230"):
        assert value not in written, value
    assert written.count(REDACTED) >= 9
    lines = [json.loads(line) for line in written.splitlines()]
    assert [line["event"] for line in lines] == [f"looked up {REDACTED}", f"tenant {REDACTED} not found",
                                                 "lookup_failed", f"while handling {REDACTED}"]
    assert "ValueError: bad identity number [redacted]" in lines[2]["exception"]


def test_numbers_that_are_not_identity_numbers_stay():
    stream = io.StringIO()
    configure_logging(json_logs=True, stream=stream)
    try:
        structlog.get_logger("varsel.test").info(
            "kept", org_number="556035-9555", request_id="8f14e45fceea167a5a36dedd4bea2543",
            at="2026-12-01T05:44:36.524826+00:00", count=1985041212, case_number="2026-000123",
            key_prefix="vsl_0123456789")
    finally:
        configure_logging(json_logs=False)
    line = json.loads(stream.getvalue())
    assert line["org_number"] == "556035-9555"
    assert line["request_id"] == "8f14e45fceea167a5a36dedd4bea2543"
    assert line["at"] == "2026-12-01T05:44:36.524826+00:00"
    assert line["count"] == 1985041212 and line["case_number"] == "2026-000123"
    assert line["key_prefix"] == "vsl_0123456789"


def test_describe_exception_keeps_ordinary_messages():
    assert describe_exception(ValueError("no such district 'x'")) == "ValueError: no such district 'x'"


def test_a_failed_statement_does_not_carry_its_parameters(engine):
    # Whoever prints the error (a traceback, a test runner, a caller's own log line) sees no values.
    with pytest.raises(IntegrityError) as failure:
        with engine.begin() as connection:
            connection.execute(FAILING_TENANT, tenant_parameters())
    assert "SQL parameters hidden" in str(failure.value)
    assert NAME not in str(failure.value).split("[SQL:")[-1]
