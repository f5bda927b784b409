"""The audit log: append-only, one row per read of personal data and per action.

Written in the caller's transaction, so an action that rolls back leaves no
audit row claiming it happened — except reads, which the caller records even
when the request fails afterwards (see `record`'s users).
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from app.logging import current_request_id
from app.security.actors import Actor
from app.security.models import AuditEvent


def record(
    session: Session,
    actor: Actor,
    action: str,
    *,
    object_type: str | None = None,
    object_id: uuid.UUID | str | None = None,
    district_id: uuid.UUID | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_kind=actor.kind,
        actor_id=str(actor.id) if actor.id else None,
        actor_name=actor.name,
        action=action,
        object_type=object_type,
        object_id=str(object_id) if object_id is not None else None,
        district_id=district_id,
        ip=actor.ip,
        request_id=current_request_id(),
        details=details,
    )
    session.add(event)
    return event
