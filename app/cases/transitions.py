"""The one way to change a case (rule 3 of the design).

Every function here writes a timeline event (who, what, when, why) and
recomputes what depends on the change: priority, flags, joint-assessment units
and the next deadline the queue sorts by. Nothing else assigns `Case.status`,
`Case.priority` or `Deadline.status`.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session, selectinload

from app.calendar import STOCKHOLM, end_of_day
from app.cases import notify
from notifications import outbox
from app.cases.models import PRIORITY_RANK, Case, CaseNumber, ContactAttempt, PaymentCommitment, TimelineEvent
from app.db import utcnow
from app.deadlines import rules
from app.deadlines import service as deadlines
from app.deadlines.policy import policy_for
from app.deadlines.models import Deadline
from app.households.models import JointAssessmentPart
from app.identity import age_on
from app.households.rules import HouseholdFacts, assess
from app.notices.models import Notice, Tenant
from app.routing.models import District
from app.security.actors import Actor


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
    return f"{now.astimezone(STOCKHOLM).year}-{number:06d}"


def open_case(session: Session, *, district_id: uuid.UUID | None, actor: Actor, now: datetime,
              first_notice: Notice | None = None) -> Case:
    """Open a case; `first_notice` (not yet stored) is stored with it, so that its row names the case at once.

    The case is flushed here: its timeline, deadlines and messages refer to it by
    foreign key only, and the ORM would not order their INSERTs after the case's.
    """
    case = Case(
        id=uuid.uuid4(),
        number=_case_number(session, now),
        district_id=district_id,
        # Set, not lazy-loaded: the district is already in the session (routing looked it up).
        district=session.get(District, district_id) if district_id is not None else None,
        status="open",
        opened_at=now,
        last_activity_at=now,
        flags=[],
        explanation={},
        household={},
        joint_assessment_units=[],
        # A new case has nothing stored yet: empty collections spare a SELECT each on first use.
        notices=[first_notice] if first_notice is not None else [],
        deadlines=[],
        contacts=[],
        commitments=[],
    )
    session.add(case)
    session.flush()
    record(session, case, "case_opened", actor, {"district_id": str(district_id) if district_id else None}, at=now)
    return case


def attach_notice(session: Session, case: Case, notice: Notice, actor: Actor, *, repeat: str | None) -> None:
    with session.no_autoflush:
        if notice not in case.notices:  # a case's first notice is already there (open_case)
            case.notices.append(notice)
    data: dict[str, Any] = {"kind": notice.kind, "external_id": notice.external_id, "sent_on": notice.sent_on.isoformat()}
    if repeat:
        data["repeat"] = repeat
        case.household = {**case.household, "repeat": repeat}
    record(session, case, "notice_received", actor, data, notice_id=notice.id, at=notice.received_at)


def resolve_deadline(
    session: Session, case: Case, deadline: Deadline, status: str, resolution: str, actor: Actor,
    *, at: datetime | None = None,
) -> bool:
    """pending → met | missed | cancelled. Returns False when the deadline was not pending."""
    if deadline.status != "pending" or status not in ("met", "missed", "cancelled"):
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
    case.next_due_at = deadlines.next_due_at(case)


def household_facts(case: Case) -> HouseholdFacts:
    ages: list[int] = []
    children: int | None = None
    children_source = None
    seniors: int | None = None
    seniors_source = None
    kinds = []
    for notice in case.notices:
        kinds.append(notice.kind)
        received = notice.received_at.astimezone(STOCKHOLM).date()
        for tenant in notice.tenants:
            if tenant.birth_date is not None:
                ages.append(age_on(tenant.birth_date, received))
        if notice.household_consent:
            if notice.household_children is not None:
                children = max(children or 0, notice.household_children)
                children_source = "landlord"
            if notice.household_65_plus is not None:
                seniors = max(seniors or 0, notice.household_65_plus)
                seniors_source = "landlord"
    register = case.household.get("register") or {}
    if register.get("children") is not None and children is None:
        children, children_source = register["children"], "population_register"
    if register.get("seniors") is not None and seniors is None:
        seniors, seniors_source = register["seniors"], "population_register"
    staff = case.household.get("staff") or {}
    if staff.get("children") is not None:
        children, children_source = staff["children"], "staff"
    if staff.get("seniors") is not None:
        seniors, seniors_source = staff["seniors"], "staff"
    return HouseholdFacts(
        notice_kinds=tuple(kinds),
        tenant_ages=tuple(ages),
        children=children,
        children_source=children_source,
        seniors=seniors,
        seniors_source=seniors_source,
        repeat=case.household.get("repeat"),
        eviction_scheduled=any(n.eviction_at is not None for n in case.notices)
        or bool(case.household.get("kronofogden_eviction_at")),
        kronofogden_without_handler=bool(case.household.get("kronofogden_eviction_at")) and case.assigned_to_id is None,
    )


def reassess(session: Session, case: Case, actor: Actor) -> bool:
    """Recompute flags, priority and joint-assessment units; record the change. Returns True if changed.

    Joint-assessment units only join (a unit once asked stays asked), and the
    service-level deadlines follow: first contact tightens with priority,
    families with children get the budget-advice offer.
    """
    assessment = assess(household_facts(case))
    units = sorted(set(case.joint_assessment_units) | set(assessment.units))
    before = (case.priority, list(case.flags), list(case.joint_assessment_units))
    case.priority = assessment.priority
    case.priority_rank = PRIORITY_RANK[assessment.priority]
    case.flags = list(assessment.flags)
    case.explanation = assessment.as_explanation()
    new_units = [u for u in units if u not in case.joint_assessment_units]
    case.joint_assessment_units = units
    after = (case.priority, list(case.flags), units)
    if case.status == "open":
        if "household_unknown" in case.flags and case.household_lookup is None:
            case.household_lookup = "pending"  # the household-lookups job asks the population register
        _service_deadlines(session, case)
        for unit in new_units:
            _request_joint_assessment(session, case, unit, actor, assessment.reasons)
    refresh(case)
    if before == after:
        return False
    record(session, case, "case_assessed", actor, {
        "priority": case.priority,
        "flags": case.flags,
        "joint_assessment_units": units,
        "rule": assessment.priority_rule,
    })
    return True


def _received_at(case: Case) -> datetime:
    return min((n.received_at for n in case.notices), default=case.opened_at)


def _service_deadlines(session: Session, case: Case) -> None:
    policy = policy_for(case.district.policy if case.district else None)
    received = _received_at(case)
    by_kind = {d.kind: d for d in case.deadlines}
    first = by_kind.get(rules.FIRST_CONTACT)
    due = rules.first_contact_due(received, policy.first_contact_for(case.priority))
    if first is None and case.first_contact_at is None:
        deadlines.add(session, case, None, rules.ComputedDeadline(
            kind=rules.FIRST_CONTACT, due_on=due.astimezone(STOCKHOLM).date(), due_at=due,
            legal_basis="Varsels servicenivå: första kontakt (stadsdelens rutin)", estimated=False,
            informational=False,
            computed_from={"received_at": received.isoformat(), "priority": case.priority,
                           "vardagar": str(policy.first_contact_for(case.priority))},
        ))
    elif first is not None and first.status == "pending" and due < first.due_at:
        # A higher priority tightens the first-contact deadline; it never loosens it.
        first.due_at = due
        first.due_on = due.astimezone(STOCKHOLM).date()
        first.computed_from = {**first.computed_from, "priority": case.priority,
                               "vardagar": str(policy.first_contact_for(case.priority))}
        deadlines.plan_alerts(session, case, first)
    if "children" in case.flags and rules.BUDGET_ADVICE_OFFER not in by_kind:
        day = rules.budget_advice_offer_due(received)
        deadlines.add(session, case, None, rules.ComputedDeadline(
            kind=rules.BUDGET_ADVICE_OFFER, due_on=day, due_at=end_of_day(day).astimezone(UTC),
            legal_basis="Stockholms stads program mot hemlöshet: budget- och skuldrådgivning inom en vecka",
            estimated=False, informational=False,
            computed_from={"received_at": received.isoformat(), "days": "7"},
        ))


def _request_joint_assessment(session: Session, case: Case, unit: str, actor: Actor,
                              reasons: dict[str, str]) -> JointAssessmentPart:
    why = reasons.get("age_65_plus") if unit in ("elderly_care", "disability") else reasons.get("children")
    part = JointAssessmentPart(case_id=case.id, unit=unit, requested_by=actor.name, reason=why)
    session.add(part)
    record(session, case, "joint_assessment_requested", actor, {"unit": unit, "reason": why})
    notify.joint_assessment_requested(session, case, unit)
    return part


def open_cases_for_person(session: Session, pin_hashes: list[str], district_id: uuid.UUID | None) -> Case | None:
    if not pin_hashes or district_id is None:
        return None
    return session.scalar(
        select(Case)
        .join(Notice, Notice.case_id == Case.id)
        .join(Tenant, Tenant.notice_id == Notice.id)
        .where(Tenant.pin_hash.in_(pin_hashes), Case.status == "open", Case.district_id == district_id)
        .order_by(Case.opened_at)
        .limit(1)
        # The caller attaches a notice and reassesses: that reads every notice, tenant and deadline.
        .options(selectinload(Case.notices).selectinload(Notice.tenants), selectinload(Case.deadlines))
    )


# --------------------------------------------------------------------------- case work

CONTACT_CHANNELS = ("letter", "phone", "sms", "home_visit", "meeting")
OUTCOMES = ("rent_paid", "payment_plan", "payment_commitment", "termination_withdrawn", "moved_out",
            "evicted", "declined_support", "no_contact", "referred", "other")


def assign(session: Session, case: Case, user: Any, actor: Actor) -> None:
    previous = case.assigned_to.username if case.assigned_to else None
    case.assigned_to_id = user.id
    case.assigned_to = user
    record(session, case, "assigned", actor, {"from": previous, "to": user.username})
    reassess(session, case, actor)
    # Kronofogden's acknowledgement names the responsible handler: it can go now.
    notify.request_acknowledgements(session, case)


def record_contact(session: Session, case: Case, *, channel: str, reached: bool, note: str | None,
                   actor: Actor, now: datetime) -> ContactAttempt:
    attempt = ContactAttempt(case_id=case.id, at=now, channel=channel, reached=reached, note=note,
                             by_user_id=actor.id, by_name=actor.name)
    with session.no_autoflush:
        case.contacts.append(attempt)
    record(session, case, "contact_attempt", actor, {"channel": channel, "reached": reached}, at=now)
    first = next((d for d in case.deadlines if d.kind == rules.FIRST_CONTACT), None)
    if reached and case.first_contact_at is None:
        case.first_contact_at = now
    # First contact is met when the household was reached, or after two recorded attempts.
    if first is not None and (reached or len(case.contacts) >= 2):
        resolve_deadline(session, case, first, "met", "reached" if reached else "two_attempts", actor, at=now)
    refresh(case)
    return attempt


def register_payment_commitment(session: Session, case: Case, *, amount_sek: Any, covers_until: Any,
                                decided_on: Any, note: str | None, actor: Actor, now: datetime) -> PaymentCommitment:
    redemption = next(
        (d for d in sorted(case.deadlines, key=lambda d: d.due_at)
         if d.kind == rules.REDEMPTION_PERIOD_END and d.status in ("pending", "met", "missed")),
        None,
    )
    if redemption is None:
        statutory, reason = False, ("Ingen återvinningsfrist löper i ärendet (ingen underrättelse om obetald hyra): "
                                    "åtagandet registreras men har ingen verkan enligt 12 kap. 44 § jordabalken.")
    elif redemption.due_on is not None and decided_on <= redemption.due_on and redemption.status != "missed":
        statutory, reason = True, (f"Beslutat {decided_on.isoformat()}, inom återvinningsfristen som löper ut "
                                   f"{redemption.due_on.isoformat()}: hyresgästen får inte avhysas "
                                   "(JB 12 kap. 44 § fjärde stycket 1) om hyresvärden underrättas skriftligen inom fristen.")
    else:
        statutory, reason = False, (f"Beslutat {decided_on.isoformat()}, efter att återvinningsfristen löpte ut "
                                    f"{redemption.due_on.isoformat() if redemption.due_on else ''}: åtagandet registreras "
                                    "men hindrar inte avhysning enligt 12 kap. 44 § jordabalken.")
    commitment = PaymentCommitment(
        case_id=case.id, notice_id=redemption.notice_id if redemption else None, amount_sek=amount_sek,
        covers_until=covers_until, decided_on=decided_on, note=note, statutory=statutory,
        statutory_reason=reason, created_by=actor.name, created_at=now,
    )
    with session.no_autoflush:
        case.commitments.append(commitment)
    record(session, case, "payment_commitment", actor, {
        "amount_sek": str(amount_sek), "covers_until": covers_until.isoformat(),
        "decided_on": decided_on.isoformat(), "statutory": statutory,
    }, at=now)
    if statutory and redemption is not None:
        resolve_deadline(session, case, redemption, "met", "payment_commitment", actor, at=now)
    session.flush()
    outbox.enqueue(session, channel="letter", template="payment_commitment_letter",
                   dedup_key=f"commitment-letter:{commitment.id}", case_id=case.id, district_id=case.district_id,
                   payload={"commitment_id": str(commitment.id)})
    return commitment


def close(session: Session, case: Case, *, outcome: str, note: str | None, actor: Actor, now: datetime) -> None:
    case.status = "closed"
    case.closed_at = now
    case.outcome = outcome
    case.outcome_note = note
    for deadline in case.deadlines:
        if deadline.status == "pending":
            resolve_deadline(session, case, deadline, "cancelled", "case_closed", actor, at=now)
    record(session, case, "case_closed", actor, {"outcome": outcome}, at=now)
    refresh(case)


def route_manually(session: Session, notice: Notice, district: Any, actor: Actor, now: datetime) -> None:
    """The intake role decides the district of a notice no method could route."""
    routing = dict(notice.routing or {})
    routing["manual"] = {"district_code": district.code, "by": actor.name, "at": now.isoformat(),
                         "automatic": {k: routing.get(k) for k in ("method", "confidence", "reason")}}
    routing.update({"district_code": district.code, "district_name": district.name, "method": "manual",
                    "confidence": "certain"})
    notice.routing = routing
    notice.district_id = district.id
    notice.district = district
    if notice.status == "received":
        notice.status = "routed"
    case = notice.case
    if case is not None and case.district_id is None:
        case.district_id = district.id
        case.district = district
        record(session, case, "routed_manually", actor, {"district": district.code}, notice_id=notice.id, at=now)
        reassess(session, case, actor)
        notify.new_case(session, case, now)


def accept_joint_part(session: Session, case: Case, part: JointAssessmentPart, actor: Actor, now: datetime) -> None:
    if part.accepted_at is None:
        part.accepted_at = now
        part.accepted_by_id = actor.id
        record(session, case, "joint_assessment_accepted", actor, {"unit": part.unit}, at=now)


def complete_joint_part(session: Session, case: Case, part: JointAssessmentPart, conclusion: str, actor: Actor,
                        now: datetime) -> None:
    accept_joint_part(session, case, part, actor, now)
    part.completed_at = now
    part.conclusion = conclusion
    record(session, case, "joint_assessment_completed", actor, {"unit": part.unit}, at=now)
