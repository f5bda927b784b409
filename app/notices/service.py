"""Intake: store a landlord's notice, route it, compute its deadlines, open or join its case.

Idempotency is decided by unique constraints, not by a read-then-write: each
notice is inserted inside a savepoint, and a unique violation (a concurrent
retry got there first) turns into a replay of what is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from pydantic import BaseModel
from sqlalchemy import and_, literal, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, SessionTransaction, selectinload

from app.calendar import STOCKHOLM, local_today
from app.cases import notify
from app.cases import service as cases
from app.cases.models import Case
from app.config import Settings
from app.dates import cursor_moment
from app.deadlines import service as deadline_rows
from app.errors import Problem, ValidationProblem
from app.notices.models import Notice, Tenant
from app.notices.rows import notice_values, tenancy_key  # noqa: F401 - tenancy_key: used from here too
from app.notices.schemas import NoticeIn
from app.notices.validation import check_notice, require_own_municipality
from app.routing.districts import district_by_code
from app.routing.engine import Router, RoutingDecision
from app.routing.models import District
from app.routing.service import RouterProvider, route
from app.security import audit
from app.security.actors import Actor
from app.security.crypto import fingerprint_matches, matching_hash

@dataclass
class IntakeMemo:
    """What one unit of work (a request, a batch) has already looked up or enqueued.

    Lives no longer than that unit's session and transaction (one IntakeContext per
    request), so nothing in it can go stale for another request.
    """

    districts: dict[str, District | None] = field(default_factory=dict)  # by routing code
    digests: set[str] = field(default_factory=set)  # new-case digest keys already enqueued


@dataclass(frozen=True)
class IntakeContext:
    settings: Settings
    routers: RouterProvider
    actor: Actor
    now: datetime
    memo: IntakeMemo = field(default_factory=IntakeMemo, compare=False, repr=False)

    @classmethod
    def of(cls, state: Any, actor: Actor) -> IntakeContext:
        """One unit of intake work for this actor, from the app's state (its settings, routers and clock)."""
        return cls(settings=state.settings, routers=state.routers, actor=actor, now=state.clock())


def body_hash(model: BaseModel, data_key: str) -> str:
    """The fingerprint a retry is compared by, keyed: the body holds identity numbers, and an
    unkeyed digest of it could be confirmed by anyone who guesses the body."""
    return matching_hash(data_key, "body:" + model.model_dump_json())


def same_body(stored: str, model: BaseModel, data_key: str) -> bool:
    """Rows stored before the digest was keyed hold a plain SHA-256: a retry of those is still a replay."""
    if fingerprint_matches(data_key, "body:" + model.model_dump_json(), stored):  # earlier data keys too
        return True
    return hmac.compare_digest(stored, hashlib.sha256(model.model_dump_json().encode()).hexdigest())


# --------------------------------------------------------------------------- receipts

def receipt(notice: Notice, deadlines: list[Any] | None = None) -> dict[str, Any]:
    rows = deadlines if deadlines is not None else (notice.case.deadlines if notice.case else [])
    statutory = sorted(deadline_rows.statutory_for_notice(notice, rows), key=lambda d: d.due_at)
    district = notice.district
    return {
        "id": str(notice.id),
        "external_id": notice.external_id,
        "kind": notice.kind,
        "received_at": notice.received_at.astimezone(STOCKHOLM).isoformat(timespec="seconds"),
        "status": notice.status,
        "district": {"code": district.code, "name": district.name} if district else None,
        # Only a test key's notice says so; a real receipt stays exactly the published one.
        **({"test": True} if notice.test else {}),
        "deadlines": [
            {"kind": d.kind, "date": d.due_on.isoformat(), "legal_basis": d.legal_basis, "estimated": d.estimated}
            for d in statutory
        ],
    }


# --------------------------------------------------------------------------- intake

def _existing(session: Session, landlord_id: uuid.UUID, external_id: str, key: str | None,
              test: bool = False, memo: IntakeMemo | None = None, district_code: str | None = None,
              ) -> tuple[Notice | None, str]:
    """The stored notice this one repeats, and by which: the Idempotency-Key wins over the external_id.

    A test key's notices and real ones are apart (`test`): neither is ever a replay of the other.
    With `memo` and `district_code`, the routed district comes in the same statement (one round trip
    fewer for a single notice) and waits in `memo.districts` for `_store`."""
    same = Notice.external_id == external_id if key is None else or_(Notice.idempotency_key == key,
                                                                       Notice.external_id == external_id)
    mine = and_(Notice.landlord_id == landlord_id, Notice.test == test, same)
    if memo is not None and district_code is not None and district_code not in memo.districts:
        # One row from nothing, the district beside it, the (at most two) notices beside that.
        one = select(literal(1).label("one")).subquery()
        rows = session.execute(select(District, Notice).select_from(one)
                               .outerjoin(District, District.code == district_code).outerjoin(Notice, mine)).all()
        district = rows[0][0] if rows else None
        # A former area's code names its successor: the rare case looks it up on its own.
        memo.districts[district_code] = district if district is not None else district_by_code(session, district_code)
        found = [notice for _, notice in rows if notice is not None]
    elif key is None:
        notice = session.scalar(select(Notice).where(mine))
        found = [notice] if notice is not None else []
    else:  # one look-up for both unique keys (at most two rows)
        found = list(session.scalars(select(Notice).where(mine)).all())
    return repeated(found, external_id, key)


def repeated(found: Sequence[Any], external_id: str, key: str | None) -> tuple[Any, str]:
    """Which of the stored notices `found` this one repeats, and by which (`repeated_in`)."""
    return repeated_in({n.idempotency_key: n for n in found if n.idempotency_key is not None},
                       {n.external_id: n for n in found}, external_id, key)


def repeated_in(by_key: Mapping[str, Any], by_external_id: Mapping[str, Any], external_id: str,
                key: str | None) -> tuple[Any, str]:
    """The notice this one repeats, and by which: the Idempotency-Key wins over the external_id.
    For the one-notice path and the set-wise writer alike."""
    if key is not None and key in by_key:
        return by_key[key], "Idempotency-Key"
    return by_external_id.get(external_id), "external_id"


def _replay(notice: Notice, body: NoticeIn, data_key: str, via: str) -> Notice:
    if not same_body(notice.body_hash, body, data_key):
        raise Problem(
            409,
            f"A notice with this {via} was received before with a different body "
            f"(id {notice.id}). Use a new external_id for a new notice; corrections are sent as events.",
            type_="conflict",
            title="Conflicting retry",
            extra={"notice_id": str(notice.id)},
        )
    return notice


def receive(session: Session, ctx: IntakeContext, body: NoticeIn, idempotency_key: str | None, *,
            alone: bool = False) -> tuple[Notice, bool]:
    """Store one notice. Returns (notice, created); raises Problem for 409/422.

    All of it runs in one savepoint, begun before the first statement: a failure of any
    kind leaves nothing of this notice in the session or the memo, and the transaction
    usable for the next notice of a batch (on PostgreSQL a failed statement outside a
    savepoint would end it).

    `alone`: the notice is its transaction's only work (`POST /api/v1/notices` when the set-wise
    writer gives it back, `bulk.receive_many`), so the transaction itself stands in for the savepoint — two round trips fewer. A unique
    violation (a concurrent retry got there first) then rolls the whole transaction back
    before the stored notice is replayed, and any other failure ends the request, whose
    transaction is rolled back by its owner (`app/deps.py`).
    """
    enqueued = set(ctx.memo.digests)
    savepoint = None if alone else session.begin_nested()
    try:
        notice, created = _receive(session, ctx, body, idempotency_key, savepoint)
    except BaseException:
        if savepoint is not None and savepoint.is_active:
            savepoint.rollback()
        ctx.memo.digests.intersection_update(enqueued)
        raise
    if savepoint is not None and savepoint.is_active:
        savepoint.commit()
    return notice, created


def _receive(session: Session, ctx: IntakeContext, body: NoticeIn, idempotency_key: str | None,
             savepoint: SessionTransaction | None) -> tuple[Notice, bool]:
    landlord_id = ctx.actor.id
    assert landlord_id is not None
    digest = body_hash(body, ctx.settings.data_key)
    prop = body.property
    # The transaction before the router's lock, as every request takes them: on SQLite its BEGIN
    # IMMEDIATE is the write lock, and a request holding that must never wait for a request that
    # holds the router's lock while it waits for the write lock (the router reloads with a query).
    session.connection()
    router = ctx.routers.get(session)
    routed: RoutingDecision | Problem | None = None
    if savepoint is None:
        # Alone, the address is routed first (pure, microseconds), so that its district comes with the
        # look-up below. A refusal waits: a replay is answered as one, and invalid content comes first.
        try:
            routed = _route(router, prop)
        except Problem as refusal:
            routed = refusal
    code = routed.district_code if isinstance(routed, RoutingDecision) else None
    existing, via = _existing(session, landlord_id, body.external_id, idempotency_key, ctx.actor.test,
                              ctx.memo if savepoint is None else None, code)
    if existing is not None:
        return _replay(existing, body, ctx.settings.data_key, via), False

    today = local_today(ctx.now)
    errors = check_notice(body, today)
    if errors:
        raise ValidationProblem(errors, title="The notice is not valid")
    if isinstance(routed, Problem):
        raise routed
    decision = routed if routed is not None else _route(router, prop)

    # The unit is built in memory and stored by as few flushes as the foreign keys allow
    # (no autoflush before each query or lazy load); the savepoint (or, alone, the
    # transaction) makes a concurrent retry's unique violation on the notice a replay.
    try:
        with session.no_autoflush:
            notice = _store(session, ctx, body, decision, digest, idempotency_key)
            case, opened = _open_or_join_case(session, ctx, notice)
            audit.record(session, ctx.actor, "notice.create", object_type="notice", object_id=notice.id,
                         district_id=notice.district_id)
        session.flush()
    except IntegrityError:
        if savepoint is not None:
            savepoint.rollback()
        else:
            session.rollback()  # the notice was the transaction's only work
        existing, via = _existing(session, landlord_id, body.external_id, idempotency_key, ctx.actor.test)
        if existing is None:  # pragma: no cover - a constraint we did not expect
            raise
        return _replay(existing, body, ctx.settings.data_key, via), False
    _enqueue_messages(session, ctx, notice, case, opened)
    return notice, True


def _route(router: Router, prop: Any) -> RoutingDecision:
    """The district of the address, or the 422 for an address outside the municipality."""
    decision = route(
        router,
        street_address=prop.street_address,
        postal_code=prop.postal_code,
        city=prop.city,
        apartment_number=prop.apartment_number,
        lat=prop.coordinates.lat if prop.coordinates else None,
        lon=prop.coordinates.lon if prop.coordinates else None,
    )
    return require_own_municipality(decision, router, prop)


def _store(session: Session, ctx: IntakeContext, body: NoticeIn, decision: RoutingDecision,
           digest: str, idempotency_key: str | None) -> Notice:
    district = _district(session, ctx.memo, decision.district_code)
    values, tenants = notice_values(ctx, body, decision, digest, idempotency_key, district)
    # district set, not lazy-loaded: the receipt names it.
    notice = Notice(**values, district=district)
    for tenant in tenants:
        notice.tenants.append(Tenant(**tenant))
    # Not added to the session here: it joins with its case (Case.notices cascades), so its
    # INSERT already names the case and no UPDATE of case_id follows.
    return notice


def _district(session: Session, memo: IntakeMemo, code: str | None) -> District | None:
    if code is None:
        return None
    if code not in memo.districts:  # a batch routes most of its notices to a few districts
        memo.districts[code] = district_by_code(session, code)
    return memo.districts[code]


def _open_or_join_case(session: Session, ctx: IntakeContext, notice: Notice) -> tuple[Any, bool]:
    """The notice's case, opened or joined (the case service decides), and whether it was opened."""
    return cases.receive_notice(session, notice, ctx.actor, ctx.now)


def _enqueue_messages(session: Session, ctx: IntakeContext, notice: Notice, case: Case, opened: bool) -> None:
    """After the notice is stored (a replay has returned before this, so nothing here is ever undone by one)."""
    if opened:
        notify.new_case(session, case, ctx.now, enqueued=ctx.memo.digests)
    if notice.kind == "rent_arrears" and notice.district_id is not None:
        # The tenant is told, in plain Swedish, the date that matters (printed and posted by the district).
        notify.tenant_redemption_letter(session, case, notice.id)


# --------------------------------------------------------------------------- reading

def get_own(session: Session, landlord_id: uuid.UUID, notice_id: str) -> Notice:
    try:
        key = uuid.UUID(notice_id)
    except ValueError:
        raise Problem(404, "No notice with this id for your organisation") from None
    notice = session.scalar(
        select(Notice).where(Notice.id == key, Notice.landlord_id == landlord_id)
        .options(selectinload(Notice.case).selectinload(Case.deadlines))
    )
    if notice is None:
        raise Problem(404, "No notice with this id for your organisation")
    return notice


def encode_cursor(notice: Notice) -> str:
    raw = f"{notice.received_at.isoformat()}|{notice.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        stamp, _, ident = base64.urlsafe_b64decode(padded).decode().partition("|")
        return cursor_moment(stamp), uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError):
        raise ValidationProblem([{"field": "cursor", "message": "not a cursor from this API"}]) from None


def list_own(session: Session, landlord_id: uuid.UUID, *, external_id: str | None, cursor: str | None,
             limit: int) -> tuple[list[Notice], str | None]:
    query = select(Notice).where(Notice.landlord_id == landlord_id)
    if external_id is not None:
        query = query.where(Notice.external_id == external_id)
    if cursor:
        stamp, ident = decode_cursor(cursor)
        query = query.where(or_(Notice.received_at < stamp, and_(Notice.received_at == stamp, Notice.id < ident)))
    rows = list(session.scalars(
        query.order_by(Notice.received_at.desc(), Notice.id.desc()).limit(limit + 1)
        .options(selectinload(Notice.case).selectinload(Case.deadlines))
    ))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor
