"""Done-when of the scheduler issue: a passed redemption end becomes `missed` and one escalation mail."""

from __future__ import annotations

from sqlalchemy import func, select
from typer.testing import CliRunner

from app.cli import cli
from app.deadlines.models import Deadline
from notifications.models import OutboxMessage
from notifications.privacy import assert_no_personal_data
from tests.jobs.conftest import at, notice

runner = CliRunner()


def test_jobs_turn_a_passed_redemption_end_into_missed_and_one_mail_to_the_manager(
        app, client, landlord, make_user, smtp, env_settings, monkeypatch, db):
    monkeypatch.setenv("VARSEL_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("VARSEL_SMTP_PORT", str(smtp.port))
    from app.config import get_settings

    get_settings.cache_clear()
    make_user("chef", "manager", "sodermalm", email="chef@stad.example")
    make_user("h1", "handler", "sodermalm", email="h1@stad.example")
    app.state.clock = lambda: at(2026, 9, 1, 8, 0)  # long enough ago: the redemption end has passed
    answer = client.post("/api/v1/notices", headers=landlord.headers,
                         json=notice("PASSED-1", sent_on="2026-08-31", tenant_served_on="2026-08-31",
                                     termination_on="2026-08-28",
                                     arrears={"amount_sek": 9000, "due_date": "2026-08-01",
                                              "payment_instructions": "Bankgiro 123-4567"}))
    assert answer.status_code == 201, answer.text
    assert answer.json()["deadlines"][0]["date"] == "2026-09-21"
    with db() as session:  # the intake itself told the handlers once (digest) — not the manager
        digest = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "new_cases_digest")).all()
        assert [m.recipient for m in digest] == ["h1@stad.example"]

    result = runner.invoke(cli, ["jobs", "run", "sweep-deadlines"])
    assert result.exit_code == 0, result.output
    assert "deadlines missed" in result.stdout
    result = runner.invoke(cli, ["jobs", "run", "dispatch-outbox"])
    assert result.exit_code == 0, result.output

    with db() as session:
        redemption = session.scalar(select(Deadline).where(Deadline.kind == "redemption_period_end"))
        assert redemption.status == "missed"
    to_manager = [m for m in smtp.messages if m["To"] == "chef@stad.example"]
    redemption_mails = [m for m in to_manager if "återvinningsfristen" in m.get_content()]
    assert len(redemption_mails) == 1
    mail = redemption_mails[0]
    assert mail["Subject"].startswith("Missad tidsfrist: ärende ")
    assert "http://127.0.0.1:8000/arenden/" in mail.get_content()
    sent_before = len(smtp.messages)
    assert sent_before >= 3  # the digest to the handler, the missed first contact and redemption end
    for message in smtp.messages:  # no personal details in any outgoing mail
        text = message["Subject"] + message.get_content()
        assert "Anna" not in text and "Andersson" not in text and "Götgatan" not in text
        assert_no_personal_data(text)  # raises on anything shaped like an identity number or an email address

    assert runner.invoke(cli, ["jobs", "run", "sweep-deadlines"]).exit_code == 0
    assert runner.invoke(cli, ["jobs", "run", "dispatch-outbox"]).exit_code == 0
    assert len(smtp.messages) == sent_before
    with db() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)
                              .where(OutboxMessage.status != "sent", OutboxMessage.channel == "email")) == 0
    get_settings.cache_clear()


def test_an_estimated_end_is_not_declared_missed_until_its_real_date_has_passed(app, client, landlord, make_user,
                                                                                sessions, db):
    """Not yet served: the redemption end shown is the earliest possible, and its passing says
    nothing. Once the landlord reports the service, the real end is computed, and when that has
    passed too (here: already) the sweep declares it missed, once."""
    from app.jobs.sweep import sweep

    make_user("chef", "manager", "sodermalm", email="chef@stad.example")
    app.state.clock = lambda: at(2026, 9, 1, 8, 0)
    answer = client.post("/api/v1/notices", headers=landlord.headers,
                         json=notice("ESTIMATED-1", sent_on="2026-08-31", tenant_served_on=None,
                                     termination_on="2026-08-28",
                                     arrears={"amount_sek": 9000, "due_date": "2026-08-01",
                                              "payment_instructions": "Bankgiro 123-4567"}))
    assert answer.status_code == 201, answer.text
    assert answer.json()["deadlines"][0] == {**answer.json()["deadlines"][0], "date": "2026-09-21", "estimated": True}

    def redemption() -> Deadline:
        with db() as session:
            return session.scalar(select(Deadline).where(Deadline.kind == "redemption_period_end"))

    first = sweep(sessions, now=lambda: at(2026, 9, 22, 12, 0))  # the earliest possible end has passed
    assert (redemption().status, first.missed) == ("pending", 1)  # only the first contact
    assert redemption().passed_checked_at is not None
    assert sweep(sessions, now=lambda: at(2026, 9, 22, 12, 5)).skipped == 0  # looked at once

    app.state.clock = lambda: at(2026, 9, 23, 8, 0)
    served = client.post(f"/api/v1/notices/{answer.json()['id']}/events", headers=landlord.headers,
                         json={"type": "tenant_served", "occurred_on": "2026-09-01"})
    assert served.status_code == 201, served.text
    assert served.json()["deadlines"][0]["date"] == "2026-09-22" and not served.json()["deadlines"][0]["estimated"]
    assert redemption().passed_checked_at is None  # planned again: to be looked at again

    second = sweep(sessions, now=lambda: at(2026, 9, 23, 9, 0))
    assert (redemption().status, second.missed) == ("missed", 1)
    assert sweep(sessions, now=lambda: at(2026, 9, 23, 9, 5)).missed == 0
    with db() as session:
        to_managers = session.scalars(select(OutboxMessage.dedup_key).where(
            OutboxMessage.template == "deadline_missed")).all()
    assert len(to_managers) == len(set(to_managers)) == 2  # the first contact's and the end's, once each
