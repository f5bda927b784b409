"""Gallring: purge the personal data of cases and notices past their retention.

Rules (`domain/law-and-deadlines.md`, configurable by settings):
- a case closed without any contact or measure: 12 months after closing;
- other closed cases: 5 years after the last entry, except when a person in it
  was born on the 5th, 15th or 25th of a month (kept for research, SoF 2025:468
  13 kap. 1 §);
- notices that never reached a district: 12 months after receipt;
- test notices (sent with a landlord's test key) and their cases: 30 days after
  receipt. They are deleted, not scrubbed: they were never work nor statistics.
What stays of real data: the rows themselves with kinds, dates, district, flags, outcome
and deadlines — the aggregate statistics. Each purge is written to the audit
log with the rule that applied, never with the purged content.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import delete, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from app.cases.models import Case, EvictionNotice, TimelineEvent
from app.config import Settings
from app.db import transaction
from app.jobs.base import JobContext, JobRun
from app.households.models import JointAssessmentPart
from app.notices.models import Notice
from app.security import audit
from app.security import sessions as web_sessions
from app.security import throttle
from app.security.actors import SYSTEM

log = structlog.get_logger("varsel.retention")

RESEARCH_DAYS = frozenset({5, 15, 25})


TEST_DATA_DAYS = 30  # the published contract ("Test keys"): not a setting


@dataclass
class PurgeResult:
    cases: int = 0
    notices: int = 0
    kept_for_research: int = 0
    test_notices: int = 0

    def __str__(self) -> str:
        return (f"purged {self.cases} cases and {self.notices} unrouted notices; "
                f"{self.kept_for_research} kept for research (born on the 5th, 15th or 25th); "
                f"{self.test_notices} test notices deleted")


def _scrub_notice(notice: Notice, now: datetime) -> None:
    for tenant in notice.tenants:
        tenant.name = None
        tenant.pin_encrypted = None
        tenant.pin_hash = None
        tenant.birth_date = None
        tenant.phone = None
        tenant.email = None
    notice.street_address = None
    notice.city = None
    notice.apartment_number = None
    notice.lat = None
    notice.lon = None
    notice.tenancy_key = None
    notice.contact = None
    if notice.arrears:
        notice.arrears = {"amount_sek": notice.arrears.get("amount_sek")}
    if notice.disturbance:
        notice.disturbance = {"requested_on": notice.disturbance.get("requested_on")}
    notice.routing = {k: v for k, v in (notice.routing or {}).items() if k not in ("inputs", "notes", "manual")}
    notice.purged_at = now


def _scrub_case(session: Session, case: Case, now: datetime) -> None:
    for notice in case.notices:
        _scrub_notice(notice, now)
    for contact in case.contacts:
        contact.note = None
    for commitment in case.commitments:
        commitment.note = None
    case.outcome_note = None
    # Free text on the timeline: the closing note and the reason for reopening.
    for event in session.scalars(select(TimelineEvent).where(
            TimelineEvent.case_id == case.id, TimelineEvent.type.in_(("case_closed", "case_reopened")))):
        event.data = {k: v for k, v in event.data.items() if k not in ("note", "reason")}
    case.household = {k: v for k, v in case.household.items() if k in ("repeat",)}
    for part in session.scalars(select(JointAssessmentPart).where(JointAssessmentPart.case_id == case.id)):
        part.conclusion = None
        part.reason = None
    for record in session.scalars(select(EvictionNotice).where(EvictionNotice.case_id == case.id)):
        record.tenant_name = None
        record.pin_encrypted = None
        record.pin_hash = None
        record.street_address = None
        record.apartment_number = None


def _had_measure(session: Session, case: Case) -> bool:
    if case.contacts or case.commitments:
        return True
    return session.scalar(select(JointAssessmentPart.id).where(JointAssessmentPart.case_id == case.id,
                                                               JointAssessmentPart.accepted_at.is_not(None))) is not None


def _research_person(case: Case) -> bool:
    return any(t.birth_date is not None and t.birth_date.day in RESEARCH_DAYS
               for n in case.notices for t in n.tenants)


def purge_expired(sessions: sessionmaker[Session], settings: Settings, *, now: datetime,
                  batch: int = 200) -> PurgeResult:
    result = PurgeResult()
    with transaction(sessions) as session:
        result.test_notices = _delete_test_data(session, now)
    no_measure_before = now - timedelta(days=settings.retention_no_measure_days)
    closed_before = now - timedelta(days=settings.retention_closed_days)
    with transaction(sessions) as session:
        candidates = session.scalars(
            select(Case).where(Case.status == "closed", Case.closed_at <= no_measure_before)
            .join(Notice, Notice.case_id == Case.id).where(Notice.purged_at.is_(None)).distinct()
            .options(selectinload(Case.notices).selectinload(Notice.tenants), selectinload(Case.contacts),
                     selectinload(Case.commitments))
            .limit(batch * 10)
        ).all()
        for case in candidates:
            if not _had_measure(session, case):
                rule = f"closed without contact or measure, {settings.retention_no_measure_days} days after closing"
            elif case.last_activity_at <= closed_before:
                if _research_person(case):
                    result.kept_for_research += 1
                    continue
                rule = f"closed, {settings.retention_closed_days} days after the last entry"
            else:
                continue
            _scrub_case(session, case, now)
            audit.record(session, SYSTEM, "purge.case", object_type="case", object_id=case.id,
                         district_id=case.district_id, details={"rule": rule})
            result.cases += 1
        unrouted_before = now - timedelta(days=settings.retention_unrouted_days)
        for notice in session.scalars(
            select(Notice).where(Notice.district_id.is_(None), Notice.purged_at.is_(None),
                                 Notice.received_at <= unrouted_before)
            .options(selectinload(Notice.tenants)).limit(batch * 10)
        ):
            _scrub_notice(notice, now)
            audit.record(session, SYSTEM, "purge.notice", object_type="notice", object_id=notice.id,
                         details={"rule": f"never routed to a district, {settings.retention_unrouted_days} days"})
            result.notices += 1
    log.info("purge_done", cases=result.cases, notices=result.notices, kept=result.kept_for_research,
             test_notices=result.test_notices)
    return result


def _delete_test_data(session: Session, now: datetime, chunk: int = 500) -> int:
    """Test notices received more than TEST_DATA_DAYS ago, and their cases, with everything that hangs on them.

    The database's cascades take the rest (tenants, events, deadlines and their timers, the timeline,
    joint-assessment parts). A test case holds its one test notice only (`app/cases/matching.py`).
    """
    before = now - timedelta(days=TEST_DATA_DAYS)
    deleted = 0
    while True:
        rows = session.execute(select(Notice.id, Notice.case_id).where(Notice.test.is_(True),
                                                                       Notice.received_at <= before).limit(chunk)).all()
        if not rows:
            break
        session.execute(delete(Notice).where(Notice.id.in_([r.id for r in rows]))
                        .execution_options(synchronize_session=False))
        cases = [r.case_id for r in rows if r.case_id is not None]
        session.execute(delete(Case).where(Case.id.in_(cases), Case.test.is_(True),
                                           ~select(Notice.id).where(Notice.case_id == Case.id).exists())
                        .execution_options(synchronize_session=False))
        deleted += len(rows)
    if deleted:
        audit.record(session, SYSTEM, "purge.test_data", object_type="notice",
                     details={"notices": deleted, "rule": f"test key, {TEST_DATA_DAYS} days after receipt"})
    return deleted


JOB_RUN_HISTORY = timedelta(days=30)


def run(context: JobContext) -> PurgeResult:
    """The `purge-expired` job: gallring; the job-run history kept to a month; ended sessions and spent
    sign-in counts (they hold addresses and usernames) forgotten."""
    result = purge_expired(context.sessions, context.settings, now=context.now())
    # The dispatcher runs every few seconds: keep a month of run records, not all of them.
    with transaction(context.sessions) as session:
        session.execute(delete(JobRun).where(JobRun.started_at < context.now() - JOB_RUN_HISTORY))
        web_sessions.purge(session, context.settings, context.now())
        throttle.purge(session, context.settings, context.now())
    return result
