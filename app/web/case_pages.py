"""The case page and its actions (forms that post, then redirect back to the case)."""

from __future__ import annotations

import uuid
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from app.calendar import local_today
from app.cases import transitions, views
from app.cases.models import Case, PaymentCommitment
from app.dates import IsoDate
from app.deps import SessionDep, SettingsDep
from app.errors import Problem
from app.households.models import JointAssessmentPart
from app.households.service import set_by_staff
from app.money import parse_amount
from app.security import audit
from app.security.models import User
from app.web import labels
from app.web.common import CsrfField, page, request_now, require_role, see_other
from app.web.session import (
    WebUserDep,
    check_csrf,
)
from notifications.models import OutboxMessage

router = APIRouter(include_in_schema=False)


@router.get("/arenden/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str, web: WebUserDep, session: SessionDep,
              revealed: str | None = None) -> HTMLResponse:
    require_role(web, "handler", "manager", "joint_assessor")
    case = views.load_case(session, web.actor, case_id)
    detail = views.case_detail(session, case, web.actor, now=request_now(request))
    colleagues = list(session.scalars(select(User).where(User.district_id == case.district_id,
                                                         User.role.in_(("handler", "manager")),
                                                         User.active.is_(True)).order_by(User.username)))
    return page(request, "case.html", web, case=detail, colleagues=colleagues, today=local_today(request_now(request)),
                can_work=web.user.role in ("handler", "manager"), message=request.query_params.get("ok"))


def _case_action(request: Request, web: Any, session: Any, settings: Any, case_id: str, csrf: str | None,
                 action: str, *, roles: tuple[str, ...] = ("handler", "manager")) -> Case:
    check_csrf(settings, web, csrf)
    require_role(web, *roles)
    case = views.load_case(session, web.actor, case_id, for_update=True)
    if case.status != "open" and action != "reveal":
        raise Problem(409, "Ärendet är avslutat.")
    audit.record(session, web.actor, f"case.{action}", object_type="case", object_id=case.id,
                 district_id=case.district_id, details={"via": "web"})
    return case


def _back(case_id: Any, message: str) -> RedirectResponse:
    return see_other(f"/arenden/{case_id}?ok={message}")


@router.post("/arenden/{case_id}/tilldela")
def assign(request: Request, case_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep,
           username: Annotated[str, Form()], csrf: CsrfField = None) -> RedirectResponse:
    case = _case_action(request, web, session, settings, case_id, csrf, "assign")
    user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
    if user is None or user.district_id != case.district_id or user.role not in ("handler", "manager"):
        raise Problem(422, "Välj en handläggare i stadsdelen.")
    transitions.assign(session, case, user, web.actor)
    return _back(case.id, "tilldelat")


@router.post("/arenden/{case_id}/kontakt")
def contact(request: Request, case_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep,
            channel: Annotated[str, Form()], reached: Annotated[str, Form()] = "no",
            note: Annotated[str, Form(max_length=2000)] = "", csrf: CsrfField = None) -> RedirectResponse:
    case = _case_action(request, web, session, settings, case_id, csrf, "contact")
    if channel not in labels.CHANNEL:
        raise Problem(422, "Välj ett sätt att kontakta.")
    transitions.record_contact(session, case, channel=channel, reached=reached == "yes", note=note or None,
                               actor=web.actor, now=request_now(request))
    return _back(case.id, "kontakt")


@router.post("/arenden/{case_id}/betalningsatagande")
def payment_commitment(request: Request, case_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                       amount_sek: Annotated[str, Form(max_length=40)], covers_until: Annotated[IsoDate, Form()],
                       decided_on: Annotated[IsoDate, Form()], note: Annotated[str, Form(max_length=2000)] = "",
                       csrf: CsrfField = None) -> RedirectResponse:
    case = _case_action(request, web, session, settings, case_id, csrf, "payment_commitment")
    amount = parse_amount(amount_sek)
    if decided_on > local_today(request_now(request)) or covers_until < decided_on:
        raise Problem(422, "Kontrollera datumen: beslutsdatum får inte ligga i framtiden.")
    transitions.register_payment_commitment(session, case, amount_sek=amount,
                                            covers_until=covers_until, decided_on=decided_on, note=note or None,
                                            actor=web.actor, now=request_now(request))
    return _back(case.id, "atagande")


@router.get("/arenden/{case_id}/atagande/{commitment_id}.pdf")
def commitment_letter(request: Request, case_id: str, commitment_id: str, web: WebUserDep,
                      session: SessionDep, settings: SettingsDep) -> Response:
    """The written undertaking to the landlord, as PDF (rendered on demand, audited)."""
    from app.cases.delivery import LetterChannel

    require_role(web, "handler", "manager")
    case = views.load_case(session, web.actor, case_id)
    try:
        commitment = session.get(PaymentCommitment, uuid.UUID(commitment_id))
    except ValueError:
        commitment = None
    if commitment is None or commitment.case_id != case.id:
        raise Problem(404)
    audit.record(session, web.actor, "case.commitment_letter", object_type="case", object_id=case.id,
                 district_id=case.district_id)
    message = OutboxMessage(id=uuid.uuid4(), channel="letter", template="payment_commitment_letter",
                            dedup_key="preview", case_id=case.id, payload={"commitment_id": str(commitment.id)})
    pdf = LetterChannel(settings, request.app.state.sessionmaker)._render(session, message)
    return Response(pdf, media_type="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="betalningsatagande-{case.number}.pdf"'})


@router.post("/arenden/{case_id}/hushall")
def household(request: Request, case_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep,
              children: Annotated[str, Form()] = "", seniors: Annotated[str, Form()] = "",
              csrf: CsrfField = None) -> RedirectResponse:
    case = _case_action(request, web, session, settings, case_id, csrf, "household")
    set_by_staff(session, case, children=_count(children), seniors=_count(seniors), actor=web.actor,
                 now=request_now(request))
    return _back(case.id, "hushall")


def _count(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not (value.isascii() and value.isdigit()) or int(value) > 30:
        raise Problem(422, "Ange ett antal mellan 0 och 30, eller lämna tomt om det är okänt.")
    return int(value)


@router.post("/arenden/{case_id}/avsluta")
def close(request: Request, case_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep,
          outcome: Annotated[str, Form()], note: Annotated[str, Form(max_length=2000)] = "",
          csrf: CsrfField = None) -> RedirectResponse:
    case = _case_action(request, web, session, settings, case_id, csrf, "close")
    if outcome not in labels.OUTCOME:
        raise Problem(422, "Välj ett utfall.")
    transitions.close(session, case, outcome=outcome, note=note or None, actor=web.actor, now=request_now(request))
    return _back(case.id, "avslutat")


@router.post("/arenden/{case_id}/personnummer/{tenant_id}", response_class=HTMLResponse)
def reveal(request: Request, case_id: str, tenant_id: str, web: WebUserDep, session: SessionDep,
           settings: SettingsDep, csrf: CsrfField = None) -> HTMLResponse:
    check_csrf(settings, web, csrf)
    require_role(web, "handler", "manager", "joint_assessor")
    case = views.load_case(session, web.actor, case_id)
    number = views.reveal_identity_number(session, case, tenant_id, web.actor, settings.data_key)
    return HTMLResponse(f'<span class="pin" role="status">{number}</span>')


@router.post("/arenden/{case_id}/gemensam-bedomning/{unit}")
def joint_part(request: Request, case_id: str, unit: str, web: WebUserDep, session: SessionDep,
               settings: SettingsDep, step: Annotated[Literal["accept", "complete"], Form()],
               conclusion: Annotated[str, Form(max_length=2000)] = "", csrf: CsrfField = None) -> RedirectResponse:
    case = _case_action(request, web, session, settings, case_id, csrf, f"joint_assessment.{step}",
                        roles=("joint_assessor", "handler", "manager"))
    if web.user.role == "joint_assessor" and web.user.unit != unit:
        raise Problem(404)
    part = session.scalar(select(JointAssessmentPart).where(JointAssessmentPart.case_id == case.id,
                                                            JointAssessmentPart.unit == unit))
    if part is None:
        raise Problem(404)
    if step == "accept":
        transitions.accept_joint_part(session, case, part, web.actor, request_now(request))
    elif step == "complete" and conclusion.strip():
        transitions.complete_joint_part(session, case, part, conclusion.strip(), web.actor, request_now(request))
    else:
        raise Problem(422, "Skriv en kort slutsats.")
    return _back(case.id, "bedomning")


