"""The case page and its actions: forms that post to the case service, then redirect back to the case."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from app.calendar import local_today
from app.cases import service as cases
from app.cases import views
from app.cases.errors import Refused
from app.dates import IsoDate
from app.deps import NowDep, SessionDep, SettingsDep
from app.money import parse_amount
from app.security.models import User
from app.web.common import WebActionDep, WebCaseForWork, WebCaseInScope, page, see_other
from app.web.session import WebUserDep

router = APIRouter(include_in_schema=False)


@router.get("/arenden/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case: WebCaseInScope, web: WebUserDep, session: SessionDep,
              now: NowDep) -> HTMLResponse:
    detail = views.case_detail(session, case, web.actor, now=now)
    colleagues = list(session.scalars(select(User).where(User.district_id == case.district_id,
                                                         User.role.in_(cases.WORKERS),
                                                         User.active.is_(True)).order_by(User.username)))
    return page(request, "case.html", web, case=detail, colleagues=colleagues, today=local_today(now),
                can_work=web.user.role in cases.WORKERS, message=request.query_params.get("ok"))


def _back(case_id: Any, message: str) -> RedirectResponse:
    return see_other(f"/arenden/{case_id}?ok={message}")


@router.post("/arenden/{case_id}/tilldela")
def assign(case: WebCaseForWork["assign"], web: WebActionDep, session: SessionDep,
           username: Annotated[str, Form(max_length=100)]) -> RedirectResponse:
    cases.assign(session, case, web.actor, username=username)
    return _back(case.id, "tilldelat")


@router.post("/arenden/{case_id}/kontakt")
def contact(case: WebCaseForWork["contact"], web: WebActionDep, session: SessionDep, now: NowDep,
            channel: Annotated[str, Form(max_length=20)], reached: Annotated[str, Form(max_length=5)] = "no",
            note: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    cases.record_contact(session, case, web.actor, channel=channel, reached=reached == "yes", note=note, now=now)
    return _back(case.id, "kontakt")


@router.post("/arenden/{case_id}/betalningsatagande")
def payment_commitment(case: WebCaseForWork["payment_commitment"], web: WebActionDep, session: SessionDep,
                       now: NowDep, amount_sek: Annotated[str, Form(max_length=40)],
                       covers_until: Annotated[IsoDate, Form()], decided_on: Annotated[IsoDate, Form()],
                       note: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    cases.register_payment_commitment(session, case, web.actor, amount_sek=parse_amount(amount_sek),
                                      covers_until=covers_until, decided_on=decided_on, note=note, now=now)
    return _back(case.id, "atagande")


@router.get("/arenden/{case_id}/atagande/{commitment_id}.pdf")
def commitment_letter(case: WebCaseInScope, commitment_id: str, web: WebUserDep, session: SessionDep,
                      settings: SettingsDep) -> Response:
    """The written undertaking to the landlord, as PDF (rendered on demand, audited)."""
    pdf, filename = cases.commitment_letter(session, settings, case, web.actor, commitment_id)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})


@router.post("/arenden/{case_id}/hushall")
def household(case: WebCaseForWork["household"], web: WebActionDep, session: SessionDep, now: NowDep,
              children: Annotated[str, Form()] = "", seniors: Annotated[str, Form()] = "") -> RedirectResponse:
    cases.set_household(session, case, web.actor, children=_count("children_under_18", children),
                        seniors=_count("residents_65_or_older", seniors), now=now)
    return _back(case.id, "hushall")


def _count(field: str, value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or len(value) > 3:
        raise Refused(field, "not a count", "Ange ett antal mellan 0 och 30, eller lämna tomt om det är okänt.")
    return int(value)


@router.post("/arenden/{case_id}/avsluta")
def close(case: WebCaseForWork["close"], web: WebActionDep, session: SessionDep, now: NowDep,
          outcome: Annotated[str, Form(max_length=30)], note: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    cases.close(session, case, web.actor, outcome=outcome, note=note, now=now)
    return _back(case.id, "avslutat")


@router.post("/arenden/{case_id}/personnummer/{tenant_id}", response_class=HTMLResponse)
def reveal(tenant_id: str, web: WebActionDep, case: WebCaseInScope, session: SessionDep,
           settings: SettingsDep) -> HTMLResponse:
    number = views.reveal_identity_number(session, case, tenant_id, web.actor, settings.data_key)
    return HTMLResponse(f'<span class="pin" role="status">{number}</span>')


@router.post("/arenden/{case_id}/gemensam-bedomning/{unit}")
def joint_part(case_id: str, unit: str, web: WebActionDep, session: SessionDep, now: NowDep,
               step: Annotated[Literal["accept", "complete"], Form()],
               conclusion: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    command = "joint_assessment.accept" if step == "accept" else "joint_assessment.complete"
    case = cases.for_work(session, web.actor, case_id, command, via="web")
    if step == "accept":
        cases.accept_joint_part(session, case, web.actor, unit=unit, now=now)
    elif step == "complete":
        cases.complete_joint_part(session, case, web.actor, unit=unit, conclusion=conclusion, now=now)
    else:
        raise Refused("step", "accept or complete", "Skriv en kort slutsats.")
    return _back(case.id, "bedomning")
