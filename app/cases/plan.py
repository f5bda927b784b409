"""The rules under a case's intake transitions, as plain data: no session, no SQL.

Given what the case is (its notices' facts, its household facts, its deadlines) this
module decides what a change makes of it: the assessment (priority, flags,
joint-assessment units) and the service-level deadlines that follow
(`reassessment`), and, for a notice received, every row to write — the case, its
timeline events, deadlines, timers, joint-assessment parts and the messages to
enqueue (`IntakePlan`). It reads cases by duck typing: an ORM `Case` (the one-notice
path, `transitions.reassess`) and a `CaseDraft` (the batch writer,
`app/notices/bulk.py`) are decided by the same functions, so both paths follow one
set of rules; `tests/notices/test_bulk_equivalence.py` proves they write the same rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from app.calendar import STOCKHOLM
from app.cases.facts import household_facts, received_at
from app.cases.models import NO_DEADLINE, PRIORITY_RANK
from app.cases.queue import sort_keys
from app.db import utcnow
from app.deadlines import alerts, rules
from app.deadlines.policy import policy_for
from app.households.rules import Assessment, assess
from app.ids import new_id
from app.security.actors import SYSTEM, Actor
from app.vocabulary import CaseStatus, DeadlineKind, DeadlineStatus, TimelineType, Unit


def case_number(now: datetime, sequence: int) -> str:
    """A case's human-readable number: the year in Stockholm and the sequence value."""
    return f"{case_number_prefix(now)}{sequence:06d}"


def case_number_prefix(now: datetime) -> str:
    """The number up to its sequence value (`case_number`)."""
    return f"{now.astimezone(STOCKHOLM).year}-"


def case_number_sql(prefix: str, sequence: str) -> str:
    """`case_number` in PostgreSQL's SQL, for a number taken in the statement that writes it
    (`app/notices/bulk_sql.py`): `prefix` and `sequence` are SQL expressions. Zero-padded to six
    digits as `{:06d}` is, and never cut short (lpad would cut a longer number)."""
    return f"{prefix} || lpad({sequence}::text, greatest(6, length({sequence}::text)), '0')"


# --------------------------------------------------------------------------- deciding (ORM case or draft alike)

@dataclass(frozen=True)
class Reassessment:
    assessment: Assessment
    units: list[str]  # joint-assessment units after it: a unit once asked stays asked
    new_units: list[str]
    changed: bool  # priority, flags or units changed: a timeline event says so
    lookup_pending: bool  # the population register is to be asked who lives there
    first_contact: rules.ComputedDeadline | None  # the first-contact deadline wanted now
    first_contact_action: str | None  # "add" | "tighten" | None
    budget_advice: rules.ComputedDeadline | None  # to add (families with children)

    def timeline(self) -> dict[str, Any]:
        return {"priority": self.assessment.priority, "flags": list(self.assessment.flags),
                "joint_assessment_units": self.units, "rule": self.assessment.priority_rule}

    def reason_for(self, unit: str) -> str | None:
        reasons = self.assessment.reasons
        return reasons.get("age_65_plus") if unit in (Unit.ELDERLY_CARE, Unit.DISABILITY) else reasons.get("children")


def reassessment(case: Any) -> Reassessment:
    """What flags, priority and units the case's facts give, and which service-level deadlines follow.

    First contact tightens with priority (never loosens); families with children get the
    budget-advice offer. A closed case is assessed but gets no deadlines and asks no unit.
    """
    assessment = assess(household_facts(case))
    units = sorted(set(case.joint_assessment_units) | set(assessment.units))
    new_units = [u for u in units if u not in case.joint_assessment_units]
    before = (case.priority, list(case.flags), list(case.joint_assessment_units))
    after = (assessment.priority, list(assessment.flags), units)
    if case.status != CaseStatus.OPEN:
        return Reassessment(assessment, units, [], before != after, False, None, None, None)
    policy = policy_for(case.district.policy if case.district else None)
    received = received_at(case)
    by_kind = {d.kind: d for d in case.deadlines}
    first = by_kind.get(DeadlineKind.FIRST_CONTACT)
    wanted = rules.first_contact_deadline(received, policy.first_contact_for(assessment.priority), assessment.priority)
    action = None
    if first is None and case.first_contact_at is None:
        action = "add"
    elif first is not None and first.status == DeadlineStatus.PENDING and wanted.due_at < first.due_at:
        action = "tighten"
    budget = None
    if "children" in assessment.flags and DeadlineKind.BUDGET_ADVICE_OFFER not in by_kind:
        budget = rules.budget_advice_offer_deadline(received)
    lookup = "household_unknown" in assessment.flags and case.household_lookup is None
    return Reassessment(assessment, units, new_units, before != after, lookup, wanted, action, budget)


def tightened_from(computed_from: dict[str, Any], wanted: rules.ComputedDeadline) -> dict[str, Any]:
    """A tightened first-contact deadline says which priority and how many vardagar it now follows."""
    return {**computed_from, "priority": wanted.computed_from["priority"], "vardagar": wanted.computed_from["vardagar"]}


def timers(case: Any, kind: str, due_on: date | None, due_at: datetime) -> list[alerts.PlannedAlert]:
    """A pending deadline's timers, under the case's district policy."""
    policy = policy_for(case.district.policy if case.district else None)
    return alerts.plan(kind, due_on, due_at, utcnow(), policy)


def apply_assessment(case: Any, decided: Reassessment) -> None:
    case.priority = decided.assessment.priority
    case.priority_rank = PRIORITY_RANK[decided.assessment.priority]
    case.flags = list(decided.assessment.flags)
    case.explanation = decided.assessment.as_explanation()
    case.joint_assessment_units = decided.units
    if decided.lookup_pending:
        case.household_lookup = "pending"  # the household-lookups job asks the population register


# --------------------------------------------------------------------------- plain rows (the batch writer)

@dataclass
class TenantFacts:
    birth_date: date | None


@dataclass
class NoticeFacts:
    """What the rules read of a notice (`household_facts`)."""

    id: uuid.UUID
    kind: str
    external_id: str
    sent_on: date
    tenant_served_on: date | None
    received_at: datetime
    household_children: int | None
    household_65_plus: int | None
    household_consent: bool | None
    tenants: list[TenantFacts]
    district_id: uuid.UUID | None
    apartment_number: str | None = None
    tenancy_key: str | None = None
    pin_hashes: tuple[str, ...] = ()
    test: bool = False
    eviction_at: datetime | None = None

    @classmethod
    def of(cls, notice: Any) -> NoticeFacts:
        return cls(id=notice.id, kind=notice.kind, external_id=notice.external_id, sent_on=notice.sent_on,
                   tenant_served_on=notice.tenant_served_on, received_at=notice.received_at,
                   household_children=notice.household_children, household_65_plus=notice.household_65_plus,
                   household_consent=notice.household_consent,
                   tenants=[TenantFacts(t.birth_date) for t in notice.tenants], district_id=notice.district_id,
                   apartment_number=notice.apartment_number, tenancy_key=notice.tenancy_key,
                   pin_hashes=tuple(t.pin_hash for t in notice.tenants if t.pin_hash), test=bool(notice.test),
                   eviction_at=notice.eviction_at)


@dataclass
class DeadlineRow:
    id: uuid.UUID
    case_id: uuid.UUID
    notice_id: uuid.UUID | None
    kind: str
    due_on: date | None
    due_at: datetime
    legal_basis: str
    estimated: bool
    status: str
    computed_from: dict[str, Any]
    timers: list[alerts.PlannedAlert] = field(default_factory=list)
    # A deadline stored before this unit of work: (due_on, due_at, computed_from) as stored, for the
    # writer to see whether it moved (`app/notices/bulk_join.py`). None: a new row.
    written: tuple[Any, ...] | None = None

    def values(self) -> dict[str, Any]:
        return {"id": self.id, "case_id": self.case_id, "notice_id": self.notice_id, "kind": self.kind,
                "due_on": self.due_on, "due_at": self.due_at, "legal_basis": self.legal_basis,
                "estimated": self.estimated, "status": self.status, "computed_from": self.computed_from}


@dataclass
class CaseDraft:
    """A case opened in this unit of work, held as plain data until it is written."""

    id: uuid.UUID
    number: str
    district: Any  # the District row (name and policy are read), or None
    opened_at: datetime
    test: bool
    status: str = CaseStatus.OPEN
    priority: str = "normal"
    priority_rank: int = 2
    flags: list[str] = field(default_factory=list)
    explanation: dict[str, Any] = field(default_factory=dict)
    household: dict[str, Any] = field(default_factory=dict)
    joint_assessment_units: list[str] = field(default_factory=list)
    household_lookup: str | None = None
    first_contact_at: datetime | None = None
    assigned_to_id: uuid.UUID | None = None
    last_activity_at: datetime | None = None
    next_due_at: datetime = NO_DEADLINE
    next_firm_due_at: datetime = NO_DEADLINE
    overdue_since: datetime | None = None
    notices: list[NoticeFacts] = field(default_factory=list)
    deadlines: list[DeadlineRow] = field(default_factory=list)
    # A case stored before this unit of work (`app/notices/bulk_join.py`): its changeable columns as
    # stored, for the writer's UPDATE of what changed. None: a case opened here, to INSERT.
    written: dict[str, Any] | None = None

    @property
    def district_id(self) -> uuid.UUID | None:
        return self.district.id if self.district is not None else None

    @property
    def pending_deadlines(self) -> list[DeadlineRow]:
        return [d for d in self.deadlines if d.status == "pending"]

    def values(self) -> dict[str, Any]:
        return {"id": self.id, "number": self.number, "district_id": self.district_id, "status": self.status,
                "opened_at": self.opened_at, "priority": self.priority, "priority_rank": self.priority_rank,
                "explanation": self.explanation, "flags": self.flags, "household": self.household,
                "joint_assessment_units": self.joint_assessment_units, "next_due_at": self.next_due_at,
                "next_firm_due_at": self.next_firm_due_at, "overdue_since": self.overdue_since,
                "last_activity_at": self.last_activity_at, "first_contact_at": self.first_contact_at,
                "household_lookup": self.household_lookup, "test": self.test, "assigned_to_id": None,
                "closed_at": None, "outcome": None, "outcome_note": None}


@dataclass
class IntakePlan:
    """Every row a unit of work's notices make, in the order the one-notice path makes them."""

    cases: list[CaseDraft] = field(default_factory=list)
    joined: list[CaseDraft] = field(default_factory=list)  # stored cases this unit's notices join
    timeline: list[dict[str, Any]] = field(default_factory=list)
    deadlines: list[DeadlineRow] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    # What to tell whom, resolved to recipients by the writer: ("joint", case, unit) | ("digest", case)
    # | ("letter", case, notice_id).
    messages: list[tuple[Any, ...]] = field(default_factory=list)

    def record(self, case: CaseDraft, type_: str, actor: Actor, data: dict[str, Any] | None = None, *,
               notice_id: uuid.UUID | None = None, at: datetime | None = None) -> None:
        at = at or utcnow()
        self.timeline.append({"case_id": case.id, "at": at, "type": type_, "actor_kind": actor.kind,
                              "actor_name": actor.name, "notice_id": notice_id, "data": data or {}})
        case.last_activity_at = at

    def add_deadline(self, case: CaseDraft, notice_id: uuid.UUID | None, computed: rules.ComputedDeadline) -> None:
        assert computed.due_at is not None
        row = DeadlineRow(id=new_id(), case_id=case.id, notice_id=notice_id, kind=computed.kind,
                          due_on=computed.due_on, due_at=computed.due_at, legal_basis=computed.legal_basis,
                          estimated=computed.estimated, status="info" if computed.informational else "pending",
                          computed_from=dict(computed.computed_from))
        if row.status == "pending":
            row.timers = timers(case, row.kind, row.due_on, row.due_at)
        case.deadlines.append(row)
        self.deadlines.append(row)

    # ----------------------------------------------------------------------- the transitions, on drafts

    def open_case(self, *, case_id: uuid.UUID, number: str, district: Any, now: datetime, test: bool) -> CaseDraft:
        case = CaseDraft(id=case_id, number=number, district=district, opened_at=now, test=test, last_activity_at=now)
        self.cases.append(case)
        self.record(case, TimelineType.CASE_OPENED, SYSTEM,
                    {"district_id": str(case.district_id) if case.district_id else None}, at=now)
        return case

    def receive_notice(self, case: CaseDraft, notice: NoticeFacts, actor: Actor, *, repeat: str | None) -> None:
        """`cases.service.receive_notice` after matching: attach, statutory deadlines, reassess."""
        if notice not in case.notices:
            case.notices.append(notice)
        data: dict[str, Any] = {"kind": notice.kind, "external_id": notice.external_id,
                                "sent_on": notice.sent_on.isoformat()}
        if repeat:
            data["repeat"] = repeat
            case.household = {**case.household, "repeat": repeat}
        self.record(case, TimelineType.NOTICE_RECEIVED, actor, data, notice_id=notice.id, at=notice.received_at)
        for computed in rules.statutory_deadlines(notice.kind, notice.sent_on, notice.tenant_served_on):
            self.add_deadline(case, notice.id, computed)
        # The sort keys once, by `reassess` after every deadline is in: they are a function of the
        # deadlines alone, so refreshing after each one only repeated the work.
        self.reassess(case, SYSTEM)

    def reassess(self, case: CaseDraft, actor: Actor) -> bool:
        decided = reassessment(case)
        apply_assessment(case, decided)
        if case.status == CaseStatus.OPEN:
            if decided.first_contact_action == "add":
                assert decided.first_contact is not None
                self.add_deadline(case, None, decided.first_contact)
            elif decided.first_contact_action == "tighten":
                assert decided.first_contact is not None
                first = next(d for d in case.deadlines if d.kind == DeadlineKind.FIRST_CONTACT)
                first.due_at = decided.first_contact.due_at
                first.due_on = decided.first_contact.due_on
                first.computed_from = tightened_from(first.computed_from, decided.first_contact)
                first.timers = timers(case, first.kind, first.due_on, first.due_at)
            if decided.budget_advice is not None:
                self.add_deadline(case, None, decided.budget_advice)
            for unit in decided.new_units:
                why = decided.reason_for(unit)
                self.parts.append({"id": new_id(), "case_id": case.id, "unit": unit,
                                   "requested_by": actor.name, "reason": why, "requested_at": utcnow()})
                self.record(case, TimelineType.JOINT_ASSESSMENT_REQUESTED, actor, {"unit": unit, "reason": why})
                self.messages.append(("joint", case, unit))
        self.refresh(case)
        if not decided.changed:
            return False
        self.record(case, TimelineType.CASE_ASSESSED, actor, decided.timeline())
        return True

    @staticmethod
    def refresh(case: CaseDraft) -> None:
        case.next_due_at, case.next_firm_due_at, case.overdue_since = sort_keys(case)
