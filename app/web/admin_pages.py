"""Administration: landlords and API keys, users, districts — never case contents.

The administrators' pages, each with the same sub-navigation (`admin_nav.html`):
`/admin` (what needs attention), `/admin/hyresvardar` (landlords and their API
keys; the landlords' portal users are `landlord_user_pages.py`), `/admin/anvandare`
(staff users), `/admin/stadsdelar` (districts' contact details) and `/admin/utskick`
(the outbox, `admin_outbox_pages.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import func, select

from app.calendar import STOCKHOLM, local_today
from app.deps import SessionDep, SettingsDep
from app.errors import Problem
from app.routing.districts import current_districts, district_by_code
from app.security import audit
from app.security import service as accounts
from app.security import users
from app.security.models import ApiKey, Landlord, LandlordUser, User
from app.security.passwords import WeakPassword
from app.web.common import CsrfField, page, request_now, require_role, see_other
from app.web.session import (
    WebUserDep,
    check_csrf,
)
from notifications import outbox
from notifications.models import OutboxMessage

router = APIRouter(include_in_schema=False)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(request: Request, web: WebUserDep, session: SessionDep) -> HTMLResponse:
    """What each administration page holds, and what needs attention there."""
    require_role(web, "admin")
    keys = session.execute(select(ApiKey.test, func.count()).where(ApiKey.revoked_at.is_(None))
                           .group_by(ApiKey.test)).all()
    districts = current_districts(session, local_today(request_now(request)))
    failed = [outbox.failure_of(m) for m in session.scalars(
        select(OutboxMessage).where(OutboxMessage.status == "failed"))]
    return page(request, "admin.html", web, section="oversikt", summary={
        "landlords": session.scalar(select(func.count()).select_from(Landlord)),
        "api_keys": sum(n for test, n in keys if not test), "test_keys": sum(n for test, n in keys if test),
        "portal_users": session.scalar(select(func.count()).select_from(LandlordUser)
                                       .where(LandlordUser.active.is_(True))),
        "users": session.scalar(select(func.count()).select_from(User).where(User.active.is_(True))),
        "inactive_users": session.scalar(select(func.count()).select_from(User).where(User.active.is_(False))),
        "districts": len(districts),
        "without_contact": sum(1 for d in districts if not (d.contact_phone and d.contact_address)),
        "failed": len(failed), "retryable": sum(1 for kind in failed if kind is None or not kind.permanent),
        "waiting": session.scalar(select(func.count()).select_from(OutboxMessage).where(
            OutboxMessage.status == "pending", OutboxMessage.attempts > 0)),
    })


# ------------------------------------------------------------------ landlords and their API keys

def _landlords_page(request: Request, web: Any, session: Any, *, new_key: str | None = None,
                    done: str | None = None, error: str | None = None, status: int = 200) -> HTMLResponse:
    keys = list(session.scalars(select(ApiKey).order_by(ApiKey.created_at.desc())))
    active = {}
    for key in keys:
        if key.landlord_id and key.revoked_at is None:
            active[key.landlord_id] = active.get(key.landlord_id, 0) + 1
    portal = dict(session.execute(select(LandlordUser.landlord_id, func.count()).where(LandlordUser.active.is_(True))
                                  .group_by(LandlordUser.landlord_id)).all())
    return page(request, "admin_landlords.html", web, status=status, section="hyresvardar",
                landlords=list(session.scalars(select(Landlord).order_by(Landlord.name))), keys=keys,
                active_keys=active, portal_users=portal, done=done, error=error,
                # A new key is shown on the answer that created it, and never again (only its hash is kept).
                new_key=new_key)


@router.get("/admin/hyresvardar", response_class=HTMLResponse)
def admin_landlords(request: Request, web: WebUserDep, session: SessionDep, klart: str = "",
                    nyckel: str = "") -> HTMLResponse:
    require_role(web, "admin")
    done = f"Nyckeln {nyckel} är spärrad. Anrop med den nekas från och med nu." if klart == "sparrad" and nyckel \
        else None
    return _landlords_page(request, web, session, done=done)


@router.post("/admin/hyresvardar")
def admin_create_landlord(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                          name: Annotated[str, Form(max_length=200)], org_number: Annotated[str, Form(max_length=20)],
                          csrf: CsrfField = None) -> Response:
    check_csrf(settings, web, csrf)
    require_role(web, "admin")
    try:
        landlord, issued = accounts.create_landlord(session, settings, name=name, org_number=org_number)
    except accounts.AccountError as exc:
        return _landlords_page(request, web, session, error=exc.sv, status=422)
    audit.record(session, web.actor, "admin.landlord.create", object_type="landlord", object_id=landlord.id)
    return _landlords_page(request, web, session, new_key=issued.plaintext,
                           done=f"Hyresvärden {landlord.name} är upplagd med en API-nyckel.")


@router.post("/admin/nycklar")
def admin_create_key(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                     org_number: Annotated[str, Form(max_length=20)], csrf: CsrfField = None,
                     test: Annotated[bool, Form()] = False) -> Response:
    check_csrf(settings, web, csrf)
    require_role(web, "admin")
    try:
        issued = accounts.create_landlord_key(session, settings, org_number=org_number, test=test)
    except accounts.AccountError as exc:
        return _landlords_page(request, web, session, error=exc.sv, status=422)
    audit.record(session, web.actor, "admin.key.create", object_type="api_key", object_id=issued.api_key.prefix,
                 details={"test": True} if test else None)
    owner = issued.api_key.landlord.name if issued.api_key.landlord else ""
    return _landlords_page(request, web, session, new_key=issued.plaintext,
                           done=f"Ny {'testnyckel' if test else 'API-nyckel'} för {owner}.")


@router.post("/admin/nycklar/{prefix}/sparra")
def admin_revoke_key(web: WebUserDep, session: SessionDep, settings: SettingsDep, prefix: str,
                     csrf: CsrfField = None) -> RedirectResponse:
    check_csrf(settings, web, csrf)
    require_role(web, "admin")
    try:
        accounts.revoke_key(session, prefix=prefix)
    except accounts.AccountError as exc:
        raise Problem(404, str(exc)) from None
    audit.record(session, web.actor, "admin.key.revoke", object_type="api_key", object_id=prefix)
    return see_other(f"/admin/hyresvardar?{urlencode({'klart': 'sparrad', 'nyckel': prefix})}")


# ------------------------------------------------------------------ districts

@router.get("/admin/stadsdelar", response_class=HTMLResponse)
def admin_districts(request: Request, web: WebUserDep, session: SessionDep, klart: str = "") -> HTMLResponse:
    require_role(web, "admin")
    districts = current_districts(session, local_today(request_now(request)))
    saved = next((d.name for d in districts if d.code == klart), None)
    return page(request, "admin_districts.html", web, section="stadsdelar", districts=districts,
                done=f"Kontaktuppgifterna för {saved} är sparade." if saved else None)


@router.post("/admin/stadsdelar/{code}")
def admin_district(web: WebUserDep, session: SessionDep, settings: SettingsDep, code: str,
                   phone: Annotated[str, Form(max_length=40)] = "", email: Annotated[str, Form(max_length=254)] = "",
                   address: Annotated[str, Form(max_length=300)] = "", csrf: CsrfField = None) -> RedirectResponse:
    """Contact details shown on letters to tenants and in acknowledgements."""
    check_csrf(settings, web, csrf)
    require_role(web, "admin")
    district = district_by_code(session, code)
    if district is None:
        raise Problem(404)
    district.contact_phone = phone.strip() or None
    district.contact_email = email.strip() or None
    district.contact_address = address.strip() or None
    audit.record(session, web.actor, "admin.district.update", object_type="district", object_id=district.code)
    return see_other(f"/admin/stadsdelar?{urlencode({'klart': district.code})}#stadsdel-{district.code}")


# Staff users: their own page, /admin/anvandare. Every change goes through app/security/users.py,
# which audits it and, for deactivation and a new password, ends the user's tokens and sessions.

_DONE = {
    "skapad": "Användaren {} har skapats.",
    "avaktiverad": "{} är avaktiverad. Alla inloggningar och sessioner har avslutats.",
    "aktiverad": "{} är aktiverad och kan logga in igen.",
    "losenord": "{} har fått ett nytt lösenord. Alla inloggningar och sessioner har avslutats.",
}
_WEAK_PASSWORD = "Lösenordet ska vara minst 12 tecken och får inte börja eller sluta med mellanslag."


@router.get("/admin/anvandare", response_class=HTMLResponse)
def admin_users(request: Request, web: WebUserDep, session: SessionDep, klart: str = "",
                anvandare: str = "") -> HTMLResponse:
    require_role(web, "admin")
    done = _DONE[klart].format(anvandare) if klart in _DONE and anvandare else None
    return _users_page(request, web, session, done=done)


def _users_page(request: Request, web: Any, session: Any, *, done: str | None = None, error: str | None = None,
                status: int = 200) -> HTMLResponse:
    listed = users.list_users(session)
    return page(request, "admin_users.html", web, status=status, section="anvandare", users=listed, done=done,
                error=error,
                districts=current_districts(session, local_today(request_now(request))),
                last_sign_in={u.username: _local(u.last_sign_in_at) for u in listed})


def _local(moment: datetime | None) -> str:
    return moment.astimezone(STOCKHOLM).strftime("%Y-%m-%d kl. %H.%M") if moment else "aldrig"


def _done(action: str, username: str) -> RedirectResponse:
    return see_other(f"/admin/anvandare?{urlencode({'klart': action, 'anvandare': username})}")


@router.post("/admin/anvandare")
def admin_create_user(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                      username: Annotated[str, Form(max_length=100)], role: Annotated[str, Form(max_length=20)],
                      password: Annotated[str, Form(max_length=1000)], district: Annotated[str, Form(max_length=60)] = "",
                      unit: Annotated[str, Form(max_length=30)] = "", email: Annotated[str, Form(max_length=254)] = "",
                      full_name: Annotated[str, Form(max_length=200)] = "", csrf: CsrfField = None) -> Response:
    check_csrf(settings, web, csrf)
    require_role(web, "admin")
    try:
        user = users.create(session, web.actor, username=username, role=role, password=password,
                            district_code=district or None, unit=unit or None, email=email or None,
                            full_name=full_name or None)
    except WeakPassword:
        return _users_page(request, web, session, error=_WEAK_PASSWORD, status=422)
    except accounts.AccountError as exc:
        return _users_page(request, web, session, error=exc.sv, status=422)
    return _done("skapad", user.username)


@router.post("/admin/anvandare/{username}/avaktivera")
def admin_deactivate_user(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                          username: str, csrf: CsrfField = None) -> Response:
    check_csrf(settings, web, csrf)
    require_role(web, "admin")
    try:
        user = users.deactivate(session, web.actor, username)
    except users.UnknownUser:
        raise Problem(404) from None
    except accounts.AccountError as exc:
        return _users_page(request, web, session, error=exc.sv, status=409)
    return _done("avaktiverad", user.username)


@router.post("/admin/anvandare/{username}/aktivera")
def admin_activate_user(web: WebUserDep, session: SessionDep, settings: SettingsDep, username: str,
                        csrf: CsrfField = None) -> Response:
    check_csrf(settings, web, csrf)
    require_role(web, "admin")
    try:
        user = users.activate(session, web.actor, username)
    except users.UnknownUser:
        raise Problem(404) from None
    return _done("aktiverad", user.username)


@router.post("/admin/anvandare/losenord")
def admin_set_password(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                       username: Annotated[str, Form(max_length=100)],
                       password: Annotated[str, Form(max_length=1000)], csrf: CsrfField = None) -> Response:
    check_csrf(settings, web, csrf)
    require_role(web, "admin")
    try:
        user = users.set_password(session, web.actor, username, password)
    except users.UnknownUser:
        return _users_page(request, web, session, error="Användaren finns inte.", status=422)
    except WeakPassword:
        return _users_page(request, web, session, error=_WEAK_PASSWORD, status=422)
    if user.id == web.user.id:
        # The new password ended this very session too; the sign-in page says so.
        return see_other("/logga-in?expired=1")
    return _done("losenord", user.username)
