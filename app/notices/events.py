"""A landlord's follow-up events on a stored notice (`POST /api/v1/notices/{id}/events`, the portal).

Idempotent as notices are: the same event (type, date, eviction time) or a retry with the same
Idempotency-Key is a replay and adds nothing; a concurrent retry's unique violation turns into one.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.calendar import STOCKHOLM, local_today
from app.cases import service as cases
from app.errors import Problem, ValidationProblem
from app.notices.models import Notice, NoticeEvent
from app.notices.schemas import EventIn
from app.notices.service import IntakeContext, body_hash, same_body
from app.notices.validation import check_event
from app.security import audit
from app.vocabulary import TERMINAL_EVENTS, LandlordEvent, NoticeStatus

def _event_dedup_key(event: EventIn) -> str:
    at = event.eviction_at.astimezone(STOCKHOLM).isoformat() if event.eviction_at else ""
    return f"{event.type}|{event.occurred_on.isoformat()}|{at}"


def add_event(session: Session, ctx: IntakeContext, notice: Notice, event: EventIn,
              idempotency_key: str | None) -> bool:
    """Apply a landlord's follow-up event. Returns True when new, False for a replay."""
    digest = body_hash(event, ctx.settings.data_key)
    dedup = _event_dedup_key(event)
    if idempotency_key is not None:
        earlier = session.scalar(select(NoticeEvent).where(NoticeEvent.notice_id == notice.id,
                                                           NoticeEvent.idempotency_key == idempotency_key))
        if earlier is not None:
            if not same_body(earlier.body_hash, event, ctx.settings.data_key):
                raise Problem(409, "This Idempotency-Key was used before for a different event",
                              title="Conflicting retry")
            return _replayed(session)
    if session.scalar(select(NoticeEvent.id).where(NoticeEvent.notice_id == notice.id,
                                                    NoticeEvent.dedup_key == dedup)):
        return _replayed(session)
    errors = check_event(event, local_today(ctx.now))
    if event.type == "tenant_served" and notice.kind != "rent_arrears":
        errors.append({"field": "type", "message": "tenant_served applies only to rent_arrears notices"})
    if errors:
        raise ValidationProblem(errors, title="The event is not valid")
    if event.type == "tenant_served" and notice.tenant_served_on is not None:
        raise Problem(409, f"The notice already has tenant_served_on {notice.tenant_served_on.isoformat()}; "
                           "the service date cannot be changed by an event", title="Already served")
    if notice.case is None:
        raise Problem(409, "This notice's personal data has been purged; no more events can be recorded")

    savepoint = session.begin_nested()
    try:
        session.add(NoticeEvent(notice_id=notice.id, type=event.type, occurred_on=event.occurred_on,
                                eviction_at=event.eviction_at, dedup_key=dedup,
                                idempotency_key=idempotency_key, body_hash=digest))
        session.flush()
    except IntegrityError:
        # A concurrent retry stored the same event first; answer with what it made of the notice.
        savepoint.rollback()
        return _replayed(session)
    _apply_event(session, ctx, notice, event)
    savepoint.commit()
    audit.record(session, ctx.actor, f"notice.event.{event.type}", object_type="notice", object_id=notice.id,
                 district_id=notice.district_id)
    return True


def _replayed(session: Session) -> bool:
    """A replay: the answer (the receipt) is made from the notice as stored now. A concurrent request
    may have stored the event, and changed the deadlines, after this one read the notice."""
    session.expire_all()
    return False


def _apply_event(session: Session, ctx: IntakeContext, notice: Notice, event: EventIn) -> None:
    """The notice's own facts first (the case's deadlines and escalation are computed from them)."""
    data: dict[str, Any] = {"type": event.type, "occurred_on": event.occurred_on.isoformat()}
    if event.eviction_at is not None:
        data["eviction_at"] = event.eviction_at.isoformat()
    if event.type == LandlordEvent.TENANT_SERVED:
        notice.tenant_served_on = event.occurred_on
    elif event.type == LandlordEvent.EVICTION_SCHEDULED:
        notice.eviction_at = event.eviction_at
    if event.type in TERMINAL_EVENTS:
        notice.status = NoticeStatus.CLOSED
        notice.closed_by_event = event.type
    cases.apply_landlord_event(session, notice, event.type, data, event.eviction_at, ctx.actor, ctx.now)
