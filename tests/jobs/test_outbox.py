"""The outbox: sent after commit, retried with backoff through an SMTP outage, never twice."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from app.db import utcnow
from notifications import outbox
from notifications.email import SmtpChannel
from notifications.models import Delivery, OutboxMessage
from tests.conftest import IS_POSTGRES


def _enqueue(db, n: int, prefix: str = "m") -> None:
    with db() as session:
        for i in range(n):
            outbox.enqueue(session, channel="email", template="new_cases_digest", dedup_key=f"{prefix}:{i}",
                           recipient=f"h{i}@stad.example", payload={"district_name": "Södermalm", "path": "/ko"})


def test_enqueue_is_once_per_dedup_key(db):
    _enqueue(db, 3)
    _enqueue(db, 3)
    with db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 3


def test_a_rollback_enqueues_nothing(db):
    with pytest.raises(RuntimeError):
        with db() as session:
            outbox.enqueue(session, channel="email", template="new_cases_digest", dedup_key="x",
                           recipient="a@stad.example", payload={})
            raise RuntimeError("the change failed")
    with db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_smtp_outage_loses_nothing_and_duplicates_nothing(sessions, db, smtp, mail_settings):
    _enqueue(db, 4)
    channels = {"email": SmtpChannel(mail_settings)}
    smtp.stop()
    now = [utcnow()]
    result = outbox.dispatch(sessions, channels, now=lambda: now[0])
    assert (result.sent, result.retried, result.failed) == (0, 4, 0)
    with db() as session:
        rows = session.scalars(select(OutboxMessage)).all()
        assert {r.status for r in rows} == {"pending"}
        assert {r.attempts for r in rows} == {1}
        assert all(r.next_attempt_at >= now[0] + timedelta(seconds=30) for r in rows)
        assert session.scalar(select(func.count()).select_from(Delivery).where(Delivery.outcome == "retry")) == 4
    # Before the backoff has passed nothing is tried again.
    assert outbox.dispatch(sessions, channels, now=lambda: now[0] + timedelta(seconds=5)).retried == 0
    smtp.start()
    now[0] += timedelta(minutes=2)
    result = outbox.dispatch(sessions, channels, now=lambda: now[0])
    assert result.sent == 4
    assert sorted(m["To"] for m in smtp.messages) == [f"h{i}@stad.example" for i in range(4)]
    now[0] += timedelta(hours=2)
    assert outbox.dispatch(sessions, channels, now=lambda: now[0]).sent == 0
    assert len(smtp.messages) == 4
    with db() as session:
        assert {r.status for r in session.scalars(select(OutboxMessage))} == {"sent"}


def test_after_the_attempt_limit_a_message_is_failed_and_an_admin_can_retry_it(sessions, db, smtp, mail_settings):
    _enqueue(db, 1)
    with db() as session:
        session.scalar(select(OutboxMessage)).max_attempts = 2
    smtp.stop()
    channels = {"email": SmtpChannel(mail_settings)}
    now = utcnow()
    outbox.dispatch(sessions, channels, now=lambda: now)
    result = outbox.dispatch(sessions, channels, now=lambda: now + timedelta(hours=1))
    assert result.failed == 1
    with db() as session:
        message = session.scalar(select(OutboxMessage))
        assert message.status == "failed"
        assert "Connection" in message.last_error or "refused" in message.last_error.lower()
        assert outbox.retry_failed(session, message.id)
    smtp.start()
    assert outbox.dispatch(sessions, channels).sent == 1
    assert len(smtp.messages) == 1


def test_email_text_is_swedish_with_a_link_and_no_personal_data(sessions, db, smtp, mail_settings):
    _enqueue(db, 1)
    outbox.dispatch(sessions, {"email": SmtpChannel(mail_settings)})
    [mail] = smtp.messages
    assert mail["Subject"] == "Nya ärenden i Södermalm"
    assert mail["From"] == "varsel@stad.example"
    body = mail.get_content()
    assert "http://127.0.0.1:8000/ko" in body
    assert "Av sekretesskäl" in body
    assert not re.search(r"\d{6,8}[-+]?\d{4}", body)


@pytest.mark.postgres_only
def test_two_dispatchers_at_once_send_each_message_once(sessions, db, smtp, mail_settings):
    _enqueue(db, 300)
    channels = {"email": SmtpChannel(mail_settings)}
    results = []
    barrier = threading.Barrier(2)

    def run() -> None:
        barrier.wait()
        results.append(outbox.dispatch(sessions, channels, limit=500))

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(r.sent for r in results) == 300
    assert len(smtp.messages) == 300
    assert len({m["To"] for m in smtp.messages}) == 300
    assert IS_POSTGRES
