"""Mina underrättelser: the landlord's own notices, one notice's receipt, its PDF, and the events to report.

Everything here is what the landlord API gives a key of the same landlord: the
list and the receipt come from `service.list_own` / `service.get_own` (another
landlord's notice is 404, as for a key) and `service.receipt`; an event goes
through `events.add_event`. Nothing of the social services' work with the
tenant is shown (OSL 26 kap. 1 §): the receipt's status, district and statutory
deadlines, and the events the landlord itself reported. Every read is audited.
"""

from __future__ import annotations

from datetime import date, datetime, time
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError
from sqlalchemy import select

from app.calendar import STOCKHOLM, local_today
from app.deps import SessionDep, SettingsDep
from app.errors import Problem
from app.notices import events, service
from app.notices.models import Notice, NoticeEvent
from app.notices.schemas import EventIn
from app.routing.districts import load_municipality
from app.security import audit
from app.vocabulary import DeadlineKind, LandlordEvent, NoticeKind, NoticeStatus, kind_with_statute, label
from app.web.portal.common import intake_context, page, see_other
from app.web.portal.messages import field_errors, label_of, problem_text, pydantic_errors
from app.web.portal.session import PREFIX, PortalFormDep, PortalUser, PortalUserDep
from notifications.receipt import NoticeReceipt, ReceiptDeadline, render_notice_receipt

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 25
# Reported with a date alone, as buttons; eviction_scheduled also needs Kronofogden's time (its own form).
DATED_EVENTS = [e.value for e in LandlordEvent if e != LandlordEvent.EVICTION_SCHEDULED]
EVENT_ANCHORS = {"occurred_on": "f-occurred_on", "eviction_at": "f-eviction_day"}


def _audit_read(session: Any, portal: PortalUser, action: str, notice: Notice | None = None,
                **details: Any) -> None:
    audit.record(session, portal.actor, action, object_type="notice" if notice else "landlord",
                 object_id=notice.id if notice else portal.user.landlord_id, district_id=None,
                 details=details or None)


@router.get(f"{PREFIX}/underrattelser", response_class=HTMLResponse)
def my_notices(request: Request, portal: PortalUserDep, session: SessionDep,
               referens: Annotated[str, Query(max_length=100)] = "",
               cursor: Annotated[str, Query(max_length=200)] = "") -> Response:
    notices, next_cursor = service.list_own(session, portal.user.landlord_id, external_id=referens.strip() or None,
                                            cursor=cursor or None, limit=PAGE_SIZE)
    _audit_read(session, portal, "portal.notice.list", count=len(notices))
    return page(request, "notices.html", portal, active="mina", receipts=[service.receipt(n) for n in notices],
                next_cursor=next_cursor, referens=referens, first_page=not cursor)


def _notice_page(request: Request, portal: PortalUser, session: Any, notice: Notice, *, status: int = 200,
                 errors: dict[str, list[str]] | None = None, summary: str | None = None,
                 values: dict[str, str] | None = None) -> Response:
    receipt = service.receipt(notice)
    events = [{"type": e.type, "occurred_on": e.occurred_on.isoformat(),
               "eviction_at": e.eviction_at.astimezone(STOCKHOLM).isoformat() if e.eviction_at else None}
              for e in session.scalars(select(NoticeEvent).where(NoticeEvent.notice_id == notice.id)
                                       .order_by(NoticeEvent.occurred_on, NoticeEvent.created_at))]
    offered = [e for e in DATED_EVENTS if e != LandlordEvent.TENANT_SERVED
               or (notice.kind == NoticeKind.RENT_ARREARS and notice.tenant_served_on is None)]
    flags = request.query_params
    return page(request, "notice.html", portal, status=status, active="mina", receipt=receipt, events=events,
                offered=offered, errors=errors or {}, summary=summary, label=label_of, values=values or {},
                anchor=lambda column: EVENT_ANCHORS.get(column, "rapportera"),
                today=local_today(request.app.state.clock()).isoformat(),
                sent="skickad" in flags, repeat="redan" in flags, event_added=flags.get("handelse"),
                purged=notice.case is None)


@router.get(f"{PREFIX}/underrattelser/{{notice_id}}", response_class=HTMLResponse)
def my_notice(request: Request, notice_id: str, portal: PortalUserDep, session: SessionDep) -> Response:
    notice = service.get_own(session, portal.user.landlord_id, notice_id)  # 404 for anyone else's, as for a key
    _audit_read(session, portal, "portal.notice.read", notice)
    return _notice_page(request, portal, session, notice)


def _eviction_at(day: str, clock: str) -> str | None:
    """Kronofogden's date and time of day, as the RFC 3339 timestamp the API takes (Swedish time)."""
    if not day and not clock:
        return None
    try:
        return datetime.combine(date.fromisoformat(day), time.fromisoformat(clock), STOCKHOLM).isoformat()
    except ValueError:
        return f"{day}T{clock}"  # left for EventIn to refuse, naming eviction_at


@router.post(f"{PREFIX}/underrattelser/{{notice_id}}/handelser", response_class=HTMLResponse)
def report_event(request: Request, notice_id: str, portal: PortalFormDep, session: SessionDep,
                 type: Annotated[str, Form(max_length=40)], occurred_on: Annotated[str, Form(max_length=20)] = "",
                 eviction_day: Annotated[str, Form(max_length=20)] = "",
                 eviction_time: Annotated[str, Form(max_length=10)] = "") -> Response:
    notice = service.get_own(session, portal.user.landlord_id, notice_id)
    values = {"occurred_on": occurred_on, "eviction_day": eviction_day, "eviction_time": eviction_time}
    raw: dict[str, Any] = {"type": type, "occurred_on": occurred_on}
    if (at := _eviction_at(eviction_day, eviction_time)) is not None:
        raw["eviction_at"] = at
    try:
        event = EventIn.model_validate(raw)
        created = events.add_event(session, intake_context(request, portal), notice, event, None)
    except ValidationError as exc:
        return _notice_page(request, portal, session, notice, status=422, values=values,
                            errors=pydantic_errors(exc.errors()))
    except Problem as problem:
        return _notice_page(request, portal, session, notice, status=problem.status, values=values,
                            errors=field_errors(problem.errors or []), summary=problem_text(problem))
    return see_other(f"{PREFIX}/underrattelser/{notice.id}?handelse={'ny' if created else 'redan'}#handelser")


@router.get(f"{PREFIX}/underrattelser/{{notice_id}}/kvitto.pdf")
def receipt_pdf(request: Request, notice_id: str, portal: PortalUserDep, session: SessionDep,
                settings: SettingsDep) -> Response:
    notice = service.get_own(session, portal.user.landlord_id, notice_id)
    _audit_read(session, portal, "portal.notice.receipt_pdf", notice)
    today = local_today(request.app.state.clock())
    pdf = render_notice_receipt(_receipt_for_pdf(notice, settings.municipality), today)
    name = "".join(c if c.isalnum() or c in "-_" else "-" for c in notice.external_id)[:60] or "underrattelse"
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'attachment; filename="kvitto-{name}.pdf"'})


def _receipt_for_pdf(notice: Notice, municipality_code: str) -> NoticeReceipt:
    receipt = service.receipt(notice)
    postal = f"{notice.postal_code[:3]} {notice.postal_code[3:]}"
    parts = (notice.street_address, f"lgh {notice.apartment_number}" if notice.apartment_number else None,
             f"{postal} {notice.city or ''}".strip())
    return NoticeReceipt(
        receipt_id=receipt["id"], landlord_name=notice.landlord.name, org_number=notice.landlord.org_number,
        reference=notice.external_id, kind=kind_with_statute(NoticeKind(notice.kind)), sent_on=notice.sent_on,
        received_at=notice.received_at, status=label(NoticeStatus, notice.status),
        district=receipt["district"]["name"] if receipt["district"] else None,
        address=", ".join(p for p in parts if p) if notice.purged_at is None else "(gallrad)",
        tenant_names=[t.name for t in notice.tenants if t.name] or ["(gallrat)"],
        deadlines=[ReceiptDeadline(label(DeadlineKind, d["kind"]), date.fromisoformat(d["date"]), d["legal_basis"],
                                   d["estimated"]) for d in receipt["deadlines"]],
        municipality=load_municipality(municipality_code)["name"],
    )
