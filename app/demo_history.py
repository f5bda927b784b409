"""Twelve months of fictitious case work for `varsel demo`, made through the real code paths.

Each notice is received by intake (`notices.service.receive`) at a moment in the
past, and what happens next — the landlord's events, routing by hand, contact
attempts, payment commitments, joint assessments, closing — is done by the same
commands the API and the pages use (`app/cases/service.py`), each at its own
past moment. Between two steps the deadline timers that have come due are
processed as the scheduler's sweep would have processed them
(`jobs.sweep.process_due`), so a deadline nobody met is declared missed on
time. While a step runs, `app.db.clock_at` sets the clock to its moment, so every
row, timeline event and audit record carries that moment. The deadlines are
therefore the law's own arithmetic, never written by hand.

Everything is made up and says so (`demo_notices.py`: the people, the addresses,
test identity numbers, phone numbers reserved for fiction). Seeded once: a second
run finds the history and adds nothing (`HISTORY_PREFIX`).
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.calendar import STOCKHOLM, local_today, next_vardag_on_or_after
from app.cases import service as cases
from app.config import Settings
from app.db import clock_at, utcnow
from app.demo_notices import DISTRICTS, FIRST_OF_EACH, HISTORY_PREFIX, notice_body
from app.jobs.sweep import SweepResult, next_due, process_due
from app.notices.models import Notice
from app.notices.schemas import EventIn, NoticeIn
from app.notices.events import add_event
from app.notices.service import IntakeContext, receive
from app.routing.service import RouterProvider
from app.security.actors import Actor
from app.security.models import Landlord, User
from app.vocabulary import ContactChannel, DeadlineKind, DeadlineStatus, NoticeKind, Outcome
from notifications.models import Delivery, OutboxMessage

HISTORY_NOTICES = 300
HISTORY_DAYS = 365
SEED = 2026
HISTORY_RESULT = "Demons historik: registrerat som skickat, inget utskick gjordes"

# A handler in each district that has none among the demo's users (username, district, full name).
DISTRICT_HANDLERS = [
    ("handlaggare.bromma", "bromma", "Nora Handläggare"),
    ("handlaggare.enskede", "enskede-arsta-vantor", "Omar Handläggare"),
    ("handlaggare.farsta", "farsta", "Petra Handläggare"),
    ("handlaggare.hagersten", "hagersten-alvsjo", "Rasmus Handläggare"),
    ("handlaggare.hasselby", "hasselby-vallingby", "Sofia Handläggare"),
    ("handlaggare.kungsholmen", "kungsholmen", "Tove Handläggare"),
    ("handlaggare.innerstaden", "norra-innerstaden", "Ulf Handläggare"),
    ("handlaggare.skarpnack", "skarpnack", "Vera Handläggare"),
    ("handlaggare.skarholmen", "skarholmen", "Wilhelm Handläggare"),
]

RENT_OUTCOMES = (Outcome.RENT_PAID, Outcome.PAYMENT_PLAN, Outcome.PAYMENT_COMMITMENT)
OTHER_OUTCOMES = (Outcome.TERMINATION_WITHDRAWN, Outcome.MOVED_OUT, Outcome.EVICTED, Outcome.DECLINED_SUPPORT,
                  Outcome.NO_CONTACT, Outcome.REFERRED, Outcome.OTHER)
NOTES = {
    Outcome.DECLINED_SUPPORT: "Hyresgästen tackade nej till stöd efter samtal.",
    Outcome.REFERRED: "Hänvisad till vuxenenheten för fortsatt stöd.",
    Outcome.OTHER: "Hushållet ordnade boendet på egen hand.",
}


@dataclass(order=True)
class _Step:
    at: datetime
    seq: int
    run: Callable[[], None] = field(compare=False)


@dataclass
class _World:
    session: Session
    settings: Settings
    routers: RouterProvider
    landlords: list[Actor]
    staff: dict[str, list[Actor]]  # district code → its handlers
    intake: Actor
    assessors: dict[tuple[str, str], Actor]  # (district, unit) → the unit's assessor
    now: datetime
    notices: dict[str, Notice] = field(default_factory=dict)
    steps: list[_Step] = field(default_factory=list)
    counter: Any = field(default_factory=itertools.count)
    swept: SweepResult = field(default_factory=SweepResult)

    def at(self, moment: datetime, run: Callable[[], None]) -> None:
        if moment < self.now:
            heapq.heappush(self.steps, _Step(moment, next(self.counter), run))


def _actor(user: User) -> Actor:
    return Actor(kind="staff", id=user.id, name=user.username, role=user.role, district_id=user.district_id,
                 unit=user.unit)


def _working_moment(day: date, hour: int, minute: int = 0) -> datetime:
    """`hour:minute` Stockholm time on `day`, or on the first weekday after it (no case work on holidays)."""
    return datetime.combine(next_vardag_on_or_after(day), time(hour, minute), STOCKHOLM)


def history_exists(session: Session) -> bool:
    return bool(session.scalar(select(func.count()).select_from(Notice)
                               .where(Notice.external_id.like(f"{HISTORY_PREFIX}%"))))


def seed_history(session: Session, settings: Settings, *, now: datetime, progress: Callable[[str], None] = print,
                 notices: int = HISTORY_NOTICES) -> int:
    """The history's notices and their case work, once. Returns how many notices it received (0: already there)."""
    if history_exists(session):
        progress("demo: the history is there already")
        return 0
    users = {u.username: u for u in session.scalars(select(User).where(User.active.is_(True))
                                                    .order_by(User.username))}
    staff: dict[str, list[Actor]] = {}
    assessors: dict[tuple[str, str], Actor] = {}
    for user in users.values():
        code = user.district.code if user.district else None
        if user.role == "handler" and code:
            staff.setdefault(code, []).append(_actor(user))
        elif user.role == "joint_assessor" and code and user.unit:
            assessors[(code, user.unit)] = _actor(user)
    intake = next(_actor(u) for u in users.values() if u.role == "intake")
    landlords = [Actor(kind="landlord", id=landlord.id, name=landlord.name)
                 for landlord in session.scalars(select(Landlord).where(Landlord.name.like("%(demo)"))
                                                 .order_by(Landlord.name))]
    world = _World(session, settings, RouterProvider(settings.municipality), landlords, staff, intake, assessors, now)
    rng = random.Random(SEED)
    first = local_today(now) - timedelta(days=HISTORY_DAYS - 7)
    weighted = [code for code, spec in DISTRICTS.items() for _ in range(spec[5])]
    for index in range(notices):
        day = first + timedelta(days=(HISTORY_DAYS - 8) * index // notices)
        _plan_notice(world, rng, index, rng.choice(weighted), day)
    total, done = len(world.steps), 0
    while world.steps:
        step = heapq.heappop(world.steps)
        _sweep_until(world, step.at)
        with clock_at(step.at):
            step.run()
        done += 1
        if done % 250 == 0:
            progress(f"demo: history, {done} of {total} steps")
    _sweep_until(world, now)
    _file_away_messages(session, before=now - timedelta(days=1))
    progress(f"demo: history of {len(world.notices)} notices, {world.swept.missed} deadlines missed")
    return len(world.notices)


def _sweep_until(world: _World, moment: datetime) -> None:
    """The scheduler's sweep, at each moment a timer came due up to `moment`."""
    session = world.session
    while True:
        due = next_due(session, moment)
        if due is None:
            return
        with clock_at(due):
            process_due(session, due, world.swept)


def _file_away_messages(session: Session, before: datetime) -> None:
    """The history's mails and letters went out long ago: recorded as sent then, without making a file
    for each of the hundreds (a fresh demo would otherwise spend its first minutes rendering old letters)."""
    for message in session.scalars(select(OutboxMessage).where(OutboxMessage.status == "pending",
                                                               OutboxMessage.created_at < before)):
        message.status, message.attempts, message.sent_at = "sent", 1, message.created_at
        message.result = HISTORY_RESULT
        session.add(Delivery(outbox_id=message.id, attempt=1, outcome="sent", detail=HISTORY_RESULT,
                             at=message.created_at))


def _plan_notice(world: _World, rng: random.Random, index: int, code: str, day: date) -> None:
    """The notice and its whole story, as steps at their moments (those still in the future are left out)."""
    received = _working_moment(day, rng.randint(8, 15), rng.choice((0, 10, 25, 40, 55)))
    body = notice_body(rng, index, code, received.astimezone(STOCKHOLM).date())
    external_id = body["external_id"]
    landlord = world.landlords[index % len(world.landlords)]
    workers = world.staff.get(code) or []
    handler = workers[index % len(workers)] if workers else None
    kind = body["kind"]
    outcome = (RENT_OUTCOMES + OTHER_OUTCOMES)[index % 10] if index < FIRST_OF_EACH else rng.choice(
        RENT_OUTCOMES * 2 + OTHER_OUTCOMES if kind == NoticeKind.RENT_ARREARS else OTHER_OUTCOMES)
    if kind == NoticeKind.DISTURBANCE_WARNING and outcome == Outcome.EVICTED:
        outcome = Outcome.DECLINED_SUPPORT  # a warning terminates nothing
    busy = [0]  # the last day with planned work: the case closes after it
    unrouted = "coordinates" not in body["property"]
    start = 2 if unrouted else 0  # a notice routed by hand reaches its district's handlers a day later

    def later(days: int, hour: int = 10) -> datetime:
        busy[0] = max(busy[0], days)
        days += start
        moment = _working_moment(received.astimezone(STOCKHOLM).date() + timedelta(days=days), hour, rng.randint(0, 59))
        return max(moment, received + timedelta(minutes=20 + days))  # never before the notice came

    def intake() -> None:
        ctx = IntakeContext(settings=world.settings, routers=world.routers, actor=landlord, now=received)
        world.notices[external_id], _new = receive(world.session, ctx, NoticeIn.model_validate(body), None)

    def event(type_: str, **extra: Any) -> Callable[[], None]:
        def run() -> None:
            notice = world.notices[external_id]
            now = _now()
            ctx = IntakeContext(settings=world.settings, routers=world.routers, actor=landlord, now=now)
            add_event(world.session, ctx, notice, EventIn.model_validate(
                {"type": type_, "occurred_on": local_today(now).isoformat(), **extra}), None)
        return run

    def work(command: str, actor: Actor | None, do: Callable[[Any, Actor, datetime], Any]) -> Callable[[], None]:
        def run() -> None:
            who = actor or handler
            case_id = world.notices[external_id].case_id
            if who is None or case_id is None:
                return
            case = cases.for_work(world.session, who, case_id, command, via="demo")
            do(case, who, _now())
        return run

    world.at(received, intake)
    if unrouted:
        routed = _working_moment(received.astimezone(STOCKHOLM).date() + timedelta(days=1), 9)
        world.at(routed, lambda: cases.route_manually(world.session, world.intake, world.notices[external_id].id,
                                                           code, _now(), via="demo"))
    if handler is None or (index >= FIRST_OF_EACH and rng.random() < 0.06):
        return  # nobody has taken it yet
    world.at(later(rng.choice((0, 1, 1, 2)), 11),
             work("assign", handler, lambda c, a, n: cases.assign(world.session, c, a, username=a.name)))
    if kind == NoticeKind.RENT_ARREARS and "tenant_served_on" not in body:
        served = later(rng.randint(2, 5), 8)
        world.at(served, event("tenant_served"))
    late = rng.random() < 0.12  # the first contact comes after its deadline (1–2 vardagar)
    first = rng.randint(4, 8) if late else rng.choice((0, 0, 1))
    reached = outcome not in (Outcome.NO_CONTACT,) and rng.random() < 0.7
    channel = rng.choice((ContactChannel.PHONE, ContactChannel.PHONE, ContactChannel.LETTER, ContactChannel.SMS))
    world.at(later(first, 10), work("contact", None, lambda c, a, n: cases.record_contact(
        world.session, c, a, channel=channel, reached=reached, note=None, now=n)))
    if not reached:
        world.at(later(first + 1, 14), work("contact", None, lambda c, a, n: cases.record_contact(
            world.session, c, a, channel=ContactChannel.HOME_VISIT, reached=outcome != Outcome.NO_CONTACT,
            note="Hembesök, lapp lämnad." if outcome == Outcome.NO_CONTACT else None, now=n)))
    household = body["household"] or {}
    if household.get("children_under_18") and rng.random() < 0.8:
        world.at(later(rng.randint(1, 3), 13), work("budget_advice", None, _offer_budget_advice(world)))
    if body["household"] is None and rng.random() < 0.5:
        children, seniors = rng.choice(((0, 0), (1, 0), (0, 1), (2, 0)))
        world.at(later(2, 15), work("household", None, lambda c, a, n: cases.set_household(
            world.session, c, a, children=children, seniors=seniors, now=n)))
    units = (["children_families"] if household.get("children_under_18") else []) + (
        ["elderly_care"] if household.get("residents_65_or_older") else [])
    for unit in units:
        assessor = world.assessors.get((code, unit))
        world.at(later(2, 9), work("joint_assessment.accept", assessor, lambda c, a, n, u=unit: cases.accept_joint_part(
            world.session, c, a, unit=u, now=n)))
        if rng.random() < 0.75:
            world.at(later(rng.randint(6, 14), 15), work("joint_assessment.complete", assessor,
                                                         lambda c, a, n, u=unit: cases.complete_joint_part(
                world.session, c, a, unit=u, conclusion="Bedömning klar: stöd erbjuds inom ordinarie insats.",
                now=n)))
    _plan_outcome(world, rng, outcome, body, later, event, work, busy)


def _plan_outcome(world: _World, rng: random.Random, outcome: Outcome, body: dict[str, Any],
                  later: Callable[..., datetime], event: Callable[..., Callable[[], None]],
                  work: Callable[..., Callable[[], None]], busy: list[int]) -> None:
    settle = max(rng.randint(6, 16), busy[0] + 1)
    closing = settle + rng.randint(1, 4)
    if outcome == Outcome.RENT_PAID:
        world.at(later(settle, 8), event("rent_paid"))
    elif outcome == Outcome.PAYMENT_PLAN:
        world.at(later(settle, 8), event("payment_plan_agreed"))
    elif outcome == Outcome.PAYMENT_COMMITMENT:
        amount = Decimal(str(body["arrears"]["amount_sek"]))

        def commit(c: Any, a: Actor, n: datetime) -> None:
            decided = local_today(n)
            cases.register_payment_commitment(world.session, c, a, amount_sek=amount, decided_on=decided,
                                              covers_until=decided + timedelta(days=90),
                                              note="Beslut enligt socialtjänstlagen (demo).", now=n)
        world.at(later(rng.randint(3, 8), 14), work("payment_commitment", None, commit))
    elif outcome == Outcome.TERMINATION_WITHDRAWN:
        world.at(later(settle, 8), event("termination_withdrawn"))
    elif outcome == Outcome.MOVED_OUT:
        world.at(later(settle + 10, 8), event("tenant_moved_out"))
        closing = settle + 12
    elif outcome == Outcome.EVICTED:
        eviction = later(60, 9)
        world.at(later(30, 8), event("eviction_applied"))
        world.at(later(40, 8), event("eviction_scheduled", eviction_at=eviction.isoformat()))
        world.at(later(61, 8), event("eviction_executed"))
        closing = 62
    elif outcome == Outcome.NO_CONTACT:
        closing = settle + 20
    closing = max(closing, busy[0] + 1)
    if rng.random() < 0.05:
        closing += 60  # a case left open for long: the backlog's older buckets
    note = NOTES.get(outcome)
    world.at(later(closing, 16), work("close", None, lambda c, a, n: cases.close(
        world.session, c, a, outcome=outcome, note=note, now=n)))
    if rng.random() < 0.04:
        world.at(later(closing + 5, 10), work("reopen", None, lambda c, a, n: cases.reopen(
            world.session, c, a, reason="Hyresvärden meddelar att skulden har vuxit igen.", now=n)))


def _offer_budget_advice(world: _World) -> Callable[[Any, Actor, datetime], None]:
    def run(case: Any, actor: Actor, now: datetime) -> None:
        if any(d.kind == DeadlineKind.BUDGET_ADVICE_OFFER and d.status == DeadlineStatus.PENDING
               for d in case.deadlines):  # the offer's week may already have run out (a holiday week)
            cases.offer_budget_advice(world.session, case, actor, now=now)
    return run


def _now() -> datetime:
    return utcnow()  # the step's moment: `clock_at` set it
