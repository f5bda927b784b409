"""The district queue: most urgent first, keyset paged, index-driven.

Order: priority (critical, high, normal), then the nearest pending deadline,
then the oldest case. `ix_cases_queue` covers the WHERE and ORDER BY, so a
page costs the same at 10 thousand or 1 million cases.
"""

from __future__ import annotations

import base64
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Uuid, literal, select, tuple_
from sqlalchemy.orm import Session, selectinload

from app.calendar import STOCKHOLM
from app.cases.models import NO_DEADLINE, Case
from app.db import UTCDateTime
from app.errors import ValidationProblem
from app.notices.models import Notice
from app.security.actors import Actor
from app.security.scope import cases_readable_by
from app.sql import json_contains


def encode_cursor(case: Case) -> str:
    raw = f"{case.priority_rank}|{case.next_due_at.isoformat()}|{case.opened_at.isoformat()}|{case.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[int, datetime, datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        rank, due, opened, ident = raw.split("|")
        due_at, opened_at = datetime.fromisoformat(due), datetime.fromisoformat(opened)
        if due_at.tzinfo is None or opened_at.tzinfo is None:
            raise ValueError("naive")
        return int(rank), due_at, opened_at, uuid.UUID(ident)
    except (ValueError, UnicodeDecodeError):
        raise ValidationProblem([{"field": "cursor", "message": "not a cursor from this API"}]) from None


def page(session: Session, actor: Actor, *, status: str = "open", assigned: str = "any",
         cursor: str | None = None, limit: int = 50, flag: str | None = None,
         kind: str | None = None) -> tuple[list[Case], str | None]:
    query = select(Case).where(cases_readable_by(actor))
    if status in ("open", "closed"):
        query = query.where(Case.status == status)
    if assigned == "me":
        query = query.where(Case.assigned_to_id == actor.id)
    elif assigned == "none":
        query = query.where(Case.assigned_to_id.is_(None))
    if kind is not None:
        query = query.where(Case.id.in_(select(Notice.case_id).where(Notice.kind == kind)))
    if cursor:
        rank, due, opened, ident = decode_cursor(cursor)
        # A row-value comparison in the index's own order: the database starts the index scan at the
        # cursor instead of filtering every row before it (deep pages stay as cheap as the first).
        query = query.where(
            tuple_(Case.priority_rank, Case.next_due_at, Case.opened_at, Case.id)
            > tuple_(literal(rank), literal(due, UTCDateTime()), literal(opened, UTCDateTime()), literal(ident, Uuid()))
        )
    query = query.order_by(Case.priority_rank, Case.next_due_at, Case.opened_at, Case.id)
    if flag is not None:
        query = query.where(json_contains(Case.flags, flag))
    options = (selectinload(Case.notices), selectinload(Case.deadlines))
    rows = list(session.scalars(query.limit(limit + 1).options(*options)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor


def next_deadline(case: Case) -> dict[str, Any] | None:
    pending = [d for d in case.deadlines if d.status == "pending"]
    if not pending or case.next_due_at == NO_DEADLINE:
        return None
    soonest = min(pending, key=lambda d: d.due_at)
    return {"kind": soonest.kind, "date": (soonest.due_on or soonest.due_at.astimezone(STOCKHOLM).date()).isoformat(),
            "due_at": soonest.due_at.isoformat()}


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
        "status": case.status,
    }
