"""Intake, set-wise: a batch's notices looked up together and written with one INSERT per table.

A single notice (`POST /api/v1/notices`) comes this way too, as a batch of one (`alone`).

The one-notice path (`service.receive`) costs some twenty statements per notice;
here a batch (or, on SQLite, a chunk of it) costs about as many in all:

1. the look-ups, in one round trip on PostgreSQL (`app/sql.py: fetch_together`): the
   stored notices with the batch's `external_id`s (or its items' keys); the earlier notices and open cases of
   the same people (identity hash) and the earlier notices of the same tenancies
   (`app/cases/matching.py: people_seen_query, tenancies_seen_query`); the districts the
   items route to (each routed once, first), with their handlers and joint assessors;
2. each item in order, in memory, exactly as the one-notice path would take it one by
   one: a replay (of a stored notice, or of an earlier item: same body 200, another
   409), its own 422, or a new notice that opens a case or joins one opened earlier in
   the batch — the rows decided by `app/cases/plan.py`, the rules `transitions` uses;
3. the case numbers in one statement (a notice sent alone on PostgreSQL takes its case's number
   in its rows' statement instead), the district's handlers and joint assessors once,
   then one multi-row INSERT per table (cases, notices, tenants, deadlines, timers,
   timeline, joint-assessment parts, outbox); the audit rows join the hash chain at
   commit like every other (`app/security/audit.py`). On PostgreSQL a batch of more
   than `PART_SIZE` goes in parts, each part's rows written while the next part's items
   are taken (`app/notices/bulk_write.py`).

An item that joins a case stored before the batch (the same person's open case) joins it here
too: the open cases a new item may join (its people's, in the district it routes to) are read and
locked in one more round trip and decided as drafts like the rest (`app/notices/bulk_join.py`). Only a case the batch did not read
(a former area's successor, or one moved or closed since the look-ups) leaves its items to the
one-notice path (`DEFER`), which loads and locks that case; so is a later item with the same
`external_id` or key. Everything runs in one savepoint: a unique violation
(a concurrent batch stored the same `external_id` first) or any unexpected failure rolls
it back and answers None — the caller then takes every item of the chunk one by one,
which replays what the other batch stored and gives a failing item its own 500.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.calendar import local_today
from app.cases import matching, notify, plan
from app.cases.models import Case
from app.errors import Problem, ValidationProblem, is_contention
from app.identity import parse_identity_number
from app.ids import new_id
from app.notices import rows as notice_rows
from app.notices import bulk_join, service
from app.notices.bulk_sql import stored_notice_query
from app.notices.bulk_write import NOTICE_COLUMNS, TENANT_COLUMNS, Part, Writer, cuts
from app.notices.models import Notice
from app.notices.schemas import NoticeIn
from app.notices.validation import check_notice, require_own_municipality
from app.routing.districts import DISTRICT_ROW
from app.routing.service import route
from app.security import audit
from app.security.crypto import matching_hash
from app.sql import fetch_together

log = structlog.get_logger("varsel.notices")

DEFER = object()  # the item is taken by the one-notice path, after the batch's own rows are written


class Deferred(Exception):
    """The notice joins a case stored before this batch that the batch did not read."""


@dataclass
class _Batch:
    """What the batch knows while its items are taken in order."""

    known: dict[str, Any]  # external_id → stored Notice, a notice of this batch, or DEFER
    by_key: dict[str, Any] = field(default_factory=dict)  # Idempotency-Key → the same (notices sent alone)
    stored: list[Any] = field(default_factory=list)  # the stored Notices looked up
    # pin → [(district_id, its open case: a draft, or the id of a stored one not read)]
    open_by_pin: dict[str, list[tuple[Any, Any]]] = field(default_factory=dict)
    recent_pins: set[str] = field(default_factory=set)
    recent_tenancies: set[str] = field(default_factory=set)
    created: list[tuple[Any, plan.CaseDraft]] = field(default_factory=list)  # every part's
    part: Part = field(default_factory=Part)  # the items' rows not yet handed to the writer
    cuts: set[int] = field(default_factory=set)  # the item indexes a new part may begin at
    router: Any = None
    routes: dict[int, Any] = field(default_factory=dict)  # item index → its routing decision, made once
    districts: dict[str, Any] = field(default_factory=dict)  # routing code → the district's row (DISTRICT_ROW)

    @property
    def plan(self) -> plan.IntakePlan:
        return self.part.plan

    def remember(self, external_id: str, key: str | None, notice: Any) -> None:
        """A later item with this external_id or this key repeats `notice` (or is DEFERred too)."""
        self.known[external_id] = notice
        if key is not None:
            self.by_key[key] = notice

    def next_part(self) -> Part:
        """The part so far, handed over; the next one looks the district staff up no more than it did."""
        part, self.part = self.part, Part(staff=self.part.staff)
        return part


def receive_many(session: Session, ctx: service.IntakeContext, items: Sequence[tuple[int, NoticeIn]], *,
                 keys: Mapping[int, str] | None = None, alone: bool = False,
                 origins: Mapping[int, audit.Origin] | None = None) -> dict[int, Any] | None:
    """{index: result ({"status", "receipt"} or {"status", "problem"}) or DEFER}, or None: take each alone.

    `alone`: the transaction's only work — one notice (`POST /api/v1/notices`), or a group of them
    (`app/notices/groups.py`): no savepoint — a failure rolls the whole transaction back, and the
    caller takes each notice by the one-notice path in a fresh one (which replays what a concurrent
    retry stored). A result's problem is the `Problem` itself. Where each item came in a request of
    its own: `keys`, its Idempotency-Key, if it had one; `origins`, that request (for its audit row)."""
    if not items:
        return {}
    digests = set(ctx.memo.digests)
    savepoint = None if alone else session.begin_nested()
    try:
        results = _receive_many(session, ctx, items, keys or {}, alone, origins or {})
    except Exception as exc:
        if savepoint is None:
            session.rollback()
        elif savepoint.is_active:
            savepoint.rollback()
        ctx.memo.digests.clear()
        ctx.memo.digests.update(digests)
        if is_contention(exc):
            raise  # busy for every item alike: the whole request answers 503
        log.info("batch_chunk_one_by_one", items=len(items), error=type(exc).__name__)
        return None
    if savepoint is not None:
        savepoint.commit()
    return results if alone else {index: _batch_answer(result) for index, result in results.items()}


def _receive_many(session: Session, ctx: service.IntakeContext, items: Sequence[tuple[int, NoticeIn]],
                  keys: Mapping[int, str], alone: bool, origins: Mapping[int, audit.Origin]) -> dict[int, Any]:
    landlord_id = ctx.actor.id
    assert landlord_id is not None
    batch = _look_up(session, ctx, items, keys)
    if alone:
        batch.cuts = set()  # one part: nothing to plan while it is written, and one statement reads the chain's head
    results: dict[int, Any] = {}
    data_key = ctx.settings.data_key
    today = local_today(ctx.now)
    router = batch.router
    writer = Writer(session, overlap=not alone)  # a notice alone has no next part to plan meanwhile
    try:
        for index, body in items:
            if batch.part.created and index in batch.cuts:
                writer.send(ctx, batch.next_part())
            _take(session, ctx, batch, writer, index, body, keys.get(index), results, data_key, today, router,
                  origins.get(index))
        writer.send(ctx, batch.next_part())
        # The answers, while PostgreSQL writes the last part: every case has its number by now.
        cases = {id(notice): case for notice, case in batch.created}
        answers = {index: _answer(result, cases) for index, result in results.items()}
        writer.wait()
    finally:
        writer.close()
    return answers


def _take(session: Session, ctx: service.IntakeContext, batch: _Batch, writer: Writer, index: int, body: NoticeIn,
          idempotency_key: str | None, results: dict[int, Any], data_key: str, today: Any, router: Any,
          origin: audit.Origin | None) -> None:
    """One item, in memory: its result, and a new notice's rows in the batch's current part."""
    try:
        existing, via = _existing(session, ctx.actor.id, body.external_id, idempotency_key, batch)
        if existing is DEFER:
            results[index] = DEFER
            return
        if existing is not None:
            if not isinstance(existing, SimpleNamespace):
                writer.wait()  # a stored notice's replay may load from the session
            results[index] = (service._replay(existing, body, data_key, via), False)
            return
        errors = check_notice(body, today)
        if errors:
            raise ValidationProblem(errors, title="The notice is not valid")
        prop = body.property
        decision = batch.routes[index] if index in batch.routes else _route(router, body)
        decision = require_own_municipality(decision, router, prop)
        notice = _new_notice(session, ctx, body, decision, service.body_hash(body, data_key), idempotency_key,
                             _district(session, ctx, batch, writer, decision.district_code))
        try:
            case, opened = _open_or_join_case(session, ctx, notice, batch)
        except Deferred:
            batch.remember(body.external_id, idempotency_key, DEFER)
            results[index] = DEFER
            return
        audit.record(session, origin.actor if origin else ctx.actor, "notice.create", object_type="notice",
                     object_id=notice.id, district_id=notice.district_id, request_id=origin and origin.request_id)
        _enqueue_messages(session, ctx, notice, case, opened, batch)
        batch.remember(body.external_id, idempotency_key, notice)
        batch.created.append((notice, case))
        batch.part.created.append((notice, case))
        results[index] = (notice, True)
    except Problem as problem:
        results[index] = problem


def _district(session: Session, ctx: service.IntakeContext, batch: _Batch, writer: Writer, code: str | None) -> Any:
    """The district a routing code names: its row from the batch's look-ups, or else (a former area's
    code) `service._district`'s, looked up once per batch."""
    if code in batch.districts:
        return batch.districts[code]
    if code is not None and code not in ctx.memo.districts:
        # (psycopg would read the part in flight first anyway; read here, a failure of its INSERT is
        # raised as its own.)
        writer.wait()
    return service._district(session, ctx.memo, code)


def _route(router: Any, body: NoticeIn) -> Any:
    prop = body.property
    return route(router, street_address=prop.street_address, postal_code=prop.postal_code, city=prop.city,
                 apartment_number=prop.apartment_number, lat=prop.coordinates.lat if prop.coordinates else None,
                 lon=prop.coordinates.lon if prop.coordinates else None)


def _new_notice(session: Session, ctx: service.IntakeContext, body: NoticeIn, decision: Any, digest: str,
                idempotency_key: str | None, district: Any) -> Any:
    """`service._store` as plain data: a row with every column of `notices` (its tenants' in `tenants`,
    its District row in `district`), read by the plan, the receipt and `bulk_write.write_part` as they read a Notice —
    but no ORM object and its instrumented attributes for each of a batch's notices."""
    values, tenants = notice_rows.notice_values(ctx, body, decision, digest, idempotency_key, district)
    blank_tenant = dict.fromkeys(TENANT_COLUMNS)
    return SimpleNamespace(**{**dict.fromkeys(NOTICE_COLUMNS), **values}, district=district,
                           tenants=[SimpleNamespace(**{**blank_tenant, **tenant}) for tenant in tenants])


def _batch_answer(result: Any) -> Any:
    """A batch item's result: its problem as the body the contract gives it."""
    if isinstance(result, Problem):
        return {"status": result.status, "problem": result.body()}
    return result


def _answer(result: Any, cases: dict[int, plan.CaseDraft]) -> Any:
    if result is DEFER or isinstance(result, (dict, Problem)):
        return result
    notice, created = result
    draft = cases.get(id(notice))  # a notice of this batch: its deadlines are in its draft
    receipt = service.receipt(notice, draft.deadlines if draft is not None else None)
    return {"status": 201 if created else 200, "receipt": receipt}


# --------------------------------------------------------------------------- the look-ups

def _look_up(session: Session, ctx: service.IntakeContext, items: Sequence[tuple[int, NoticeIn]],
             keys: Mapping[int, str]) -> _Batch:
    """Everything the batch looks up, in one round trip on PostgreSQL (`app/sql.py: fetch_together`):
    its stored notices (by `external_id`, and by the Idempotency-Keys of notices sent alone), the
    people's and the tenancies' history, and the districts its items route to, with their handlers
    and joint assessors."""
    dialect = session.get_bind().dialect.name
    router = ctx.routers.get(session)
    routes: dict[int, Any] = {}
    for index, body in items:
        try:
            routes[index] = _route(router, body)
        except Problem:
            pass  # the item's own answer follows when it is taken
    codes = sorted({d.district_code for d in routes.values() if getattr(d, "district_code", None)} - ctx.memo.districts.keys())
    queries = [stored_notice_query(dialect, ctx.actor.id, ctx.actor.test, sorted({body.external_id for _, body in items}),
                                   set(keys.values()))]
    for code in codes:
        queries += [(DISTRICT_ROW, {"code": code}), notify.staff_by_code_query(dialect, code, *notify.INTAKE_ROLES)]
    item_pins, pins, tenancies = _people(ctx, items)
    since = ctx.now - matching.REPEAT_WINDOW
    if pins:
        queries.append(matching.people_seen_query(dialect, pins))
    if tenancies:
        queries.append(matching.tenancies_seen_query(dialect, tenancies, since))
    found, *rows = fetch_together(session, queries)
    batch = _Batch(known={}, router=router, routes=routes)
    for code in codes:
        found_district, staff, *rows = rows
        for district in found_district:
            batch.districts[code] = SimpleNamespace(**district._asdict())
            batch.part.staff[district.id] = staff
    open_cases, batch.recent_pins = matching.read_people_seen(rows.pop(0), since) if pins else ([], set())
    batch.recent_tenancies = {key for key, in rows.pop(0)} if tenancies else set()
    if found:
        # Most notices are new: the ORM's notices (with their case and deadlines, for the replays'
        # receipts) only when some are stored.
        batch.stored = list(session.scalars(select(Notice).where(Notice.id.in_([id_ for id_, in found]))
                                            .options(selectinload(Notice.case).selectinload(Case.deadlines))))
        batch.known = {n.external_id: n for n in batch.stored}
        batch.by_key = {n.idempotency_key: n for n in batch.stored if n.idempotency_key is not None}
    # The stored cases a new item may join (its people's, in the district it routes to), read and locked;
    # a replay (by its external_id or its key) locks none.
    drafts: dict[Any, Any] = {}
    if open_cases:  # most notices name no one with an open case: nothing more to work out
        by_code = {**{code: d for code, d in ctx.memo.districts.items() if d is not None}, **batch.districts}
        new = [(item, by_code[code].id) for (index, body), (_, item) in zip(items, item_pins, strict=True)
               if body.external_id not in batch.known and keys.get(index) not in batch.by_key
               and (code := getattr(routes.get(index), "district_code", None)) in by_code]
        drafts = bulk_join.load(session, bulk_join.wanted(open_cases, new), {d.id: d for d in by_code.values()})
    for pin, case_id, _opened, district_id in open_cases:  # oldest case first, as `open_case_of_person`
        batch.open_by_pin.setdefault(pin, []).append((district_id, drafts.get(case_id, case_id)))
    batch.cuts = cuts(item_pins)
    return batch


def _people(ctx: service.IntakeContext, items: Sequence[tuple[int, NoticeIn]]) -> tuple[
        list[tuple[int, set[str]]], set[str], set[str]]:
    """Each item's people (the hashes of their identity numbers), all of them, and the items' tenancies.
    A test key's notices match nothing (`app/cases/matching.py`): none."""
    item_pins: list[tuple[int, set[str]]] = [(index, set()) for index, _ in items]
    if ctx.actor.test:
        return item_pins, set(), set()
    data_key = ctx.settings.data_key
    today = local_today(ctx.now)
    tenancies: set[str] = set()
    for (index, body), (_, hashes) in zip(items, item_pins, strict=True):
        for tenant in body.tenants:
            if tenant.personal_identity_number:
                try:
                    canonical = parse_identity_number(tenant.personal_identity_number, today=today).canonical
                except ValueError:
                    continue  # the item's own 422 follows
                hashes.add(matching_hash(data_key, canonical))
        prop = body.property
        if prop.apartment_number:
            postal = "".join(ch for ch in prop.postal_code if ch.isdigit())
            tenancies.add(service.tenancy_key(data_key, postal, prop.street_address, prop.apartment_number))
    return item_pins, set().union(*(hashes for _, hashes in item_pins)), tenancies


def _existing(session: Session, landlord_id: Any, external_id: str, key: str | None, batch: _Batch) -> tuple[Any, str]:
    """`service._existing`, its arguments too (tests fail a query here), from the batch: a notice, or DEFER."""
    return service.repeated_in(batch.by_key, batch.known, external_id, key)


# --------------------------------------------------------------------------- the case, in memory

def _open_or_join_case(session: Session, ctx: service.IntakeContext, notice: Notice,
                       batch: _Batch) -> tuple[plan.CaseDraft, bool]:
    """`cases.service.receive_notice` on drafts: `matching.case_for_notice`'s answer from the batch's look-ups."""
    facts = plan.NoticeFacts.of(notice)
    case: Any = None
    repeat = None
    if not facts.test:
        if facts.district_id is not None:
            # The person's oldest open case in this district: one stored before the batch comes first.
            candidates = [case for pin in facts.pin_hashes for district_id, case in batch.open_by_pin.get(pin, ())
                          if district_id == facts.district_id]
            unread = [c for c in candidates if not isinstance(c, plan.CaseDraft)]
            if unread:
                _remember(batch, facts, unread[0])
                raise Deferred()
            stored = [c for c in candidates if c.written is not None]
            if stored:  # the oldest, as `open_case_of_person`
                case = min(stored, key=lambda c: (c.opened_at, str(c.id)))
                if not any(joined is case for joined in batch.plan.joined):
                    batch.plan.joined.append(case)
            else:  # opened in this batch, at the same instant: the first opened
                case = min(candidates, key=batch.plan.cases.index, default=None)
        if case is not None:
            repeat = "person"
        elif set(facts.pin_hashes) & batch.recent_pins:
            repeat = "person"
        elif facts.apartment_number and facts.tenancy_key in batch.recent_tenancies:
            repeat = "tenancy"
    opened = case is None
    if case is None:
        case = batch.plan.open_case(case_id=new_id(), number="", district=notice.district, now=ctx.now,
                                    test=facts.test)
    batch.plan.receive_notice(case, facts, ctx.actor, repeat=repeat)
    notice.case_id = case.id
    if not facts.test:
        _remember(batch, facts, case)
    return case, opened


def _remember(batch: _Batch, facts: plan.NoticeFacts, case: Any) -> None:
    """A later notice of the batch sees this one: its people's open case, and a repeat."""
    for pin in facts.pin_hashes:
        entries = batch.open_by_pin.setdefault(pin, [])
        if facts.district_id is not None and (facts.district_id, case) not in entries:
            entries.append((facts.district_id, case))
    batch.recent_pins.update(facts.pin_hashes)
    if facts.tenancy_key:
        batch.recent_tenancies.add(facts.tenancy_key)


def _enqueue_messages(session: Session, ctx: service.IntakeContext, notice: Notice, case: plan.CaseDraft,
                      opened: bool, batch: _Batch) -> None:
    """`service._enqueue_messages`, as message plans: resolved to recipients when the batch is written."""
    if opened:
        batch.plan.messages.append(("digest", case))
    if notice.kind == "rent_arrears" and notice.district_id is not None:
        batch.plan.messages.append(("letter", case, notice.id))
