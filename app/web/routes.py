"""The staff UI: server-rendered Swedish pages on the same services as the staff API.

Every form carries a CSRF token bound to the session; every page that shows a
case goes through the same scope and audit as the API (`app/cases/views.py`).
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from app.calendar import local_today, vardagar_until
from app.cases import queue as case_queue
from app.cases import transitions, views
from app.cases.models import Case, PaymentCommitment
from app.deadlines.models import Deadline
from app.deps import SESSION_COOKIE, SessionDep, SettingsDep, staff_actor
from app.errors import Problem
from app.households.models import JointAssessmentPart
from app.households.service import set_by_staff
from app.notices.models import Notice
from app.routing.districts import current_districts, district_by_code
from app.security import audit
from app.security import service as accounts
from app.security.models import ApiKey, AuditEvent, Landlord, User
from app.security.passwords import WeakPassword
from app.security.scope import notices_readable_by
from app.web import labels
from app.web.oidc import enabled as oidc_enabled
from app.web.templating import templates
from app.web.session import (
    LOGIN_CSRF_COOKIE,
    WebUserDep,
    check_csrf,
    login_csrf,
    new_session_cookie,
    set_cookie,
)
from notifications import outbox
from notifications.models import OutboxMessage

router = APIRouter(include_in_schema=False)

CsrfField = Annotated[str | None, Form(alias="csrf_token")]
HOME = {"handler": "/ko", "manager": "/ko", "joint_assessor": "/gemensam-bedomning",
        "intake": "/manuell-fordelning", "admin": "/admin"}


def page(request: Request, template: str, web: Any = None, status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, template, {"web": web, **context}, status_code=status)


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _require(web: Any, *roles: str) -> None:
    if web.user.role not in roles:
        raise Problem(404)


def _now(request: Request) -> Any:
    return request.app.state.clock()


# ------------------------------------------------------------------ sign-in

@router.get("/", response_class=HTMLResponse)
def home(web: WebUserDep) -> RedirectResponse:
    return see_other(HOME.get(web.user.role, "/logga-in"))


@router.get("/logga-in", response_class=HTMLResponse)
def login_form(request: Request, settings: SettingsDep, next: str = "/", expired: int = 0) -> HTMLResponse:
    token = login_csrf()
    response = page(request, "login.html", next=_safe_next(next), csrf=token, expired=bool(expired),
                    oidc=oidc_enabled(settings))
    set_cookie(response, LOGIN_CSRF_COOKIE, token, settings, max_age=1800)
    return response


@router.post("/logga-in", response_class=HTMLResponse)
def login(request: Request, session: SessionDep, settings: SettingsDep,
          username: Annotated[str, Form(max_length=100)], password: Annotated[str, Form(max_length=1000)],
          csrf: CsrfField = None, next: Annotated[str, Form()] = "/") -> Response:
    expected = request.cookies.get(LOGIN_CSRF_COOKIE)
    if not expected or csrf != expected:
        return page(request, "login.html", next=_safe_next(next), csrf=expected or "", status=400,
                    error="Formuläret hade gått ut. Försök igen.")
    result = accounts.authenticate_user(session, settings, username, password)
    if result.user is None:
        session.commit()  # the failure count must survive the error answer
        message = ("För många misslyckade inloggningar. Vänta några minuter och försök igen."
                   if result.retry_after else "Fel användarnamn eller lösenord.")
        return page(request, "login.html", next=_safe_next(next), csrf=expected, error=message,
                    status=429 if result.retry_after else 401, username=username)
    audit.record(session, _actor_of(result.user, request), "web.sign_in")
    response = see_other(_safe_next(next) if next != "/" else HOME.get(result.user.role, "/"))
    set_cookie(response, SESSION_COOKIE, new_session_cookie(settings, result.user), settings,
               max_age=settings.session_ttl_seconds)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logga-ut")
def logout(web: WebUserDep, settings: SettingsDep, csrf: CsrfField = None) -> RedirectResponse:
    check_csrf(settings, web, csrf)
    response = see_other("/logga-in")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _safe_next(value: str) -> str:
    # Only local paths: a sign-in link must not bounce anyone to another site.
    return value if value.startswith("/") and not value.startswith("//") else "/"


def _actor_of(user: User, request: Request) -> Any:
    return staff_actor(user, request)


# ------------------------------------------------------------------ the queue

@router.get("/ko", response_class=HTMLResponse)
def queue_page(request: Request, web: WebUserDep, session: SessionDep, status: str = "open", assigned: str = "any",
               flag: str = "", kind: str = "", cursor: str | None = None) -> HTMLResponse:
    _require(web, "handler", "manager", "joint_assessor")
    status = status if status in ("open", "closed", "all") else "open"
    assigned = assigned if assigned in ("me", "none", "any") else "any"
    cases, next_cursor = case_queue.page(session, web.actor, status=status, assigned=assigned, cursor=cursor,
                                         limit=25, flag=flag or None, kind=kind or None)
    today = local_today(_now(request))
    rows = []
    for case in cases:
        item = case_queue.queue_item(case)
        nd = item["next_deadline"]
        if nd:
            nd = {**nd, "left": vardagar_until(today, date.fromisoformat(nd["date"]))}
        rows.append({**item, "next_deadline": nd})
    filters = {"status": status, "assigned": assigned, "flag": flag, "kind": kind}
    return page(request, "queue.html", web, rows=rows, next_cursor=next_cursor, filters=filters,
                district=web.user.district)


# ------------------------------------------------------------------ a case

@router.get("/arenden/{case_id}", response_class=HTMLResponse)
def case_page(request: Request, case_id: str, web: WebUserDep, session: SessionDep,
              revealed: str | None = None) -> HTMLResponse:
    _require(web, "handler", "manager", "joint_assessor")
    case = views.load_case(session, web.actor, case_id)
    detail = views.case_detail(session, case, web.actor, now=_now(request))
    colleagues = list(session.scalars(select(User).where(User.district_id == case.district_id,
                                                         User.role.in_(("handler", "manager")),
                                                         User.active.is_(True)).order_by(User.username)))
    return page(request, "case.html", web, case=detail, colleagues=colleagues, today=local_today(_now(request)),
                can_work=web.user.role in ("handler", "manager"), message=request.query_params.get("ok"))


def _case_action(request: Request, web: Any, session: Any, settings: Any, case_id: str, csrf: str | None,
                 action: str, *, roles: tuple[str, ...] = ("handler", "manager")) -> Case:
    check_csrf(settings, web, csrf)
    _require(web, *roles)
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
                               actor=web.actor, now=_now(request))
    return _back(case.id, "kontakt")


@router.post("/arenden/{case_id}/betalningsatagande")
def payment_commitment(request: Request, case_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                       amount_sek: Annotated[str, Form()], covers_until: Annotated[date, Form()],
                       decided_on: Annotated[date, Form()], note: Annotated[str, Form(max_length=2000)] = "",
                       csrf: CsrfField = None) -> RedirectResponse:
    case = _case_action(request, web, session, settings, case_id, csrf, "payment_commitment")
    try:
        amount = Decimal(amount_sek.replace(" ", "").replace(",", "."))
    except InvalidOperation:
        raise Problem(422, "Beloppet ska vara ett tal, till exempel 16900 eller 16 900,50.") from None
    if amount <= 0 or decided_on > local_today(_now(request)) or covers_until < decided_on:
        raise Problem(422, "Kontrollera belopp och datum: beslutsdatum får inte ligga i framtiden.")
    transitions.register_payment_commitment(session, case, amount_sek=amount.quantize(Decimal("0.01")),
                                            covers_until=covers_until, decided_on=decided_on, note=note or None,
                                            actor=web.actor, now=_now(request))
    return _back(case.id, "atagande")


@router.get("/arenden/{case_id}/atagande/{commitment_id}.pdf")
def commitment_letter(request: Request, case_id: str, commitment_id: str, web: WebUserDep,
                      session: SessionDep, settings: SettingsDep) -> Response:
    """The written undertaking to the landlord, as PDF (rendered on demand, audited)."""
    from app.cases.delivery import LetterChannel

    _require(web, "handler", "manager")
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
                 now=_now(request))
    return _back(case.id, "hushall")


def _count(value: str) -> int | None:
    value = value.strip()
    if not value:
        return None
    if not value.isdigit() or int(value) > 30:
        raise Problem(422, "Ange ett antal mellan 0 och 30, eller lämna tomt om det är okänt.")
    return int(value)


@router.post("/arenden/{case_id}/avsluta")
def close(request: Request, case_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep,
          outcome: Annotated[str, Form()], note: Annotated[str, Form(max_length=2000)] = "",
          csrf: CsrfField = None) -> RedirectResponse:
    case = _case_action(request, web, session, settings, case_id, csrf, "close")
    if outcome not in labels.OUTCOME:
        raise Problem(422, "Välj ett utfall.")
    transitions.close(session, case, outcome=outcome, note=note or None, actor=web.actor, now=_now(request))
    return _back(case.id, "avslutat")


@router.post("/arenden/{case_id}/personnummer/{tenant_id}", response_class=HTMLResponse)
def reveal(request: Request, case_id: str, tenant_id: str, web: WebUserDep, session: SessionDep,
           settings: SettingsDep, csrf: CsrfField = None) -> HTMLResponse:
    check_csrf(settings, web, csrf)
    _require(web, "handler", "manager", "joint_assessor")
    case = views.load_case(session, web.actor, case_id)
    number = views.reveal_identity_number(session, case, tenant_id, web.actor, settings.data_key)
    return HTMLResponse(f'<span class="pin" role="status">{number}</span>')


@router.post("/arenden/{case_id}/gemensam-bedomning/{unit}")
def joint_part(request: Request, case_id: str, unit: str, web: WebUserDep, session: SessionDep,
               settings: SettingsDep, step: Annotated[str, Form()],
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
        transitions.accept_joint_part(session, case, part, web.actor, _now(request))
    elif step == "complete" and conclusion.strip():
        transitions.complete_joint_part(session, case, part, conclusion.strip(), web.actor, _now(request))
    else:
        raise Problem(422, "Skriv en kort slutsats.")
    return _back(case.id, "bedomning")


# ------------------------------------------------------------------ other roles' pages

@router.get("/gemensam-bedomning", response_class=HTMLResponse)
def joint_queue(request: Request, web: WebUserDep, session: SessionDep) -> HTMLResponse:
    _require(web, "joint_assessor")
    cases, _ = case_queue.page(session, web.actor, status="open", limit=100)
    parts = {p.case_id: p for p in session.scalars(select(JointAssessmentPart).where(
        JointAssessmentPart.unit == web.user.unit, JointAssessmentPart.case_id.in_([c.id for c in cases])))}
    rows = [{**case_queue.queue_item(c), "part": parts.get(c.id)} for c in cases]
    return page(request, "joint.html", web, rows=rows)


@router.get("/manuell-fordelning", response_class=HTMLResponse)
def intake_page(request: Request, web: WebUserDep, session: SessionDep) -> HTMLResponse:
    _require(web, "intake")
    notices = list(session.scalars(select(Notice).where(notices_readable_by(web.actor), Notice.purged_at.is_(None))
                                   .order_by(Notice.received_at).limit(100)))
    audit.record(session, web.actor, "intake.list", details={"count": len(notices), "via": "web"})
    today = local_today(_now(request))
    return page(request, "intake.html", web, notices=notices, districts=current_districts(session, today))


@router.post("/manuell-fordelning/{notice_id}")
def intake_route(request: Request, notice_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                 district: Annotated[str, Form()], csrf: CsrfField = None) -> RedirectResponse:
    check_csrf(settings, web, csrf)
    _require(web, "intake")
    try:
        key = uuid.UUID(notice_id)
    except ValueError:
        raise Problem(404) from None
    notice = session.scalar(select(Notice).where(Notice.id == key, notices_readable_by(web.actor)))
    target = district_by_code(session, district)
    if notice is None:
        raise Problem(404)
    if target is None:
        raise Problem(422, "Välj en stadsdel.")
    transitions.route_manually(session, notice, target, web.actor, _now(request))
    audit.record(session, web.actor, "notice.route", object_type="notice", object_id=notice.id,
                 district_id=target.id, details={"district": target.code, "via": "web"})
    return see_other("/manuell-fordelning?ok=1")


@router.get("/oversikt", response_class=HTMLResponse)
def overview(request: Request, web: WebUserDep, session: SessionDep) -> HTMLResponse:
    _require(web, "manager")
    district_id = web.user.district_id
    load = session.execute(
        select(User.username, User.full_name, func.count(Case.id))
        .join(Case, (Case.assigned_to_id == User.id) & (Case.status == "open"), isouter=True)
        .where(User.district_id == district_id, User.role.in_(("handler", "manager")), User.active.is_(True))
        .group_by(User.username, User.full_name).order_by(func.count(Case.id).desc())
    ).all()
    unassigned = session.scalar(select(func.count()).select_from(Case).where(
        Case.district_id == district_id, Case.status == "open", Case.assigned_to_id.is_(None)))
    critical, _ = case_queue.page(session, web.actor, status="open", limit=20)
    critical = [case_queue.queue_item(c) for c in critical if c.priority == "critical"]
    since = _now(request) - timedelta(days=30)
    missed = session.execute(
        select(Deadline.kind, Case.id, Case.number, Deadline.resolved_at)
        .join(Case, Case.id == Deadline.case_id)
        .where(Case.district_id == district_id, Deadline.status == "missed", Deadline.resolved_at >= since)
        .order_by(Deadline.resolved_at.desc()).limit(50)
    ).all()
    return page(request, "overview.html", web, load=load, unassigned=unassigned, critical=critical, missed=missed)


@router.get("/granskning", response_class=HTMLResponse)
def audit_log(request: Request, web: WebUserDep, session: SessionDep, object_id: str = "") -> HTMLResponse:
    _require(web, "manager", "admin")
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(200)
    if web.user.role == "manager":
        query = query.where(AuditEvent.district_id == web.user.district_id)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    events = list(session.scalars(query))
    audit.record(session, web.actor, "audit.read", details={"count": len(events)})
    return page(request, "audit.html", web, events=events, object_id=object_id)


# ------------------------------------------------------------------ administration (no case contents)

def _admin_context(request: Request, session: Any, new_key: str | None = None) -> dict[str, Any]:
    today = local_today(_now(request))
    return {
        "landlords": list(session.scalars(select(Landlord).order_by(Landlord.name))),
        "keys": list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc()))),
        "users": list(session.scalars(select(User).order_by(User.username))),
        "failed": list(session.scalars(select(OutboxMessage).where(OutboxMessage.status == "failed")
                                       .order_by(OutboxMessage.created_at.desc()).limit(50))),
        "districts": current_districts(session, today),
        # A new key is shown on the answer that created it, and never again (only its hash is kept).
        "new_key": new_key,
    }


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, web: WebUserDep, session: SessionDep) -> HTMLResponse:
    _require(web, "admin")
    return page(request, "admin.html", web, **_admin_context(request, session))


@router.post("/admin/hyresvardar")
def admin_create_landlord(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                          name: Annotated[str, Form()], org_number: Annotated[str, Form()],
                          csrf: CsrfField = None) -> Response:
    check_csrf(settings, web, csrf)
    _require(web, "admin")
    try:
        landlord, issued = accounts.create_landlord(session, settings, name=name, org_number=org_number)
    except accounts.AccountError as exc:
        raise Problem(422, str(exc)) from None
    audit.record(session, web.actor, "admin.landlord.create", object_type="landlord", object_id=landlord.id)
    return _show_key_once(request, web, session, issued.plaintext)


@router.post("/admin/nycklar")
def admin_create_key(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                     org_number: Annotated[str, Form()], csrf: CsrfField = None) -> Response:
    check_csrf(settings, web, csrf)
    _require(web, "admin")
    try:
        issued = accounts.create_landlord_key(session, settings, org_number=org_number)
    except accounts.AccountError as exc:
        raise Problem(422, str(exc)) from None
    audit.record(session, web.actor, "admin.key.create", object_type="api_key", object_id=issued.api_key.prefix)
    return _show_key_once(request, web, session, issued.plaintext)


def _show_key_once(request: Request, web: Any, session: Any, plaintext: str) -> HTMLResponse:
    return page(request, "admin.html", web, **_admin_context(request, session, new_key=plaintext))


@router.post("/admin/nycklar/{prefix}/sparra")
def admin_revoke_key(web: WebUserDep, session: SessionDep, settings: SettingsDep, prefix: str,
                     csrf: CsrfField = None) -> RedirectResponse:
    check_csrf(settings, web, csrf)
    _require(web, "admin")
    try:
        accounts.revoke_key(session, prefix=prefix)
    except accounts.AccountError as exc:
        raise Problem(404, str(exc)) from None
    audit.record(session, web.actor, "admin.key.revoke", object_type="api_key", object_id=prefix)
    return see_other("/admin")


@router.post("/admin/anvandare")
def admin_create_user(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                      username: Annotated[str, Form()], role: Annotated[str, Form()],
                      password: Annotated[str, Form()], district: Annotated[str, Form()] = "",
                      unit: Annotated[str, Form()] = "", email: Annotated[str, Form()] = "",
                      full_name: Annotated[str, Form()] = "", csrf: CsrfField = None) -> RedirectResponse:
    check_csrf(settings, web, csrf)
    _require(web, "admin")
    try:
        user = accounts.create_user(session, username=username, role=role, password=password,
                                    district_code=district or None, unit=unit or None, email=email or None,
                                    full_name=full_name or None)
    except (accounts.AccountError, WeakPassword) as exc:
        raise Problem(422, str(exc)) from None
    audit.record(session, web.actor, "admin.user.create", object_type="user", object_id=user.id)
    return see_other("/admin")


@router.post("/admin/stadsdelar/{code}")
def admin_district(web: WebUserDep, session: SessionDep, settings: SettingsDep, code: str,
                   phone: Annotated[str, Form(max_length=40)] = "", email: Annotated[str, Form(max_length=254)] = "",
                   address: Annotated[str, Form(max_length=300)] = "", csrf: CsrfField = None) -> RedirectResponse:
    """Contact details shown on letters to tenants and in acknowledgements."""
    check_csrf(settings, web, csrf)
    _require(web, "admin")
    district = district_by_code(session, code)
    if district is None:
        raise Problem(404)
    district.contact_phone = phone.strip() or None
    district.contact_email = email.strip() or None
    district.contact_address = address.strip() or None
    audit.record(session, web.actor, "admin.district.update", object_type="district", object_id=district.code)
    return see_other("/admin")


@router.post("/admin/utskick/{message_id}/forsok-igen")
def admin_retry(web: WebUserDep, session: SessionDep, settings: SettingsDep, message_id: str,
                csrf: CsrfField = None) -> RedirectResponse:
    check_csrf(settings, web, csrf)
    _require(web, "admin")
    try:
        key = uuid.UUID(message_id)
    except ValueError:
        raise Problem(404) from None
    if not outbox.retry_failed(session, key):
        raise Problem(404)
    audit.record(session, web.actor, "admin.outbox.retry", object_type="outbox", object_id=key)
    return see_other("/admin")

