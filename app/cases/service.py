"""The case-work commands: the one front door to a case, for the staff API, the web and the jobs.

Each command loads the case within the actor's scope (404 outside it, a row
lock where the case changes), refuses what the case's status forbids
(`transitions.ALLOWED`), checks the domain's rules once, writes the audit
record and calls `transitions`, the only module that changes a case. The staff
API and the web only translate: JSON and problem+json on one side, forms,
redirects and Swedish messages on the other (`app/cases/errors.py` carries
both languages). Intake and the jobs change cases through here too.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.calendar import STOCKHOLM, local_today
from app.cases import documents, matching, notify, transitions
from app.cases.errors import NotInScope, NotNow, Refused
from app.cases.models import Case, PaymentCommitment
from app.config import Settings
from app.deadlines import rules
from app.deadlines import service as deadline_rows
from app.deadlines.models import Deadline
from app.households.models import JointAssessmentPart
from app.notices.models import Notice
from app.routing.districts import district_by_code
from app.routing.models import District
from app.security import audit
from app.security.actors import SYSTEM, Actor
from app.security.models import User
from app.security.scope import cases_readable_by, notices_readable_by
from app.vocabulary import ContactChannel, DeadlineKind, DeadlineStatus, LandlordEvent, Outcome, Role, TimelineType, codes

READERS = (Role.HANDLER, Role.MANAGER, Role.JOINT_ASSESSOR)
WORKERS = (Role.HANDLER, Role.MANAGER)
# Who may give each command (outside it: 404, as if the case did not exist).
COMMAND_ROLES: dict[str, tuple[Role, ...]] = {
    "assign": WORKERS, "contact": WORKERS, "payment_commitment": WORKERS, "household": WORKERS,
    "close": WORKERS, "reopen": WORKERS, "budget_advice": WORKERS,
    "joint_assessment.accept": READERS, "joint_assessment.complete": READERS,
}
HOUSEHOLD_MAX = 30
BULK_MAX = 100


# --------------------------------------------------------------------------- loading a case

def parse_id(value: str | uuid.UUID, what: str = "case") -> uuid.UUID:
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(value)
    except ValueError:
        raise NotInScope(what) from None


def _load(session: Session, actor: Actor, case_id: str | uuid.UUID, *, lock: bool) -> Case:
    query = (
        select(Case)
        .where(Case.id == parse_id(case_id), cases_readable_by(actor))
        .options(
            selectinload(Case.notices).selectinload(Notice.tenants),
            selectinload(Case.deadlines),
            selectinload(Case.contacts),
            selectinload(Case.commitments),
        )
    )
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(of=Case)
    case = session.scalar(query)
    if case is None:
        raise NotInScope()
    return case


def readable(session: Session, actor: Actor, case_id: str | uuid.UUID, roles: tuple[Role, ...] = READERS) -> Case:
    """The case if this actor may see it; 404 otherwise (never 403)."""
    if not actor.has_role(*roles):
        raise NotInScope()
    return _load(session, actor, case_id, lock=False)


def for_work(session: Session, actor: Actor, case_id: str | uuid.UUID, command: str, *,
             via: str | None = None) -> Case:
    """The case, locked, if this actor may give `command` and the case's status allows it; audited."""
    if not actor.has_role(*COMMAND_ROLES[command]):
        raise NotInScope()
    case = _load(session, actor, case_id, lock=True)
    try:
        transitions.ensure_allowed(case, command)
    except transitions.NotAllowed as exc:
        raise NotNow(exc.status) from None
    audit.record(session, actor, f"case.{command}", object_type="case", object_id=case.id,
                 district_id=case.district_id, details={"via": via} if via else None)
    return case


# --------------------------------------------------------------------------- staff commands

def assign(session: Session, case: Case, actor: Actor, *, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or user.district_id != case.district_id or user.role not in WORKERS:
        raise Refused("username", "not an active handler or manager of this case's district",
                      "Välj en handläggare i stadsdelen.")
    transitions.assign(session, case, user, actor)
    return user


def assign_many(session: Session, actor: Actor, case_ids: list[str], *, username: str,
                via: str | None = None) -> tuple[User, list[Case]]:
    """A manager hands several cases to one handler at once; each case is loaded, checked and audited alone.

    All or nothing: one case that may not be assigned (closed, outside the scope) refuses the whole request.
    """
    if not actor.has_role(Role.MANAGER):
        raise NotInScope()
    # One per case however its id is written (upper case, braces): each is assigned and audited once.
    chosen = list({_same_case(case_id): case_id for case_id in case_ids}.values())
    if not chosen or len(chosen) > BULK_MAX:
        raise Refused("case_ids", f"choose between 1 and {BULK_MAX} cases",
                      f"Välj mellan 1 och {BULK_MAX} ärenden att tilldela.")
    done = [for_work(session, actor, case_id, "assign", via=via) for case_id in chosen]
    user = None
    for case in done:
        user = assign(session, case, actor, username=username)
    assert user is not None
    return user, done


def _same_case(case_id: str) -> Any:
    try:
        return uuid.UUID(case_id)
    except ValueError:
        return case_id  # not an id at all: `for_work` answers 404 for it


def record_contact(session: Session, case: Case, actor: Actor, *, channel: str, reached: bool, note: str | None,
                   now: datetime) -> None:
    if channel not in codes(ContactChannel):
        raise Refused("channel", f"must be one of: {', '.join(codes(ContactChannel))}", "Välj ett sätt att kontakta.")
    transitions.record_contact(session, case, channel=channel, reached=reached, note=note or None, actor=actor,
                               now=now)


def register_payment_commitment(session: Session, case: Case, actor: Actor, *, amount_sek: Decimal,
                                covers_until: date, decided_on: date, note: str | None,
                                now: datetime) -> PaymentCommitment:
    if not amount_sek > 0:
        raise Refused("amount_sek", "must be greater than 0", "Beloppet ska vara större än noll.")
    if decided_on > local_today(now):
        raise Refused("decided_on", "must not be in the future", "Beslutsdatumet får inte ligga i framtiden.")
    if covers_until < decided_on:
        raise Refused("covers_until", "must not be before decided_on",
                      "Åtagandet kan inte gälla till ett datum före beslutet.")
    return transitions.register_payment_commitment(
        session, case, amount_sek=amount_sek.quantize(Decimal("0.01")), covers_until=covers_until,
        decided_on=decided_on, note=note or None, actor=actor, now=now)


def set_household(session: Session, case: Case, actor: Actor, *, children: int | None, seniors: int | None,
                  now: datetime) -> None:
    """The handler found out who lives there (the task `household_unknown` gives)."""
    for field, value in (("children_under_18", children), ("residents_65_or_older", seniors)):
        if value is not None and not 0 <= value <= HOUSEHOLD_MAX:
            raise Refused(field, f"must be between 0 and {HOUSEHOLD_MAX}, or null when unknown",
                          f"Ange ett antal mellan 0 och {HOUSEHOLD_MAX}, eller lämna tomt om det är okänt.")
    transitions.set_household(session, case, "staff",
                              {"children": children, "seniors": seniors, "by": actor.name, "at": now.isoformat()},
                              actor, now, timeline={"children": children, "seniors": seniors})


def closing(session: Session, actor: Actor, case_id: str | uuid.UUID) -> tuple[Case, list[Deadline]]:
    """What closing would do, shown before it is done: the case, if this actor may close it now, and the
    pending deadlines that closing cancels (`transitions.close`). Nothing changes, nothing is audited."""
    case = readable(session, actor, case_id, COMMAND_ROLES["close"])
    try:
        transitions.ensure_allowed(case, "close")
    except transitions.NotAllowed as exc:
        raise NotNow(exc.status) from None
    return case, sorted(case.pending_deadlines, key=lambda d: d.due_at)


def offer_budget_advice(session: Session, case: Case, actor: Actor, *, now: datetime) -> Deadline:
    """The family was offered budget and debt advice: the city's one-week service level is met."""
    offer = next((d for d in case.deadlines if d.kind == DeadlineKind.BUDGET_ADVICE_OFFER
                  and d.status == DeadlineStatus.PENDING), None)
    if offer is None:
        raise Refused("budget_advice_offer", "no pending budget-advice offer in this case",
                      "Det finns inget erbjudande om budget- och skuldrådgivning att registrera i ärendet.")
    transitions.resolve_deadline(session, case, offer, "met", "offered", actor, at=now)
    return offer


def close(session: Session, case: Case, actor: Actor, *, outcome: str, note: str | None, now: datetime) -> None:
    if outcome not in codes(Outcome):
        raise Refused("outcome", f"must be one of: {', '.join(codes(Outcome))}", "Välj ett utfall.")
    transitions.close(session, case, outcome=outcome, note=note or None, actor=actor, now=now)


def reopen(session: Session, case: Case, actor: Actor, *, reason: str, now: datetime) -> list[Deadline]:
    if not reason.strip():
        raise Refused("reason", "say why the case is reopened", "Skriv varför ärendet öppnas igen.")
    return transitions.reopen(session, case, reason=reason.strip(), actor=actor, now=now)


def _joint_part(session: Session, case: Case, actor: Actor, unit: str) -> JointAssessmentPart:
    if actor.role == Role.JOINT_ASSESSOR and actor.unit != unit:
        raise NotInScope()
    part = session.scalar(select(JointAssessmentPart).where(JointAssessmentPart.case_id == case.id,
                                                            JointAssessmentPart.unit == unit))
    if part is None:
        raise NotInScope("joint-assessment part")
    return part


def accept_joint_part(session: Session, case: Case, actor: Actor, *, unit: str, now: datetime) -> None:
    transitions.accept_joint_part(session, case, _joint_part(session, case, actor, unit), actor, now)


def complete_joint_part(session: Session, case: Case, actor: Actor, *, unit: str, conclusion: str,
                        now: datetime) -> None:
    part = _joint_part(session, case, actor, unit)
    if not conclusion.strip():
        raise Refused("conclusion", "write a short conclusion", "Skriv en kort slutsats.")
    transitions.complete_joint_part(session, case, part, conclusion.strip(), actor, now)


def commitment_letter(session: Session, settings: Settings, case: Case, actor: Actor,
                      commitment_id: str) -> tuple[bytes, str]:
    """The written undertaking to the landlord as PDF, and its file name; each showing is audited."""
    if not actor.has_role(*WORKERS):
        raise NotInScope()
    commitment = session.get(PaymentCommitment, parse_id(commitment_id, "payment commitment"))
    if commitment is None or commitment.case_id != case.id:
        raise NotInScope("payment commitment")
    audit.record(session, actor, "case.commitment_letter", object_type="case", object_id=case.id,
                 district_id=case.district_id)
    return documents.commitment_letter(session, settings, case, commitment), f"betalningsatagande-{case.number}.pdf"


def route_manually(session: Session, actor: Actor, notice_id: str | uuid.UUID, district_code: str, now: datetime,
                   *, via: str | None = None) -> Notice:
    """The intake role decides the district of a notice no method could route."""
    notice = None
    if actor.has_role(Role.INTAKE):
        notice = session.scalar(select(Notice).where(Notice.id == parse_id(notice_id, "unrouted notice"),
                                                     notices_readable_by(actor)))
    if notice is None:
        raise NotInScope("unrouted notice")
    district = district_by_code(session, district_code)
    if district is None or not district.is_valid_on(local_today(now)):
        raise Refused("district", "not a current district; see GET /api/v1/districts", "Välj en stadsdel.")
    routing = dict(notice.routing or {})
    routing["manual"] = {"district_code": district.code, "by": actor.name, "at": now.isoformat(),
                         "automatic": {k: routing.get(k) for k in ("method", "confidence", "reason")}}
    routing.update({"district_code": district.code, "district_name": district.name, "method": "manual",
                    "confidence": "certain"})
    transitions.route_notice(session, notice, district, actor, now, routing=routing,
                             timeline_type=TimelineType.ROUTED_MANUALLY)
    details = {"district": district.code, **({"via": via} if via else {})}
    audit.record(session, actor, "notice.route", object_type="notice", object_id=notice.id,
                 district_id=district.id, details=details)
    return notice


# --------------------------------------------------------------------------- intake (landlords, Kronofogden)

def receive_notice(session: Session, notice: Notice, actor: Actor, now: datetime) -> tuple[Case, bool]:
    """A new notice opens its case or joins the person's open one, with its deadlines. Returns (case, opened)."""
    case, repeat = matching.case_for_notice(session, notice)
    opened = case is None
    if case is None:
        case = transitions.open_case(session, district_id=notice.district_id, actor=SYSTEM, now=now,
                                     first_notice=notice)
    transitions.attach_notice(session, case, notice, actor, repeat=repeat)
    deadline_rows.create_statutory(session, case, notice)
    transitions.reassess(session, case, SYSTEM)
    return case, opened


def apply_landlord_event(session: Session, notice: Notice, event_type: str, data: dict[str, Any],
                         eviction_at: datetime | None, actor: Actor, now: datetime) -> None:
    """What the landlord reported next changes the case: its timeline, deadlines and escalation.

    The notice's own fields (service date, eviction time, status) are already updated by intake.
    """
    case = notice.case
    assert case is not None
    transitions.record(session, case, TimelineType.LANDLORD_EVENT, actor, data, notice_id=notice.id, at=now)
    own = [d for d in case.deadlines if d.notice_id == notice.id]
    redemption = next((d for d in own if d.kind == DeadlineKind.REDEMPTION_PERIOD_END), None)
    if event_type == LandlordEvent.TENANT_SERVED:
        for deadline, previous in deadline_rows.recompute_statutory(session, case, notice):
            transitions.record(session, case, TimelineType.DEADLINE_RECOMPUTED, SYSTEM, {
                "kind": deadline.kind, "previous": previous.isoformat(), "due": deadline.due_on.isoformat(),
                "estimated": deadline.estimated, "reason": "tenant_served",
            }, notice_id=notice.id, at=now)
    elif event_type in (LandlordEvent.RENT_PAID, LandlordEvent.PAYMENT_PLAN_AGREED) and redemption is not None:
        transitions.resolve_deadline(session, case, redemption, "met", event_type, actor, at=now)
    elif event_type == LandlordEvent.EVICTION_SCHEDULED and eviction_at is not None:
        scheduled = rules.eviction_deadline(eviction_at, "landlord")
        existing = next((d for d in own if d.kind == DeadlineKind.EVICTION), None)
        if existing is not None:
            existing.due_at = scheduled.due_at
            existing.due_on = scheduled.due_on
        else:
            deadline_rows.add(session, case, notice, scheduled)
    if event_type in (LandlordEvent.TERMINATION_WITHDRAWN, LandlordEvent.TENANT_MOVED_OUT,
                      LandlordEvent.EVICTION_EXECUTED) and redemption is not None:
        transitions.resolve_deadline(session, case, redemption, "cancelled", event_type, actor, at=now)
    transitions.refresh(case)
    transitions.reassess(session, case, SYSTEM)


def receive_eviction_notice(session: Session, district: District | None, *, pin_hash: str, tenancy_key: str,
                            eviction_at: datetime, reference: str, eviction_notice_id: uuid.UUID, actor: Actor,
                            now: datetime) -> tuple[Case, str]:
    """Kronofogden's notice joins the person's (or tenancy's) open case or opens one. Returns (case, matched_by).

    It creates the same-day acknowledgement deadline and the eviction itself as
    information; without an assigned handler the managers are told at once.
    """
    district_id = district.id if district else None
    case, matched_by = matching.case_for_eviction_notice(session, district_id, pin_hash, tenancy_key)
    if case is None:
        case = transitions.open_case(session, district_id=district_id, actor=SYSTEM, now=now)
    transitions.note_eviction_scheduled(session, case, eviction_at, {
        "reference": reference, "eviction_at": eviction_at.isoformat(), "matched_by": matched_by}, actor, now)
    ack = rules.kronofogden_acknowledgement_deadline(now, reference, str(eviction_notice_id))
    deadline_rows.add(session, case, None, ack)
    deadline_rows.add(session, case, None, rules.eviction_deadline(eviction_at, "kronofogden", reference))
    transitions.reassess(session, case, SYSTEM)
    if case.assigned_to_id is None:
        notify.kronofogden_without_handler(session, case, eviction_notice_id, ack.due_at.astimezone(
            STOCKHOLM).strftime("%Y-%m-%d kl. %H.%M"))
    else:
        notify.request_acknowledgements(session, case)
    return case, matched_by


# --------------------------------------------------------------------------- what the jobs found out

def declare_missed(session: Session, case: Case, deadline: Deadline, now: datetime) -> None:
    transitions.resolve_deadline(session, case, deadline, "missed", "not met by the due time", SYSTEM, at=now)


def alert_sent(session: Session, case: Case, *, alert_kind: str, deadline_kind: str, recipients: int,
               now: datetime) -> None:
    """An escalation or a missed deadline was told to the managers: on the timeline, so staff see who knew."""
    transitions.record(session, case, f"deadline_{alert_kind}_notified", SYSTEM,
                       {"kind": deadline_kind, "recipients": recipients}, at=now)


def household_looked_up(session: Session, case: Case, *, outcome: str, counts: dict[str, Any] | None,
                        max_attempts: int, now: datetime) -> None:
    """The population register's answer: found (counts), not_found, or unavailable (asked again later)."""
    audit.record(session, SYSTEM, "population_register.household_at", object_type="case", object_id=case.id,
                 district_id=case.district_id, details={"outcome": outcome})
    if outcome != "found" or counts is None:
        transitions.household_lookup_failed(session, case, outcome=outcome, max_attempts=max_attempts, actor=SYSTEM,
                                            now=now)
        return
    transitions.set_household(session, case, "register", counts, SYSTEM, now, timeline={
        "outcome": "found", "children": counts["children"], "seniors": counts["seniors"]})


def route_by_geocoder(session: Session, notice: Notice, district: District, routing: dict[str, Any],
                      now: datetime) -> None:
    transitions.route_notice(session, notice, district, SYSTEM, now, routing=routing,
                             timeline_type=TimelineType.ROUTED_BY_GEOCODER)


def acknowledgement_sent(session: Session, record: Any, case: Case, *, deadline_id: str | None,
                         authority_reference: str | None, now: datetime) -> None:
    """Kronofogden has the acknowledgement: its deadline is met, and the tenant gets the copy."""
    record.acknowledged_at = now
    record.acknowledgement_reference = authority_reference
    transitions.record(session, case, TimelineType.KRONOFOGDEN_ACKNOWLEDGED, SYSTEM, {
        "reference": record.reference, "handler": case.assigned_to.username if case.assigned_to else None,
        "authority_reference": authority_reference}, at=now)
    deadline = next((d for d in case.deadlines if str(d.id) == deadline_id), None)
    if deadline is not None:
        transitions.resolve_deadline(session, case, deadline, "met", "acknowledgement_sent", SYSTEM, at=now)
    notify.kronofogden_copy_to_tenant(session, case, record.id)
