"""The district queue: most urgent first, keyset paged, index-driven.

Order: priority (critical, high, normal), then the nearest *firm* pending
deadline, then the nearest pending deadline of any kind (estimates included),
then the oldest case. An estimated date (the tenant's service date unknown: the
earliest possible end, `estimated`) therefore never outranks a firm date in the
same priority — a redemption period that ends today comes before every
estimate that seemed to pass a week ago. `sort_keys` is that rule, kept in the
case's columns by `transitions.refresh`; `ix_cases_queue` covers the WHERE and
ORDER BY, so a page costs the same at 10 thousand or 1 million cases.

Views (saved filters, with capped counts): mine, unassigned, due today,
overdue, joint assessment. Search (`q`): `app/cases/search.py`.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Uuid, and_, exists, func, literal, or_, select, tuple_
from sqlalchemy.orm import Session, selectinload

from app.calendar import STOCKHOLM, local_today
from app.cases import people, search
from app.cases.models import NO_DEADLINE, PRIORITY_RANK, Case
from app.dates import cursor_moment
from app.db import UTCDateTime
from app.errors import ValidationProblem
from app.households.models import JointAssessmentPart
from app.notices.models import Notice
from app.security.actors import Actor
from app.security.scope import cases_readable_by
from app.sql import json_contains
from app.vocabulary import DeadlineKind, DeadlineStatus, QueueView, codes

ORDER = (Case.priority_rank, Case.next_firm_due_at, Case.next_due_at, Case.opened_at, Case.id)
VIEWS = codes(QueueView)
COUNT_CAP = 999  # a view's count stops here ("999+"): counting costs what a page costs


# --------------------------------------------------------------------------- the ordering rule

def sort_keys(case: Case) -> tuple[datetime, datetime, datetime | None]:
    """(nearest pending deadline, nearest pending firm deadline, overdue since) — what the queue sorts by.

    Overdue: the earliest deadline declared missed whose obligation is still
    open (a missed first contact no longer counts once the household was reached).
    """
    pending = case.pending_deadlines
    next_due = min((d.due_at for d in pending), default=NO_DEADLINE)
    next_firm = min((d.due_at for d in pending if not d.estimated), default=NO_DEADLINE)
    missed = [d.due_at for d in case.deadlines if d.status == DeadlineStatus.MISSED
              and not (d.kind == DeadlineKind.FIRST_CONTACT and case.first_contact_at is not None)]
    return next_due, next_firm, min(missed, default=None)


def encode_cursor(case: Case) -> str:
    raw = "|".join([str(case.priority_rank), case.next_firm_due_at.isoformat(), case.next_due_at.isoformat(),
                    case.opened_at.isoformat(), str(case.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


_RANKS = frozenset(PRIORITY_RANK.values())


def decode_cursor(cursor: str) -> tuple[int, datetime, datetime, datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        rank, firm, due, opened, ident = raw.split("|")
        moments = [cursor_moment(v) for v in (firm, due, opened)]
        if int(rank) not in _RANKS:  # the database's integer holds no rank of thirty digits
            raise ValueError("not a priority's rank")
        return int(rank), moments[0], moments[1], moments[2], uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError):
        raise ValidationProblem([{"field": "cursor", "message": "not a cursor from this API"}]) from None


# --------------------------------------------------------------------------- views

def _day_bounds(now: datetime) -> tuple[datetime, datetime]:
    today = local_today(now)
    start = datetime.combine(today, time(0), tzinfo=STOCKHOLM)
    return start, datetime.combine(today + timedelta(days=1), time(0), tzinfo=STOCKHOLM)


def view_clause(view: str, actor: Actor, now: datetime) -> ColumnElement[bool]:
    """The filter of a saved view (always open cases)."""
    is_open = Case.status == "open"
    if view == "mina":
        return and_(is_open, Case.assigned_to_id == actor.id)
    if view == "ej-tilldelade":
        return and_(is_open, Case.assigned_to_id.is_(None))
    if view == "i-dag":
        start, end = _day_bounds(now)
        return and_(is_open, Case.next_firm_due_at >= start, Case.next_firm_due_at < end)
    if view == "forsenade":
        return and_(is_open, or_(Case.overdue_since.is_not(None), Case.next_firm_due_at < now))
    if view == "gemensam":
        return and_(is_open, exists().where(JointAssessmentPart.case_id == Case.id,
                                            JointAssessmentPart.completed_at.is_(None)))
    raise ValidationProblem([{"field": "view", "message": f"one of: {', '.join(VIEWS)}"}])


def counts(session: Session, actor: Actor, now: datetime) -> dict[str, int]:
    """How many open cases each view holds, each count stopping at COUNT_CAP + 1."""
    found = {}
    for view in VIEWS:
        capped = select(Case.id).where(cases_readable_by(actor), view_clause(view, actor, now)).limit(COUNT_CAP + 1)
        found[view] = session.scalar(select(func.count()).select_from(capped.subquery())) or 0
    return found


# --------------------------------------------------------------------------- a page

def page(session: Session, actor: Actor, *, status: str = "open", assigned: str = "any",
         cursor: str | None = None, limit: int = 50, flag: str | None = None,
         kind: str | None = None, view: str | None = None, q: str | None = None,
         now: datetime | None = None, data_key: str | None = None,
         via: str | None = None) -> tuple[list[Case], str | None]:
    query = select(Case).where(cases_readable_by(actor))
    if status in ("open", "closed"):
        query = query.where(Case.status == status)
    if assigned == "me":
        query = query.where(Case.assigned_to_id == actor.id)
    elif assigned == "none":
        query = query.where(Case.assigned_to_id.is_(None))
    if kind is not None:
        query = query.where(Case.id.in_(select(Notice.case_id).where(Notice.kind == kind)))
    if view:
        if now is None:
            raise ValueError("a view needs now")
        query = query.where(view_clause(view, actor, now))
    found_by = None
    if q and q.strip():
        if now is None or data_key is None:
            raise ValueError("a search needs now and the data key")
        found_by = search.parse(q, actor=actor, today=local_today(now), data_key=data_key)
        query = query.where(found_by.clause)
    if cursor:
        rank, firm, due, opened, ident = decode_cursor(cursor)
        # A row-value comparison in the index's own order: the database starts the index scan at the
        # cursor instead of filtering every row before it (deep pages stay as cheap as the first).
        moment = UTCDateTime()
        query = query.where(tuple_(*ORDER) > tuple_(literal(rank), literal(firm, moment), literal(due, moment),
                                                     literal(opened, moment), literal(ident, Uuid())))
    query = query.order_by(*ORDER)
    if flag is not None:
        query = query.where(json_contains(Case.flags, flag))
    options = (selectinload(Case.notices).selectinload(Notice.tenants), selectinload(Case.deadlines),
               selectinload(Case.eviction_notices))
    rows = list(session.scalars(query.limit(limit + 1).options(*options)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    if found_by is not None:
        search.record(session, actor, found_by, found=min(len(rows), limit), via=via)
    return rows[:limit], next_cursor


# --------------------------------------------------------------------------- an item

def next_deadline(case: Case) -> dict[str, Any] | None:
    """The deadline the case sorts by: the nearest firm one, else the nearest estimate."""
    pending = case.pending_deadlines
    firm = [d for d in pending if not d.estimated]
    candidates = firm or pending
    if not candidates:
        return None
    soonest = min(candidates, key=lambda d: d.due_at)
    return {"kind": soonest.kind, "date": (soonest.due_on or soonest.due_at.astimezone(STOCKHOLM).date()).isoformat(),
            "estimated": soonest.estimated, "due_at": soonest.due_at.isoformat()}


def earlier_estimate(case: Case) -> dict[str, Any] | None:
    """An estimated deadline before the one the case sorts by (shown beside it, marked as an estimate)."""
    chosen = next_deadline(case)
    estimates = [d for d in case.pending_deadlines if d.estimated]
    if chosen is None or chosen["estimated"] or not estimates:
        return None
    soonest = min(estimates, key=lambda d: d.due_at)
    if soonest.due_at >= datetime.fromisoformat(chosen["due_at"]):
        return None
    return {"kind": soonest.kind, "date": (soonest.due_on or soonest.due_at.astimezone(STOCKHOLM).date()).isoformat(),
            "estimated": True, "due_at": soonest.due_at.isoformat()}


def queue_item(case: Case) -> dict[str, Any]:
    notices = sorted(case.notices, key=lambda n: n.received_at)
    latest = notices[-1] if notices else None
    district = case.district
    return {
        "case_id": str(case.id),
        "case_number": case.number,
        "notice_ids": [str(n.id) for n in notices],
        "kind": latest.kind if latest else None,
        "kinds": sorted({n.kind for n in notices}),
        "district": {"code": district.code, "name": district.name} if district else None,
        "received_at": (notices[0].received_at if notices else case.opened_at).astimezone(STOCKHOLM).isoformat(
            timespec="seconds"),
        "priority": case.priority,
        "flags": list(case.flags),
        "joint_assessment": {"required": bool(case.joint_assessment_units),
                             "units": list(case.joint_assessment_units)},
        "next_deadline": next_deadline(case),
        "assigned_to": case.assigned_to.username if case.assigned_to else None,
        "tenants": people.tenant_names(case),
        "address": people.address_line(case),
        "status": case.status,
    }
