"""Administration: the outbox (`/admin/utskick`) — what waits, what failed and why, in Swedish.

A failed message is offered a retry only where one can help: a permanent failure
(no recipient, refused, the case purged …; `app/vocabulary_records.py:
PERMANENT_FAILURES`) says why not and what to do instead, and the retry form
refuses it (409) should it be posted anyway. Nothing here shows case contents or
a recipient: a message is its channel, what it is, its case number and dates.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from app.cases.models import Case
from app.deps import SessionDep, SettingsDep
from app.errors import Problem
from app.security import audit
from app.vocabulary_records import (
    CHANNELS,
    DELIVERY_FAILURE_ADVICE,
    MESSAGE_TEMPLATES,
    OUTBOX_STATUSES,
    DeliveryFailure,
)
from app.web.common import CsrfField, page, request_now, require_role, see_other
from app.web.session import WebUserDep, check_csrf
from notifications import outbox
from notifications.models import OutboxMessage

router = APIRouter(include_in_schema=False)
LISTED = 100
SENT_WITHIN = timedelta(days=7)


def _row(message: OutboxMessage, numbers: dict[uuid.UUID, str]) -> dict[str, Any]:
    kind = outbox.failure_of(message)
    return {
        "id": str(message.id), "created_at": message.created_at, "next_attempt_at": message.next_attempt_at,
        "channel": CHANNELS.get(message.channel, "Okänd kanal"),
        "what": MESSAGE_TEMPLATES.get(message.template, "Annat utskick"),
        "case_number": numbers.get(message.case_id) if message.case_id else None,
        "attempts": message.attempts, "kind": kind,
        "retryable": message.status == "failed" and (kind is None or not kind.permanent),
        # The channel's own words (English) are in the operator's log line, found by this reference.
        "technical": bool(outbox.failure_detail(message)), "ref": str(message.id)[:8],
    }


def _messages(session: Any, *where: Any) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(*where)
                                .order_by(OutboxMessage.created_at.desc()).limit(LISTED)))


def _outbox_page(request: Request, web: Any, session: Any, *, done: str | None = None, error: str | None = None,
                 status: int = 200) -> HTMLResponse:
    failed = _messages(session, OutboxMessage.status == "failed")
    waiting = _messages(session, OutboxMessage.status == "pending", OutboxMessage.attempts > 0)
    case_ids = {m.case_id for m in failed + waiting if m.case_id}
    numbers = dict(session.execute(select(Case.id, Case.number).where(Case.id.in_(case_ids))).all()) \
        if case_ids else {}
    counts: dict[str, dict[str, int]] = {channel: {} for channel in CHANNELS}
    for channel, state, n in session.execute(
            select(OutboxMessage.channel, OutboxMessage.status, func.count())
            .where((OutboxMessage.status != "sent") | (OutboxMessage.sent_at >= request_now(request) - SENT_WITHIN))
            .group_by(OutboxMessage.channel, OutboxMessage.status)):
        counts.setdefault(channel, {})[state] = n
    return page(request, "admin_outbox.html", web, status=status, section="utskick", done=done, error=error,
                failed=[_row(m, numbers) for m in failed], waiting=[_row(m, numbers) for m in waiting],
                counts=counts, channels=CHANNELS, statuses=OUTBOX_STATUSES, listed=LISTED,
                advice=DELIVERY_FAILURE_ADVICE)


@router.get("/admin/utskick", response_class=HTMLResponse)
def admin_outbox(request: Request, web: WebUserDep, session: SessionDep, klart: str = "") -> HTMLResponse:
    require_role(web, "admin")
    done = "Utskicket är tillbaka i kön och skickas inom en minut." if klart == "forsok-igen" else None
    return _outbox_page(request, web, session, done=done)


@router.post("/admin/utskick/{message_id}/forsok-igen")
def admin_retry(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep, message_id: str,
                csrf: CsrfField = None) -> Response:
    check_csrf(settings, web, csrf)
    require_role(web, "admin")
    try:
        key = uuid.UUID(message_id)
    except ValueError:
        raise Problem(404) from None
    try:
        retried = outbox.retry_failed(session, key)
    except outbox.NotRetryable as exc:
        return _outbox_page(request, web, session, status=409, error=_not_retryable(exc.kind))
    if not retried:
        raise Problem(404)
    audit.record(session, web.actor, "admin.outbox.retry", object_type="outbox", object_id=key)
    return see_other("/admin/utskick?klart=forsok-igen")


def _not_retryable(kind: DeliveryFailure) -> str:
    return f"Utskicket kan inte skickas igen: {kind.label} Ett nytt försök skulle misslyckas på samma sätt."

