"""The one way to change a case (rule 3 of the design). Only `app/cases/service.py` calls it.

Every function here writes a timeline event (who, what, when, why) and
recomputes what depends on the change: priority, flags, joint-assessment units
and the next deadline the queue sorts by. Nothing else assigns `Case.status`,
`Case.priority`, `Case.household` or `Deadline.status`. What a case's status
allows is the table `ALLOWED`; the functions that change the status check it
themselves, so no caller can close a closed case.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.cases import notify, plan, queue
from app.cases.models import Case, CaseNumber, ContactAttempt, PaymentCommitment, TimelineEvent
from app.db import utcnow
from app.deadlines import rules
from app.deadlines import service as deadlines
from app.deadlines.models import Deadline
from app.households.models import JointAssessmentPart
from app.ids import new_id
from app.notices.models import Notice
from app.routing.models import District
from app.security.actors import Actor
from app.vocabulary import CaseStatus, DeadlineKind, DeadlineStatus, NoticeStatus, TimelineType
from notifications import outbox

# What may be done to a case in each status. Working a case needs it open; a closed case can only be reopened.
ALLOWED: dict[CaseStatus, frozenset[str]] = {
    CaseStatus.OPEN: frozenset({"assign", "contact", "payment_commitment", "household", "close", "budget_advice",
                                "joint_assessment.accept", "joint_assessment.complete"}),
    CaseStatus.CLOSED: frozenset({"reopen"}),
}


class NotAllowed(Exception):
    """The case's status does not allow this command."""

    def __init__(self, command: str, status: str) -> None:
        super().__init__(f"{command} is not allowed on a case that is {status}")
        self.command = command
        self.status = status


def ensure_allowed(case: Case, command: str) -> None:
    if command not in ALLOWED[CaseStatus(case.status)]:
        raise NotAllowed(command, case.status)


def record(
    session: Session,
    case: Case,
    type_: str,
    actor: Actor,
    data: dict[str, Any] | None = None,
    *,
    notice_id: uuid.UUID | None = None,
    at: datetime | None = None,
) -> TimelineEvent:
    event = TimelineEvent(
        case_id=case.id,
        at=at or utcnow(),
        type=type_,
        actor_kind=actor.kind,
        actor_name=actor.name,
        notice_id=notice_id,
        data=data or {},
    )
    session.add(event)
    case.last_activity_at = event.at
    return event


def _case_number(session: Session, now: datetime) -> str:
    # Only the sequence value is needed: one INSERT … RETURNING, without an ORM object and a flush.
    table = CaseNumber.__table__
    number = session.execute(insert(table).returning(table.c.id)).scalar_one()
    return plan.case_number(now, number)


def open_case(session: Session, *, district_id: uuid.UUID | None, actor: Actor, now: datetime,
              first_notice: Notice | None = None) -> Case:
    """Open a case; `first_notice` (not yet stored) is stored with it, so that its row names the case at once.

    The case is flushed here: its timeline, deadlines and messages refer to it by
    foreign key only, and the ORM would not order their INSERTs after the case's.
    """
    case = Case(
        id=new_id(),
        number=_case_number(session, now),
        district_id=district_id,
        # Set, not lazy-loaded: the district is already in the session (routing looked it up).
        district=session.get(District, district_id) if district_id is not None else None,
        status=CaseStatus.OPEN,
        opened_at=now,
        last_activity_at=now,
        flags=[],
        explanation={},
        household={},
        joint_assessment_units=[],
        test=first_notice.test if first_notice is not None else False,  # a test key's notice: a test case
        # A new case has nothing stored yet: empty collections spare a SELECT each on first use.
        notices=[first_notice] if first_notice is not None else [],
        deadlines=[],
        contacts=[],
        commitments=[],
    )
    session.add(case)
    session.flush()
    record(session, case, TimelineType.CASE_OPENED, actor,
           {"district_id": str(district_id) if district_id else None}, at=now)
    return case


def attach_notice(session: Session, case: Case, notice: Notice, actor: Actor, *, repeat: str | None) -> None:
    with session.no_autoflush:
        if notice not in case.notices:  # a case's first notice is already there (open_case)
            case.notices.append(notice)
    data: dict[str, Any] = {"kind": notice.kind, "external_id": notice.external_id, "sent_on": notice.sent_on.isoformat()}
    if repeat:
        data["repeat"] = repeat
        case.household = {**case.household, "repeat": repeat}
    record(session, case, TimelineType.NOTICE_RECEIVED, actor, data, notice_id=notice.id, at=notice.received_at)


def add_deadline(session: Session, case: Case, notice: Notice | None, computed: rules.ComputedDeadline) -> Deadline:
    deadline = deadlines.add(session, case, notice, computed)
    refresh(case)
    return deadline


def resolve_deadline(
    session: Session, case: Case, deadline: Deadline, status: str, resolution: str, actor: Actor,
    *, at: datetime | None = None,
) -> bool:
    """pending → met | missed | cancelled. Returns False when the deadline was not pending."""
    if deadline.status != DeadlineStatus.PENDING or status not in ("met", "missed", "cancelled"):
        return False
    deadline.status = status
    deadline.resolution = resolution
    deadline.resolved_at = at or utcnow()
    record(session, case, f"deadline_{status}", actor,
           {"kind": deadline.kind, "resolution": resolution, "deadline_id": str(deadline.id)},
           notice_id=deadline.notice_id, at=deadline.resolved_at)
    refresh(case)
    return True


def refresh(case: Case) -> None:
    case.next_due_at, case.next_firm_due_at, case.overdue_since = queue.sort_keys(case)


def reassess(session: Session, case: Case, actor: Actor) -> bool:
    """Recompute flags, priority and joint-assessment units; record the change. Returns True if changed.

    What changes is decided by `plan.reassessment` (the same rules the batch writer applies to
    its drafts): joint-assessment units only join (a unit once asked stays asked), and the
    service-level deadlines follow: first contact tightens with priority, families with
    children get the budget-advice offer.
    """
    decided = plan.reassessment(case)
    plan.apply_assessment(case, decided)
    if case.status == CaseStatus.OPEN:
        _service_deadlines(session, case, decided)
        for unit in decided.new_units:
            _request_joint_assessment(session, case, unit, actor, decided.reason_for(unit))
    refresh(case)
    if not decided.changed:
        return False
    record(session, case, TimelineType.CASE_ASSESSED, actor, decided.timeline())
    return True


def _service_deadlines(session: Session, case: Case, decided: plan.Reassessment) -> None:
    if decided.first_contact_action == "add":
        assert decided.first_contact is not None
        deadlines.add(session, case, None, decided.first_contact)
    elif decided.first_contact_action == "tighten":
        assert decided.first_contact is not None
        first = next(d for d in case.deadlines if d.kind == DeadlineKind.FIRST_CONTACT)
        first.due_at = decided.first_contact.due_at
        first.due_on = decided.first_contact.due_on
        first.computed_from = plan.tightened_from(first.computed_from, decided.first_contact)
        deadlines.plan_alerts(session, case, first)
    if decided.budget_advice is not None:
        deadlines.add(session, case, None, decided.budget_advice)


def _request_joint_assessment(session: Session, case: Case, unit: str, actor: Actor,
                              why: str | None) -> JointAssessmentPart:
    part = JointAssessmentPart(case_id=case.id, unit=unit, requested_by=actor.name, reason=why)
    session.add(part)
    record(session, case, TimelineType.JOINT_ASSESSMENT_REQUESTED, actor, {"unit": unit, "reason": why})
    notify.joint_assessment_requested(session, case, unit)
    return part


# --------------------------------------------------------------------------- case work

def assign(session: Session, case: Case, user: Any, actor: Actor) -> None:
    ensure_allowed(case, "assign")
    previous = case.assigned_to.username if case.assigned_to else None
    case.assigned_to_id = user.id
    case.assigned_to = user
    record(session, case, TimelineType.ASSIGNED, actor, {"from": previous, "to": user.username})
    reassess(session, case, actor)
    # Kronofogden's acknowledgement names the responsible handler: it can go now.
    notify.request_acknowledgements(session, case)


def record_contact(session: Session, case: Case, *, channel: str, reached: bool, note: str | None,
                   actor: Actor, now: datetime) -> ContactAttempt:
    ensure_allowed(case, "contact")
    attempt = ContactAttempt(case_id=case.id, at=now, channel=channel, reached=reached, note=note,
                             by_user_id=actor.id, by_name=actor.name)
    with session.no_autoflush:
        case.contacts.append(attempt)
    record(session, case, TimelineType.CONTACT_ATTEMPT, actor, {"channel": channel, "reached": reached}, at=now)
    first = next((d for d in case.deadlines if d.kind == DeadlineKind.FIRST_CONTACT), None)
    if reached and case.first_contact_at is None:
        case.first_contact_at = now
    # First contact is met when the household was reached, or after two recorded attempts.
    if first is not None and (reached or len(case.contacts) >= 2):
        resolve_deadline(session, case, first, "met", "reached" if reached else "two_attempts", actor, at=now)
    refresh(case)
    return attempt


def register_payment_commitment(session: Session, case: Case, *, amount_sek: Any, covers_until: Any,
                                decided_on: Any, note: str | None, actor: Actor, now: datetime) -> PaymentCommitment:
    ensure_allowed(case, "payment_commitment")
    redemption = next(
        (d for d in sorted(case.deadlines, key=lambda d: d.due_at)
         if d.kind == DeadlineKind.REDEMPTION_PERIOD_END and d.status in ("pending", "met", "missed")),
        None,
    )
    sent_on = (redemption.computed_from or {}).get("sent_on") if redemption else None
    effect = rules.payment_commitment_effect(decided_on, redemption.due_on if redemption else None,
                                             redemption is not None and redemption.status == DeadlineStatus.MISSED,
                                             date.fromisoformat(sent_on) if sent_on else None)
    commitment = PaymentCommitment(
        case_id=case.id, notice_id=redemption.notice_id if redemption else None, amount_sek=amount_sek,
        covers_until=covers_until, decided_on=decided_on, note=note, statutory=effect.statutory,
        statutory_reason=effect.reason, created_by=actor.name, created_at=now,
    )
    with session.no_autoflush:
        case.commitments.append(commitment)
    record(session, case, TimelineType.PAYMENT_COMMITMENT, actor, {
        "amount_sek": str(amount_sek), "covers_until": covers_until.isoformat(),
        "decided_on": decided_on.isoformat(), "statutory": effect.statutory,
    }, at=now)
    if effect.statutory and redemption is not None:
        resolve_deadline(session, case, redemption, "met", "payment_commitment", actor, at=now)
    session.flush()
    outbox.enqueue(session, channel="letter", template="payment_commitment_letter",
                   dedup_key=f"commitment-letter:{commitment.id}", case_id=case.id, district_id=case.district_id,
                   payload={"commitment_id": str(commitment.id)})
    return commitment


def close(session: Session, case: Case, *, outcome: str, note: str | None, actor: Actor, now: datetime) -> None:
    ensure_allowed(case, "close")
    case.status = CaseStatus.CLOSED
    case.closed_at = now
    case.outcome = outcome
    case.outcome_note = note
    for deadline in case.pending_deadlines:
        resolve_deadline(session, case, deadline, "cancelled", "case_closed", actor, at=now)
    record(session, case, TimelineType.CASE_CLOSED, actor, {"outcome": outcome, "note": note}, at=now)
    refresh(case)


def reopen(session: Session, case: Case, *, reason: str, actor: Actor, now: datetime) -> list[Deadline]:
    """closed → open. The deadlines the closing cancelled come back while their time has not passed."""
    ensure_allowed(case, "reopen")
    previous = case.outcome
    case.status = CaseStatus.OPEN
    case.closed_at = None
    case.outcome = None
    case.outcome_note = None
    reinstated = [d for d in case.deadlines if d.status == DeadlineStatus.CANCELLED
                  and d.resolution == "case_closed" and d.due_at > now]
    for deadline in reinstated:
        deadline.status = DeadlineStatus.PENDING
        deadline.resolution = None
        deadline.resolved_at = None
        deadlines.plan_alerts(session, case, deadline)
    record(session, case, TimelineType.CASE_REOPENED, actor, {
        "reason": reason, "previous_outcome": previous, "deadlines_reinstated": [d.kind for d in reinstated],
    }, at=now)
    reassess(session, case, actor)
    refresh(case)
    return reinstated


def route_notice(session: Session, notice: Notice, district: District, actor: Actor, now: datetime, *,
                 routing: dict[str, Any], timeline_type: str) -> None:
    """A notice no method could route at intake gets its district (manual routing or the geocoder).

    The notice's case, if it has no district yet, follows it: the district's
    handlers hear of it and the case is assessed under the district's policy.
    """
    notice.routing = routing
    notice.district_id = district.id
    notice.district = district
    if notice.status == NoticeStatus.RECEIVED:
        notice.status = NoticeStatus.ROUTED
    case = notice.case
    if case is not None and case.district_id is None:
        case.district_id = district.id
        case.district = district
        record(session, case, timeline_type, actor, {"district": district.code}, notice_id=notice.id, at=now)
        reassess(session, case, actor)
        notify.new_case(session, case, now)


def accept_joint_part(session: Session, case: Case, part: JointAssessmentPart, actor: Actor, now: datetime) -> None:
    ensure_allowed(case, "joint_assessment.accept")
    if part.accepted_at is None:
        part.accepted_at = now
        part.accepted_by_id = actor.id
        record(session, case, TimelineType.JOINT_ASSESSMENT_ACCEPTED, actor, {"unit": part.unit}, at=now)


def complete_joint_part(session: Session, case: Case, part: JointAssessmentPart, conclusion: str, actor: Actor,
                        now: datetime) -> None:
    ensure_allowed(case, "joint_assessment.complete")
    if part.accepted_at is None:
        part.accepted_at = now
        part.accepted_by_id = actor.id
        record(session, case, TimelineType.JOINT_ASSESSMENT_ACCEPTED, actor, {"unit": part.unit}, at=now)
    part.completed_at = now
    part.conclusion = conclusion
    record(session, case, TimelineType.JOINT_ASSESSMENT_COMPLETED, actor, {"unit": part.unit}, at=now)


# --------------------------------------------------------------------------- the household

def set_household(session: Session, case: Case, source: str, facts: dict[str, Any], actor: Actor, now: datetime,
                  *, timeline: dict[str, Any]) -> None:
    """Who lives there, as `source` ('staff' or 'register') found out; the case is reassessed."""
    case.household = {**case.household, source: facts}
    if source == "register":
        case.household_lookup = "done"
    record(session, case, TimelineType.HOUSEHOLD_SET if source == "staff" else TimelineType.HOUSEHOLD_LOOKUP,
           actor, timeline, at=now)
    reassess(session, case, actor)


def household_lookup_failed(session: Session, case: Case, *, outcome: str, max_attempts: int, actor: Actor,
                            now: datetime) -> None:
    """The register did not know the household (`not_found`) or did not answer (`unavailable`)."""
    if outcome == "not_found":
        case.household_lookup = "not_found"
        record(session, case, TimelineType.HOUSEHOLD_LOOKUP, actor, {"outcome": "not_found"}, at=now)
        return
    attempts = int(case.household.get("register_attempts", 0)) + 1
    case.household = {**case.household, "register_attempts": attempts}
    if attempts >= max_attempts:
        case.household_lookup = "failed"


def note_eviction_scheduled(session: Session, case: Case, eviction_at: datetime, data: dict[str, Any],
                            actor: Actor, now: datetime) -> None:
    """Kronofogden's notice: the eviction time joins the household facts (it raises the priority)."""
    case.household = {**case.household, "kronofogden_eviction_at": eviction_at.isoformat()}
    record(session, case, TimelineType.KRONOFOGDEN_EVICTION_NOTICE, actor, data, at=now)
