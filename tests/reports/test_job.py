"""The `monthly-reports` job: archived once per change, mailed once per manager, with a real SMTP server."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select, update

from app.calendar import STOCKHOLM
from app.jobs.reports import monthly_catch_up, report_month, run_monthly_reports
from app.reports.models import ReportArchive
from app.routing.models import District
from app.jobs.base import JobContext
from app.security.models import User
from notifications.email import SmtpChannel
from notifications.models import OutboxMessage
from notifications.outbox import dispatch
from tests.reports.conftest import TENANT_NAME
from tests.reports.expected import SODERMALM_OCTOBER
from tests.reports.forms import pdf_text
from tests.support.smtp import SmtpServer

RUN_AT = datetime(2026, 11, 1, 7, 0, tzinfo=STOCKHOLM)


@pytest.fixture
def smtp():
    server = SmtpServer().start()
    yield server
    server.stop()


@pytest.fixture
def mail_settings(settings, smtp):
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp.port,
                                       "smtp_from": "varsel@stad.example"})


@pytest.fixture
def managers(make_user, db):
    make_user("chef", "manager", "sodermalm", email="chef@stad.example")
    make_user("chef2", "manager", "sodermalm", email="chef2@stad.example")
    make_user("chef-utan-epost", "manager", "sodermalm")
    make_user("chef-slutat", "manager", "sodermalm", email="slutat@stad.example")
    make_user("jchef", "manager", "jarva", email="jchef@stad.example")
    make_user("handlaggare2", "handler", "sodermalm", email="h2@stad.example")
    with db() as session:
        session.execute(update(User).where(User.username == "chef-slutat").values(active=False))


def _run(settings, sessions, at: datetime = RUN_AT) -> str:
    return run_monthly_reports(JobContext(settings, sessions, lambda: at))


def _reports(smtp) -> list:
    return [m for m in smtp.messages if m["Subject"].startswith("Månadsrapport")]


def _send(mail_settings, sessions) -> None:
    dispatch(sessions, {"email": SmtpChannel(mail_settings)})


def test_each_manager_gets_one_mail_with_the_pdf_and_a_rerun_sends_nothing(
        history, managers, settings, mail_settings, sessions, smtp, db):
    result = _run(settings, sessions)
    assert result == "monthly reports for 2026-10: 11 districts and the city; 12 new versions archived, 3 emails queued"
    _send(mail_settings, sessions)

    mails = _reports(smtp)
    assert sorted(m["To"] for m in mails) == ["chef2@stad.example", "chef@stad.example", "jchef@stad.example"]
    mail = next(m for m in mails if m["To"] == "chef@stad.example")
    assert mail["Subject"] == "Månadsrapport oktober 2026: Södermalm"
    body = mail.get_body(preferencelist=("plain",)).get_content()
    for line in ("- Underrättelser från hyresvärdar: 5", "- Nya ärenden: 5", "- Avslutade ärenden: 4",
                 "- Genomförda avhysningar: 2, varav hushåll med barn: 1", "- Missade tidsfrister: 5",
                 "- Öppna ärenden vid månadens slut: 4",
                 "http://127.0.0.1:8000/rapporter?manad=2026-10"):
        assert line in body, line
    [attachment] = list(mail.iter_attachments())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == "manadsrapport-sodermalm-2026-10.pdf"
    text = pdf_text(attachment.get_content())
    assert "Månadsrapport oktober 2026" in text and "Södermalm" in text
    assert "Mottagna underrättelser 5" in text and "– varav hushåll med barn 1" in text
    jarva = next(m for m in mails if m["To"] == "jchef@stad.example")
    assert jarva["Subject"] == "Månadsrapport oktober 2026: Järva"
    assert "Mottagna underrättelser 1" in pdf_text(next(jarva.iter_attachments()).get_content())
    for message in mails:
        content = message.get_body(preferencelist=("plain",)).get_content()
        assert TENANT_NAME not in content and "Götgatan" not in content

    with db() as session:
        archive = session.scalars(select(ReportArchive).order_by(ReportArchive.created_at)).all()
        assert len(archive) == 12 and {row.version for row in archive} == {1}
        assert {row.month for row in archive} == {"2026-10"}
        assert sum(row.district_id is None for row in archive) == 1
        sodermalm = session.scalar(select(District).where(District.code == "sodermalm"))
        row = next(r for r in archive if r.district_id == sodermalm.id)
        assert row.format == "pdf" and row.path == "reports/2026-10/sodermalm-v1.pdf"
        content = dict(row.content)
        assert content.pop("generated_at") == "2026-11-01T07:00:00+01:00"
        expected = dict(SODERMALM_OCTOBER)
        expected.pop("generated_at")
        # The job ran at 07:00 on 1 November: the numbers are October's, complete.
        assert content == expected
        stored = Path(settings.storage_dir) / row.path
        assert PdfReader(io.BytesIO(stored.read_bytes())).pages
        outbox = session.scalars(select(OutboxMessage).where(OutboxMessage.template == "monthly_report")).all()
        chef = session.scalar(select(User).where(User.username == "chef"))
        assert f"report:2026-10:{sodermalm.id}:{chef.id}" in {m.dedup_key for m in outbox}
        assert all(m.status == "sent" for m in outbox)

    # Again, and again later the same day: the same numbers, so no new version and no mail.
    for at in (RUN_AT, RUN_AT.replace(hour=9)):
        assert _run(settings, sessions, at).endswith("0 new versions archived, 0 emails queued")
    _send(mail_settings, sessions)
    assert len(_reports(smtp)) == 3
    with db() as session:
        assert len(session.scalars(select(ReportArchive)).all()) == 12


def test_a_late_correction_makes_a_new_version_but_no_second_mail(
        history, managers, settings, mail_settings, sessions, smtp, db, client, app):
    _run(settings, sessions)
    _send(mail_settings, sessions)
    assert len(_reports(smtp)) == 3
    # The handler learns that C4's household has a child: October's households with children go from 2 to 3.
    answer = client.post(f"/api/v1/cases/{history.cases['N4']}/household",
                         json={"children_under_18": 1, "residents_65_or_older": 0}, headers=history.worker)
    assert answer.status_code == 200, answer.text
    result = _run(settings, sessions, RUN_AT.replace(hour=12))
    assert result.endswith("2 new versions archived, 0 emails queued")  # Södermalm and the city
    _send(mail_settings, sessions)
    assert len(_reports(smtp)) == 3
    with db() as session:
        sodermalm = session.scalar(select(District).where(District.code == "sodermalm"))
        versions = session.scalars(select(ReportArchive).where(ReportArchive.district_id == sodermalm.id)
                                   .order_by(ReportArchive.version)).all()
        assert [v.version for v in versions] == [1, 2]
        assert [v.content["households"]["children"] for v in versions] == [2, 3]
        assert versions[1].path == "reports/2026-10/sodermalm-v2.pdf"
        city = session.scalars(select(ReportArchive).where(ReportArchive.district_id.is_(None))).all()
        assert sorted(v.version for v in city) == [1, 2]
        # Both files are kept: what was mailed stays on record.
        assert all((Path(settings.storage_dir) / v.path).is_file() for v in versions)


def test_a_manager_added_later_gets_the_newest_version_once(history, managers, settings, mail_settings, sessions,
                                                             smtp, make_user):
    _run(settings, sessions)
    make_user("ny-chef", "manager", "sodermalm", email="ny.chef@stad.example")
    assert _run(settings, sessions, RUN_AT.replace(hour=8)).endswith("0 new versions archived, 1 emails queued")
    _run(settings, sessions, RUN_AT.replace(hour=9))
    _send(mail_settings, sessions)
    assert sorted(m["To"] for m in _reports(smtp)).count("ny.chef@stad.example") == 1


def test_the_job_reports_last_month_and_catches_up_a_missed_run():
    assert str(report_month(datetime(2026, 11, 1, 7, 0, tzinfo=STOCKHOLM))) == "2026-10"
    assert str(report_month(datetime(2027, 1, 1, 7, 0, tzinfo=STOCKHOLM))) == "2026-12"
    # 00:30 on 1 November in Stockholm is still 31 October in UTC: the report is October's all the same.
    assert str(report_month(datetime(2026, 10, 31, 23, 30, tzinfo=UTC))) == "2026-10"
    assert str(report_month(datetime(2026, 10, 31, 22, 59, tzinfo=UTC))) == "2026-09"
    due = datetime(2026, 11, 1, 7, 0, tzinfo=STOCKHOLM)
    assert monthly_catch_up(None, due)
    assert monthly_catch_up(datetime(2026, 10, 1, 7, 0, tzinfo=STOCKHOLM), datetime(2026, 11, 3, tzinfo=STOCKHOLM))
    assert not monthly_catch_up(datetime(2026, 11, 1, 7, 0, 5, tzinfo=STOCKHOLM),
                                datetime(2026, 11, 20, tzinfo=STOCKHOLM))
    # Before 07:00 on the 1st, the newest due run is last month's.
    assert not monthly_catch_up(datetime(2026, 10, 1, 7, 0, 5, tzinfo=STOCKHOLM),
                                datetime(2026, 11, 1, 6, 0, tzinfo=STOCKHOLM))
    assert monthly_catch_up(datetime(2026, 9, 30, tzinfo=STOCKHOLM), datetime(2026, 11, 1, 6, 0, tzinfo=STOCKHOLM))
