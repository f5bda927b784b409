"""The case page and its actions: forms that post to the case service, then redirect back to the case.

The page shows the person first (a summary card), then the deadlines and the
timeline; the actions are forms that start closed. Closing asks for a chosen
outcome and a confirmation that shows what will happen, without JavaScript.
After a form, the banner says what was saved (`app/web/case_texts.py`).
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import local_today
from app.cases import people, views
from app.cases import service as cases
from app.cases.errors import Refused
from app.dates import FIRST_YEAR, LAST_YEAR, OUT_OF_RANGE, in_range
from app.deps import NowDep, SessionDep, SettingsDep
from app.money import parse_amount
from app.security.models import User
from app.vocabulary import Outcome, codes
from app.web.case_texts import saved_message, timeline_entries
from app.web.common import WebActionDep, WebCaseForWork, WebCaseInScope, page, request_now, see_other
from app.web.session import WebUserDep
from app.web.templating import datum

router = APIRouter(include_in_schema=False)


def staff_names(session: Session, usernames: set[str]) -> dict[str, str]:
    """username → the person's name, for everyone named in a case (timeline, contacts, handler)."""
    wanted = {u for u in usernames if u}
    if not wanted:
        return {}
    return {u.username: u.display_name for u in session.scalars(select(User).where(User.username.in_(wanted)))}


def _usernames(detail: dict[str, Any]) -> set[str]:
    found = {e["actor"] for e in detail["timeline"] if e.get("actor_kind") == "staff" and e.get("actor")}
    for event in detail["timeline"]:
        data = event.get("data") or {}
        found |= {data.get(k) for k in ("to", "from", "handler") if isinstance(data.get(k), str)}
    return found | {c["by"] for c in detail["contact_attempts"]} | {p["by"] for p in detail["payment_commitments"]}


def _notice_labels(detail: dict[str, Any]) -> dict[str, str]:
    """With several notices, each deadline says which one it belongs to."""
    notices = detail["notices"]
    if len(notices) < 2:
        return {}
    return {n["id"]: f"Underrättelse {i} ({n['external_id']}, avsänd {datum(n['sent_on'])})"
            for i, n in enumerate(notices, start=1)}


@router.get("/arenden/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case: WebCaseInScope, web: WebUserDep, session: SessionDep,
              now: NowDep) -> HTMLResponse:
    detail = views.case_detail(session, case, web.actor, now=now)
    colleagues = list(session.scalars(select(User).where(User.district_id == case.district_id,
                                                         User.role.in_(cases.WORKERS),
                                                         User.active.is_(True)).order_by(User.full_name,
                                                                                         User.username)))
    names = staff_names(session, _usernames(detail)) | {u.username: u.display_name for u in colleagues}
    message = saved_message(request.query_params.get("ok"), detail, names, web.user.username)
    return page(request, "case.html", web, case=detail, colleagues=colleagues, today=local_today(now),
                can_work=web.user.role in cases.WORKERS, message=message, names=names,
                timeline=timeline_entries(detail, names), notice_labels=_notice_labels(detail))


def _back(case_id: Any, message: str) -> RedirectResponse:
    return see_other(f"/arenden/{case_id}?ok={message}")


@router.post("/arenden/{case_id}/tilldela")
def assign(case: WebCaseForWork["assign"], web: WebActionDep, session: SessionDep,
           username: Annotated[str, Form(max_length=100)] = "") -> RedirectResponse:
    if not username.strip():
        raise Refused("username", "choose a handler", "Välj en handläggare.")
    cases.assign(session, case, web.actor, username=username.strip())
    return _back(case.id, "tilldelat")


@router.post("/arenden/{case_id}/kontakt")
def contact(case: WebCaseForWork["contact"], web: WebActionDep, session: SessionDep, now: NowDep,
            channel: Annotated[str, Form(max_length=20)] = "", reached: Annotated[str, Form(max_length=3)] = "",
            note: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    if reached not in ("yes", "no"):
        raise Refused("reached", "say whether the household was reached", "Svara på om ni nådde hushållet.")
    cases.record_contact(session, case, web.actor, channel=channel, reached=reached == "yes", note=note, now=now)
    return _back(case.id, "kontakt")


@router.post("/arenden/{case_id}/betalningsatagande")
def payment_commitment(case: WebCaseForWork["payment_commitment"], web: WebActionDep, session: SessionDep,
                       now: NowDep, amount_sek: Annotated[str, Form(max_length=30)] = "",
                       covers_until: Annotated[str, Form(max_length=10)] = "",
                       decided_on: Annotated[str, Form(max_length=10)] = "",
                       note: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    cases.register_payment_commitment(
        session, case, web.actor, amount_sek=parse_amount(amount_sek),
        covers_until=_date("covers_until", covers_until, "Ange till och med vilket datum åtagandet täcker hyran."),
        decided_on=_date("decided_on", decided_on, "Ange beslutsdatumet."), note=note, now=now)
    return _back(case.id, "atagande")


def _date(field: str, text: str, missing: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise Refused(field, "a date, YYYY-MM-DD", missing) from None
    if not in_range(day):  # the edge's rule for every date (app/dates.py)
        raise Refused(field, OUT_OF_RANGE, f"Ange ett datum mellan åren {FIRST_YEAR} och {LAST_YEAR}.")
    return day


@router.get("/arenden/{case_id}/atagande/{commitment_id}.pdf")
def commitment_letter(case: WebCaseInScope, commitment_id: str, web: WebUserDep, session: SessionDep,
                      settings: SettingsDep) -> Response:
    """The written undertaking to the landlord, as PDF (rendered on demand, audited)."""
    pdf, filename = cases.commitment_letter(session, settings, case, web.actor, commitment_id)
    return Response(pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'})


@router.post("/arenden/{case_id}/budgetradgivning")
def budget_advice(case: WebCaseForWork["budget_advice"], web: WebActionDep, session: SessionDep,
                  now: NowDep) -> RedirectResponse:
    cases.offer_budget_advice(session, case, web.actor, now=now)
    return _back(case.id, "budget")


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


@router.get("/arenden/{case_id}/avsluta", response_class=HTMLResponse)
def close_form(request: Request, case_id: str, web: WebUserDep, session: SessionDep) -> HTMLResponse:
    case, cancelled = cases.closing(session, web.actor, case_id)
    return _close_page(request, web, case, cancelled, step="choose")


@router.post("/arenden/{case_id}/avsluta", response_class=HTMLResponse)
def close(request: Request, case_id: str, web: WebActionDep, session: SessionDep, now: NowDep,
          outcome: Annotated[str, Form(max_length=30)] = "", note: Annotated[str, Form(max_length=2000)] = "",
          confirm: Annotated[str, Form(max_length=3)] = "") -> Response:
    """Two steps: the chosen outcome is shown with what closing does; only the confirmation closes."""
    if outcome not in codes(Outcome):
        case, cancelled = cases.closing(session, web.actor, case_id)
        return _close_page(request, web, case, cancelled, step="choose", note=note, status=422,
                           error="Välj ett utfall innan ärendet avslutas.")
    if confirm != "ja":
        case, cancelled = cases.closing(session, web.actor, case_id)
        return _close_page(request, web, case, cancelled, step="confirm", outcome=outcome, note=note)
    case = cases.for_work(session, web.actor, case_id, "close", via="web")
    cases.close(session, case, web.actor, outcome=outcome, note=note, now=now)
    return _back(case.id, "avslutat")


def _close_page(request: Request, web: Any, case: Any, cancelled: list[Any], *, step: str, outcome: str = "",
                note: str = "", error: str | None = None, status: int = 200) -> HTMLResponse:
    return page(request, "case_close.html", web, status=status, case=case, step=step, outcome=outcome, note=note,
                error=error, cancelled=cancelled, tenants=people.tenant_names(case),
                address=people.address_line(case), today=local_today(request_now(request)))


@router.post("/arenden/{case_id}/oppna-igen")
def reopen(case: WebCaseForWork["reopen"], web: WebActionDep, session: SessionDep, now: NowDep,
           reason: Annotated[str, Form(max_length=2000)] = "") -> RedirectResponse:
    cases.reopen(session, case, web.actor, reason=reason, now=now)
    return _back(case.id, "oppnat")


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
    else:
        cases.complete_joint_part(session, case, web.actor, unit=unit, conclusion=conclusion, now=now)
    return _back(case.id, "bedomning")
