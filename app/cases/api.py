"""The staff JSON API (`docs/staff-api.md`): queue, case, case work, manual routing.

Each endpoint translates: JSON in, one call to the case service
(`app/cases/service.py`), JSON or problem+json out.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from app.calendar import STOCKHOLM, local_today
from app.cases import queue, views
from app.cases import service as cases
from app.dates import IsoDate
from app.deps import CaseInScope, NowDep, OpenCaseForWork, SessionDep, SettingsDep, StaffDep, require_roles
from app.money import MoneyOrText
from app.notices.models import Notice
from app.routing.districts import current_districts
from app.security import audit
from app.security.actors import Actor
from app.security.scope import notices_readable_by
from app.text import MULTI_LINE, SINGLE_LINE
from app.vocabulary import ContactChannel, Outcome, literal_of

router = APIRouter(prefix="/api/v1", tags=["staff"])

CaseReader = Annotated[Actor, Depends(require_roles("handler", "manager", "joint_assessor"))]
IntakeStaff = Annotated[Actor, Depends(require_roles("intake"))]
ChannelCode = literal_of(ContactChannel)
OutcomeCode = literal_of(Outcome)


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignIn(_Body):
    username: Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE]


class ContactIn(_Body):
    channel: ChannelCode
    reached: bool
    note: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = None


class PaymentCommitmentIn(_Body):
    amount_sek: MoneyOrText
    covers_until: IsoDate
    decided_on: IsoDate
    note: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = None


class CloseIn(_Body):
    outcome: OutcomeCode
    note: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = None


class ReopenIn(_Body):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000), MULTI_LINE]


class HouseholdIn(_Body):
    children_under_18: int | None = Field(ge=0, le=30)
    residents_65_or_older: int | None = Field(ge=0, le=30)


class RouteIn(_Body):
    district: Annotated[str, StringConstraints(min_length=1, max_length=60), SINGLE_LINE]


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
    q: Annotated[str | None, Query(max_length=100, description="case number, tenant name, address or identity "
                                                              "number (an identity-number search is audited)")] = None,
    view: Literal[queue.VIEWS] | None = None,  # type: ignore[valid-type]
    *, settings: SettingsDep, now: NowDep,
) -> dict[str, Any]:
    found, next_cursor = queue.page(session, actor, status=status, assigned=assigned, cursor=cursor,
                                    limit=limit, flag=flag, kind=kind, q=q, view=view, now=now,
                                    data_key=settings.data_key)
    return {"items": [queue.queue_item(c) for c in found], "next_cursor": next_cursor}


@router.get("/cases/{case_id}", summary="One case: notices, tenants, deadlines, timeline …")
def get_case(case: CaseInScope, actor: StaffDep, session: SessionDep, now: NowDep) -> dict[str, Any]:
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/tenants/{tenant_id}/identity-number",
             summary="Show a tenant's full identity number (audited)")
def reveal(case: CaseInScope, tenant_id: str, actor: StaffDep, session: SessionDep,
           settings: SettingsDep) -> dict[str, str]:
    return {"personal_identity_number": views.reveal_identity_number(session, case, tenant_id, actor,
                                                                     settings.data_key)}


@router.post("/cases/{case_id}/assign", summary="Assign the case to a handler of the district")
def assign(body: AssignIn, case: OpenCaseForWork["assign"], actor: StaffDep, session: SessionDep,
           now: NowDep) -> dict[str, Any]:
    cases.assign(session, case, actor, username=body.username)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/contacts", status_code=201, summary="Log a contact attempt")
def contact(body: ContactIn, case: OpenCaseForWork["contact"], actor: StaffDep, session: SessionDep,
            now: NowDep) -> dict[str, Any]:
    cases.record_contact(session, case, actor, channel=body.channel, reached=body.reached, note=body.note, now=now)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/payment-commitment", status_code=201,
             summary="Register the committee's payment commitment (JB 12 kap. 44 § fjärde stycket 1)")
def payment_commitment(body: PaymentCommitmentIn, case: OpenCaseForWork["payment_commitment"], actor: StaffDep,
                       session: SessionDep, now: NowDep) -> dict[str, Any]:
    cases.register_payment_commitment(session, case, actor, amount_sek=body.amount_sek,
                                      covers_until=body.covers_until, decided_on=body.decided_on, note=body.note,
                                      now=now)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/close", summary="Close the case with an outcome")
def close(body: CloseIn, case: OpenCaseForWork["close"], actor: StaffDep, session: SessionDep,
          now: NowDep) -> dict[str, Any]:
    cases.close(session, case, actor, outcome=body.outcome, note=body.note, now=now)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/reopen", summary="Reopen a closed case (the reason goes on the timeline)")
def reopen(body: ReopenIn, case: OpenCaseForWork["reopen"], actor: StaffDep, session: SessionDep,
           now: NowDep) -> dict[str, Any]:
    cases.reopen(session, case, actor, reason=body.reason, now=now)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/household", summary="Record who lives there, as the handler found out")
def household(body: HouseholdIn, case: OpenCaseForWork["household"], actor: StaffDep, session: SessionDep,
              now: NowDep) -> dict[str, Any]:
    cases.set_household(session, case, actor, children=body.children_under_18,
                        seniors=body.residents_65_or_older, now=now)
    return views.case_detail(session, case, actor, now=now)


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
                 now: NowDep) -> dict[str, Any]:
    notice = cases.route_manually(session, actor, notice_id, body.district, now)
    district = notice.district
    return {"notice_id": str(notice.id), "district": {"code": district.code, "name": district.name},
            "case_id": str(notice.case_id) if notice.case_id else None}


@router.get("/districts", summary="The current districts")
def districts(actor: StaffDep, session: SessionDep, now: NowDep) -> dict[str, Any]:
    return {"items": [{"code": d.code, "name": d.name} for d in current_districts(session, local_today(now))]}
