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
from app.cases.api_schemas import (CaseDetail, DistrictList, IdentityNumberOut, IntakePage, QueuePage,
                                   RouteResult)
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
# Documentation of the answers (app/cases/api_schemas.py) and of what only these routes answer; the statuses
# every staff route answers (401, 403, 404, 422, 503) are added by app/openapi.py.
_CASE = {200: {"model": CaseDetail, "description": "The case as it stands after the command."}}
_CASE_CREATED = {201: {"model": CaseDetail, "description": "The case as it stands after the command."}}
_CASE_404 = {404: {"description": "No such case, or outside the caller's district, unit or role."}}
_NOT_NOW = {409: {"description": "The case's status does not allow this command (e.g. work on a closed case)."}}
_WORK = " Handlers and managers of the case's district; written to the timeline and the audit log."


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class AssignIn(_Body):
    username: Annotated[str, StringConstraints(min_length=1, max_length=100), SINGLE_LINE] = Field(
        description="An active handler or manager of the case's district.")


class ContactAttemptIn(_Body):
    channel: ChannelCode = Field(description="How: `letter`, `phone`, `sms`, `home_visit` or `meeting`.")
    reached: bool = Field(description="Whether the household was reached (a reached contact meets `first_contact`).")
    note: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = Field(
        None, description="What was said or agreed (personal data: purged with the case).")


class PaymentCommitmentIn(_Body):
    amount_sek: MoneyOrText = Field(description="The amount the committee undertakes to pay, SEK, > 0.")
    covers_until: IsoDate = Field(description="The last day of rent the undertaking covers, `YYYY-MM-DD`.")
    decided_on: IsoDate = Field(description="The day of the committee's decision, `YYYY-MM-DD`; not in the future. "
                                            "Within the redemption period it saves the tenancy (JB 12 kap. 44 § "
                                            "fjärde stycket 1); after it, it is recorded with `statutory: false`.")
    note: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = Field(
        None, description="The decision's reference or conditions.")


class CloseIn(_Body):
    outcome: OutcomeCode = Field(description="How the case ended (counted in the monthly summary).")
    note: Annotated[str, StringConstraints(max_length=2000), MULTI_LINE] | None = Field(
        None, description="Why, for the timeline.")


class ReopenIn(_Body):
    reason: Annotated[str, StringConstraints(min_length=1, max_length=2000), MULTI_LINE] = Field(
        description="Why the closed case is opened again (goes on the timeline).")


class HouseholdFactsIn(_Body):
    children_under_18: int | None = Field(ge=0, le=30, description="Children under 18 living there; `null`: "
                                                                    "unknown.")
    residents_65_or_older: int | None = Field(ge=0, le=30, description="Residents aged 65 or older; `null`: "
                                                                        "unknown.")


class RouteIn(_Body):
    district: Annotated[str, StringConstraints(min_length=1, max_length=60), SINGLE_LINE] = Field(
        description="A current district's code (`GET /api/v1/districts`), e.g. `sodermalm`.")


@router.get("/queue", operation_id="getQueue", summary="The district's cases, most urgent first",
            description="The caller's queue: handlers and managers see their district's cases, joint assessors "
                        "those their unit is asked to join. Ordered by priority, then the nearest deadline, then "
                        "the oldest; a page at a time (`next_cursor`).",
            responses={200: {"model": QueuePage, "description": "A page of the queue."}})
def get_queue(
    actor: CaseReader,
    session: SessionDep,
    status: Annotated[Literal["open", "closed", "all"], Query(description="Open cases, closed ones, or all.")] = "open",
    assigned: Annotated[Literal["me", "none", "any"], Query(
        description="Assigned to the caller, to nobody, or any.")] = "any",
    cursor: Annotated[str | None, Query(max_length=300, description="`next_cursor` of the page before.")] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Cases per page.")] = 50,
    flag: Annotated[str | None, Query(max_length=40, description="Only cases with this flag, e.g. "
                                                                 "`children`.")] = None,
    kind: Annotated[str | None, Query(max_length=40, description="Only cases with a notice of this kind.")] = None,
    q: Annotated[str | None, Query(max_length=100, description="case number, tenant name, address or identity "
                                                              "number (an identity-number search is audited)")] = None,
    view: Annotated[Literal[queue.VIEWS] | None, Query(  # type: ignore[valid-type]
        description="A saved view: mina, ej-tilldelade, i-dag, forsenade or gemensam.")] = None,
    *, settings: SettingsDep, now: NowDep,
) -> dict[str, Any]:
    found, next_cursor = queue.page(session, actor, status=status, assigned=assigned, cursor=cursor,
                                    limit=limit, flag=flag, kind=kind, q=q, view=view, now=now,
                                    data_key=settings.data_key)
    return {"items": [queue.queue_item(c) for c in found], "next_cursor": next_cursor}


@router.get("/cases/{case_id}", operation_id="getCase", summary="One case: notices, tenants, deadlines, timeline …",
            description="Everything about a case the caller may see. Reading it is written to the audit log.",
            responses={200: {"model": CaseDetail, "description": "The case."}, **_CASE_404})
def get_case(case: CaseInScope, actor: StaffDep, session: SessionDep, now: NowDep) -> dict[str, Any]:
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/tenants/{tenant_id}/identity-number", operation_id="revealIdentityNumber",
             summary="Show a tenant's full identity number (audited)",
             description="The case shows identity numbers masked; this shows one in full and writes who saw it "
                         "to the audit log.",
             responses={200: {"model": IdentityNumberOut, "description": "The full identity number."},
                        404: {"description": "No such case or tenant, or outside the caller's scope."}})
def reveal(case: CaseInScope, tenant_id: str, actor: StaffDep, session: SessionDep,
           settings: SettingsDep) -> dict[str, str]:
    return {"personal_identity_number": views.reveal_identity_number(session, case, tenant_id, actor,
                                                                     settings.data_key)}


@router.post("/cases/{case_id}/assign", summary="Assign the case to a handler of the district",
             operation_id="assignCase",
             description="The handler becomes responsible for the case; a Kronofogden acknowledgement that waited "
                         "for a named handler goes now." + _WORK,
             responses={**_CASE, **_CASE_404, **_NOT_NOW})
def assign(body: AssignIn, case: OpenCaseForWork["assign"], actor: StaffDep, session: SessionDep,
           now: NowDep) -> dict[str, Any]:
    cases.assign(session, case, actor, username=body.username)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/contacts", status_code=201, summary="Log a contact attempt",
             operation_id="recordContact",
             description="A contact that reached the household, or a second attempt, meets the first-contact "
                         "deadline." + _WORK,
             responses={**_CASE_CREATED, **_CASE_404, **_NOT_NOW})
def contact(body: ContactAttemptIn, case: OpenCaseForWork["contact"], actor: StaffDep, session: SessionDep,
            now: NowDep) -> dict[str, Any]:
    cases.record_contact(session, case, actor, channel=body.channel, reached=body.reached, note=body.note, now=now)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/payment-commitment", status_code=201, operation_id="registerPaymentCommitment",
             summary="Register the committee's payment commitment (JB 12 kap. 44 § fjärde stycket 1)",
             description="The committee's written undertaking to pay the rent owed. Registered within the "
                         "redemption period it meets `redemption_period_end` and produces the letter to the "
                         "landlord; after it, it is recorded with `statutory: false`." + _WORK,
             responses={**_CASE_CREATED, **_CASE_404, **_NOT_NOW})
def payment_commitment(body: PaymentCommitmentIn, case: OpenCaseForWork["payment_commitment"], actor: StaffDep,
                       session: SessionDep, now: NowDep) -> dict[str, Any]:
    cases.register_payment_commitment(session, case, actor, amount_sek=body.amount_sek,
                                      covers_until=body.covers_until, decided_on=body.decided_on, note=body.note,
                                      now=now)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/close", summary="Close the case with an outcome",
             operation_id="closeCase",
             description="Pending deadlines are cancelled; the outcome is counted in the monthly summary." + _WORK,
             responses={**_CASE, **_CASE_404, **_NOT_NOW})
def close(body: CloseIn, case: OpenCaseForWork["close"], actor: StaffDep, session: SessionDep,
          now: NowDep) -> dict[str, Any]:
    cases.close(session, case, actor, outcome=body.outcome, note=body.note, now=now)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/budget-advice-offer",
             summary="Record that the family was offered budget and debt advice",
             operation_id="recordBudgetAdviceOffer",
             description="Meets the case's pending `budget_advice_offer` deadline (families with children: within "
                         "seven days of receipt, the city's programme against homelessness); 422 when none is "
                         "pending." + _WORK,
             responses={**_CASE, **_CASE_404, **_NOT_NOW})
def budget_advice_offer(case: OpenCaseForWork["budget_advice"], actor: StaffDep, session: SessionDep,  # noqa: F821
                        now: NowDep) -> dict[str, Any]:
    cases.offer_budget_advice(session, case, actor, now=now)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/reopen", summary="Reopen a closed case (the reason goes on the timeline)",
             operation_id="reopenCase",
             description="A closed case is opened again; its service-level deadlines are planned from now." + _WORK,
             responses={**_CASE, **_CASE_404, **_NOT_NOW})
def reopen(body: ReopenIn, case: OpenCaseForWork["reopen"], actor: StaffDep, session: SessionDep,
           now: NowDep) -> dict[str, Any]:
    cases.reopen(session, case, actor, reason=body.reason, now=now)
    return views.case_detail(session, case, actor, now=now)


@router.post("/cases/{case_id}/household", summary="Record who lives there, as the handler found out",
             operation_id="setHousehold",
             description="Children and residents aged 65 or older, as the handler found out; the case is "
                         "reassessed (flags, priority, the units asked to join)." + _WORK,
             responses={**_CASE, **_CASE_404, **_NOT_NOW})
def household(body: HouseholdFactsIn, case: OpenCaseForWork["household"], actor: StaffDep, session: SessionDep,
              now: NowDep) -> dict[str, Any]:
    cases.set_household(session, case, actor, children=body.children_under_18,
                        seniors=body.residents_65_or_older, now=now)
    return views.case_detail(session, case, actor, now=now)


@router.get("/intake", operation_id="listUnroutedNotices",
            summary="Notices no district could be routed to (manual routing)",
            description="For the `intake` role: the notices no routing method could place, oldest first, with how "
                        "routing tried. The list is written to the audit log.",
            responses={200: {"model": IntakePage, "description": "The unrouted notices."}})
def intake(actor: IntakeStaff, session: SessionDep,
           limit: Annotated[int, Query(ge=1, le=100, description="At most this many notices.")] = 50) -> dict[str, Any]:
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


@router.post("/intake/{notice_id}/route", operation_id="routeNotice",
             summary="Route an unrouted notice to a district",
             description="For the `intake` role: the district decides; the notice's case joins that district's "
                         "queue and its handlers are told. The decision is stored with who made it.",
             responses={200: {"model": RouteResult, "description": "Routed."},
                        404: {"description": "No unrouted notice with this id."},
                        422: {"description": "Not a current district."}})
def route_notice(notice_id: str, body: RouteIn, actor: IntakeStaff, session: SessionDep,
                 now: NowDep) -> dict[str, Any]:
    notice = cases.route_manually(session, actor, notice_id, body.district, now)
    district = notice.district
    return {"notice_id": str(notice.id), "district": {"code": district.code, "name": district.name},
            "case_id": str(notice.case_id) if notice.case_id else None}


@router.get("/districts", operation_id="listDistricts", summary="The current districts",
            description="The municipality's districts valid today, for routing and filters.",
            responses={200: {"model": DistrictList, "description": "The districts."}})
def districts(actor: StaffDep, session: SessionDep, now: NowDep) -> dict[str, Any]:
    return {"items": [{"code": d.code, "name": d.name} for d in current_districts(session, local_today(now))]}
