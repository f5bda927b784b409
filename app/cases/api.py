"""The staff JSON API (`spec/staff-and-operations.md`): queue, case, case work, manual routing."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.calendar import STOCKHOLM
from app.cases import queue, transitions, views
from app.cases.models import Case
from app.dates import IsoDate
from app.deps import SessionDep, SettingsDep, StaffDep, require_roles
from app.errors import Problem
from app.households.service import set_by_staff
from app.money import MoneyOrText
from app.notices.models import Notice
from app.routing.districts import current_districts, district_by_code
from app.security import audit
from app.security.actors import Actor
from app.security.models import User
from app.security.scope import notices_readable_by
from app.text import MULTI_LINE, SINGLE_LINE

router = APIRouter(prefix="/api/v1", tags=["staff"])

Worker = Annotated[Actor, Depends(require_roles("handler", "manager"))]
CaseReader = Annotated[Actor, Depends(require_roles("handler", "manager", "joint_assessor"))]
IntakeStaff = Annotated[Actor, Depends(require_roles("intake"))]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignIn(_Body):
    username: Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE]


class ContactIn(_Body):
    channel: Literal["letter", "phone", "sms", "home_visit", "meeting"]
    reached: bool
    note: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = None


class PaymentCommitmentIn(_Body):
    amount_sek: MoneyOrText
    covers_until: IsoDate
    decided_on: IsoDate
    note: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = None


class CloseIn(_Body):
    outcome: Literal["rent_paid", "payment_plan", "payment_commitment", "termination_withdrawn", "moved_out",
                     "evicted", "declined_support", "no_contact", "referred", "other"]
    note: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = None


class HouseholdIn(_Body):
    children_under_18: int | None = Field(ge=0, le=30)
    residents_65_or_older: int | None = Field(ge=0, le=30)


class RouteIn(_Body):
    district: Annotated[str, StringConstraints(min_length=1, max_length=60), SINGLE_LINE]


def _now(request: Request) -> Any:
    return request.app.state.clock()


@router.get("/queue", summary="The district's cases, most urgent first")
def get_queue(
    actor: CaseReader,
    session: SessionDep,
    status: Literal["open", "closed", "all"] = "open",
    assigned: Literal["me", "none", "any"] = "any",
    cursor: Annotated[str | None, Query(max_length=300)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
    flag: Annotated[str | None, Query(max_length=40)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
) -> dict[str, Any]:
    cases, next_cursor = queue.page(session, actor, status=status, assigned=assigned, cursor=cursor,
                                    limit=limit, flag=flag, kind=kind)
    return {"items": [queue.queue_item(c) for c in cases], "next_cursor": next_cursor}


@router.get("/cases/{case_id}", summary="One case: notices, tenants, deadlines, timeline …")
def get_case(case_id: str, actor: CaseReader, session: SessionDep, request: Request) -> dict[str, Any]:
    case = views.load_case(session, actor, case_id)
    return views.case_detail(session, case, actor, now=_now(request))


@router.post("/cases/{case_id}/tenants/{tenant_id}/identity-number",
             summary="Show a tenant's full identity number (audited)")
def reveal(case_id: str, tenant_id: str, actor: CaseReader, session: SessionDep,
           settings: SettingsDep) -> dict[str, str]:
    case = views.load_case(session, actor, case_id)
    return {"personal_identity_number": views.reveal_identity_number(session, case, tenant_id, actor,
                                                                     settings.data_key)}


def _work(session: Any, actor: Actor, case_id: str, action: str) -> Case:
    case = views.load_case(session, actor, case_id, for_update=True)
    if case.status != "open":
        raise Problem(409, "The case is closed", title="Case closed")
    audit.record(session, actor, f"case.{action}", object_type="case", object_id=case.id,
                 district_id=case.district_id)
    return case


@router.post("/cases/{case_id}/assign", summary="Assign the case to a handler of the district")
def assign(case_id: str, body: AssignIn, actor: Worker, session: SessionDep, request: Request) -> dict[str, Any]:
    case = _work(session, actor, case_id, "assign")
    user = session.scalar(select(User).where(User.username == body.username, User.active.is_(True)))
    if user is None or user.district_id != case.district_id or user.role not in ("handler", "manager"):
        raise Problem(422, errors=[{"field": "username",
                                    "message": "not an active handler or manager of this case's district"}])
    transitions.assign(session, case, user, actor)
    return views.case_detail(session, case, actor, now=_now(request))


@router.post("/cases/{case_id}/contacts", status_code=201, summary="Log a contact attempt")
def contact(case_id: str, body: ContactIn, actor: Worker, session: SessionDep, request: Request) -> dict[str, Any]:
    case = _work(session, actor, case_id, "contact")
    transitions.record_contact(session, case, channel=body.channel, reached=body.reached, note=body.note,
                               actor=actor, now=_now(request))
    return views.case_detail(session, case, actor, now=_now(request))


@router.post("/cases/{case_id}/payment-commitment", status_code=201,
             summary="Register the committee's payment commitment (JB 12 kap. 44 § fjärde stycket 1)")
def payment_commitment(case_id: str, body: PaymentCommitmentIn, actor: Worker, session: SessionDep,
                       request: Request) -> dict[str, Any]:
    case = _work(session, actor, case_id, "payment_commitment")
    today = _now(request).astimezone(STOCKHOLM).date()
    if body.decided_on > today:
        raise Problem(422, errors=[{"field": "decided_on", "message": "must not be in the future"}])
    if body.covers_until < body.decided_on:
        raise Problem(422, errors=[{"field": "covers_until", "message": "must not be before decided_on"}])
    transitions.register_payment_commitment(
        session, case, amount_sek=body.amount_sek, covers_until=body.covers_until, decided_on=body.decided_on,
        note=body.note, actor=actor, now=_now(request))
    return views.case_detail(session, case, actor, now=_now(request))


@router.post("/cases/{case_id}/close", summary="Close the case with an outcome")
def close(case_id: str, body: CloseIn, actor: Worker, session: SessionDep, request: Request) -> dict[str, Any]:
    case = _work(session, actor, case_id, "close")
    transitions.close(session, case, outcome=body.outcome, note=body.note, actor=actor, now=_now(request))
    return views.case_detail(session, case, actor, now=_now(request))


@router.post("/cases/{case_id}/household", summary="Record who lives there, as the handler found out")
def household(case_id: str, body: HouseholdIn, actor: Worker, session: SessionDep, request: Request) -> dict[str, Any]:
    case = _work(session, actor, case_id, "household")
    set_by_staff(session, case, children=body.children_under_18, seniors=body.residents_65_or_older, actor=actor,
                 now=_now(request))
    return views.case_detail(session, case, actor, now=_now(request))


@router.get("/intake", summary="Notices no district could be routed to (manual routing)")
def intake(actor: IntakeStaff, session: SessionDep,
           limit: Annotated[int, Query(ge=1, le=100)] = 50) -> dict[str, Any]:
    notices = list(session.scalars(
        select(Notice).where(notices_readable_by(actor), Notice.purged_at.is_(None))
        .order_by(Notice.received_at, Notice.id).limit(limit).options(selectinload(Notice.landlord))
    ))
    audit.record(session, actor, "intake.list", details={"count": len(notices)})
    return {"items": [_intake_item(n) for n in notices]}


def _intake_item(notice: Notice) -> dict[str, Any]:
    return {
        "notice_id": str(notice.id),
        "kind": notice.kind,
        "received_at": notice.received_at.astimezone(STOCKHOLM).isoformat(timespec="seconds"),
        "landlord": notice.landlord.name if notice.landlord else None,
        "property": {
            "street_address": notice.street_address,
            "postal_code": f"{notice.postal_code[:3]} {notice.postal_code[3:]}",
            "city": notice.city,
            "apartment_number": notice.apartment_number,
        },
        "routing": notice.routing,
    }


@router.post("/intake/{notice_id}/route", summary="Route an unrouted notice to a district")
def route_notice(notice_id: str, body: RouteIn, actor: IntakeStaff, session: SessionDep,
                 request: Request) -> dict[str, Any]:
    try:
        key = uuid.UUID(notice_id)
    except ValueError:
        raise Problem(404, "No unrouted notice with this id") from None
    notice = session.scalar(select(Notice).where(Notice.id == key, notices_readable_by(actor)))
    if notice is None:
        raise Problem(404, "No unrouted notice with this id")
    district = district_by_code(session, body.district)
    today = _now(request).astimezone(STOCKHOLM).date()
    if district is None or not district.is_valid_on(today):
        raise Problem(422, errors=[{"field": "district", "message": "not a current district; see GET /api/v1/districts"}])
    transitions.route_manually(session, notice, district, actor, _now(request))
    audit.record(session, actor, "notice.route", object_type="notice", object_id=notice.id,
                 district_id=district.id, details={"district": district.code})
    return {"notice_id": str(notice.id), "district": {"code": district.code, "name": district.name},
            "case_id": str(notice.case_id) if notice.case_id else None}


@router.get("/districts", summary="The current districts")
def districts(actor: StaffDep, session: SessionDep, request: Request) -> dict[str, Any]:
    today = _now(request).astimezone(STOCKHOLM).date()
    return {"items": [{"code": d.code, "name": d.name} for d in current_districts(session, today)]}
