"""`varsel demo` seeds twelve months of fictitious case work, made by the real code paths, once."""

from __future__ import annotations

import random
from datetime import timedelta

from sqlalchemy import func, select
from typer.testing import CliRunner

from app.calendar import STOCKHOLM, local_today
from app.cases.models import Case, ContactAttempt, PaymentCommitment, TimelineEvent
from app.cli import cli
from app.db import utcnow
from app.deadlines import rules
from app.deadlines.models import Deadline
from app.demo_history import DISTRICT_HANDLERS
from app.demo_notices import HISTORY_PREFIX, TEST_SERIALS, person
from app.households.models import JointAssessmentPart
from app.identity import parse_identity_number
from app.notices.models import Notice
from app.reports.month import Month
from app.reports.summary import compute_summary
from app.routing.models import District
from app.vocabulary import STATUTORY_DEADLINES, NoticeKind, Outcome, codes
from notifications.models import OutboxMessage

runner = CliRunner()


def _history(session):
    return select(Notice).where(Notice.external_id.like(f"{HISTORY_PREFIX}%"))


def test_the_demo_seeds_a_year_of_cases_in_every_district_once(env_settings, db):
    result = runner.invoke(cli, ["demo", "--seed-only"])
    assert result.exit_code == 0, result.output
    now = utcnow()
    with db() as session:
        notices = list(session.scalars(_history(session)))
        assert len(notices) >= 250
        # Twelve months back from today, each of them with notices; none in the future.
        months = {n.received_at.astimezone(STOCKHOLM).strftime("%Y-%m") for n in notices}
        expected = {str(Month.of(now).shift(-k)) for k in range(1, 13)}
        assert expected <= months, sorted(expected - months)
        assert min(n.received_at for n in notices) >= now - timedelta(days=366)
        assert max(n.received_at for n in notices) < now
        assert {n.kind for n in notices} == set(codes(NoticeKind))
        current = {d.id for d in session.scalars(select(District)) if d.is_valid_on(local_today(now))}
        assert {n.district_id for n in notices} == current  # every district, and each notice routed
        # The deadlines are the law's arithmetic on what the notice (and the landlord's events) said.
        for notice in notices:
            wanted = {c.kind: c.due_on for c in rules.statutory_deadlines(notice.kind, notice.sent_on,
                                                                          notice.tenant_served_on)}
            stored = {d.kind: d.due_on for d in session.scalars(select(Deadline).where(
                Deadline.notice_id == notice.id, Deadline.kind.in_(STATUTORY_DEADLINES)))}
            assert stored == wanted, notice.external_id

        cases = list(session.scalars(select(Case).where(Case.id.in_({n.case_id for n in notices}))))
        assert {c.outcome for c in cases if c.status == "closed"} == set(codes(Outcome))
        assert sum(c.status == "open" for c in cases) >= 10  # the queue has work in it
        flags = {f for c in cases for f in c.flags}
        assert {"children", "age_65_plus", "household_unknown"} <= flags
        assert any(not c.flags for c in cases)  # households with nothing to flag
        missed = session.scalars(select(Deadline.kind).where(Deadline.status == "missed")).all()
        assert {"first_contact", "redemption_period_end"} <= set(missed)
        assert session.scalar(select(func.count()).select_from(ContactAttempt)) > 100
        assert session.scalar(select(func.count()).select_from(PaymentCommitment)) > 5
        parts = list(session.scalars(select(JointAssessmentPart)))
        assert sum(p.completed_at is not None for p in parts) > 5 and any(p.completed_at is None for p in parts)
        assert session.scalar(select(func.count()).select_from(TimelineEvent).where(
            TimelineEvent.type == "routed_manually")) > 0
        assert session.scalar(select(func.count()).select_from(TimelineEvent).where(
            TimelineEvent.type == "case_reopened")) > 0
        # Everything happened when it says it did: nothing on a timeline before its case was opened.
        opened = {c.id: c.opened_at for c in cases}
        events = session.execute(select(TimelineEvent.case_id, TimelineEvent.at)
                                 .where(TimelineEvent.case_id.in_(opened))).all()
        assert all(at >= opened[case_id] - timedelta(seconds=1) for case_id, at in events)

        # Last month's report has something true to show, city-wide and for Södermalm.
        last = Month.of(now).shift(-1)
        for district in (None, session.scalar(select(District).where(District.code == "sodermalm"))):
            summary = compute_summary(session, last, district, now=now)
            assert summary.notices.received > 0
            assert summary.cases.opened > 0 and summary.cases.closed > 0
            assert sum(summary.cases.closed_by_outcome.values()) == summary.cases.closed
            assert any(point.notices_received for point in summary.trend[:-1])  # the months before, too
        city = compute_summary(session, last, None, now=now)
        assert city.timeliness.missed_deadlines.total > 0
        assert city.joint_assessments.requested.total > 0
        assert city.households.children > 0
        # The history's old mails and letters are recorded as sent, not left for the first start to send.
        assert session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "sent")) > 100
        assert not session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "pending", OutboxMessage.created_at < now - timedelta(days=1)))
        count = len(notices)

    again = runner.invoke(cli, ["demo", "--seed-only"])
    assert again.exit_code == 0, again.output
    with db() as session:
        assert len(session.scalars(_history(session)).all()) == count
    assert all(username in result.stdout for username, _district, _name in DISTRICT_HANDLERS)


def test_the_history_people_carry_test_identity_numbers():
    rng = random.Random(1)
    today = local_today()
    numbers = [p["personal_identity_number"] for i in range(200)
               if "personal_identity_number" in (p := person(rng, today, i))]
    assert numbers
    for number in numbers:
        parse_identity_number(number, today=today)  # valid, so intake takes it
        assert number[-4:-1] in TEST_SERIALS
