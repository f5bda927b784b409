"""Administration of landlord-portal users: who at which landlord may sign in to /hyresvard.

An admin picks a landlord and creates a portal user by email: the answer shows a
one-time sign-in link once (only its hash is kept) for the admin to pass on. A
new link can be made (the old one stops working) and a user deactivated (their
portal sessions end at once). Everything goes through `app/security/landlord_users.py`,
the same door as `varsel landlords users create`, and is audited there.
"""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import func, select

from app.calendar import STOCKHOLM
from app.deps import SessionDep, SettingsDep
from app.errors import Problem
from app.security import landlord_users
from app.security.models import Landlord, LandlordUser
from app.security.service import AccountError
from app.web.common import WebActionDep, page, require_role
from app.web.session import WebUserDep

router = APIRouter(include_in_schema=False)
BASE = "/admin/hyresvardar"


@router.get(f"{BASE}/anvandare", response_class=HTMLResponse)
def landlords_for_portal(request: Request, web: WebUserDep, session: SessionDep) -> Response:
    require_role(web, "admin")
    rows = session.execute(
        select(Landlord, func.count(LandlordUser.id).filter(LandlordUser.active))
        .outerjoin(LandlordUser, LandlordUser.landlord_id == Landlord.id)
        .group_by(Landlord.id).order_by(Landlord.name)
    ).all()
    return page(request, "admin_landlord_users.html", web, landlords=rows, landlord=None)


def _landlord(session: Any, org: str) -> Landlord:
    try:
        return landlord_users.find_landlord(session, org)
    except AccountError:
        raise Problem(404) from None


def _user(session: Any, landlord: Landlord, user_id: str) -> LandlordUser:
    try:
        user = session.get(LandlordUser, uuid.UUID(user_id))
    except ValueError:
        user = None
    if user is None or user.landlord_id != landlord.id:
        raise Problem(404)
    return user


def _page(request: Request, web: Any, session: Any, landlord: Landlord, *, link: str | None = None,
          link_for: str | None = None, error: str | None = None, done: str | None = None,
          status: int = 200) -> Response:
    users = landlord_users.for_landlord(session, landlord)
    return page(request, "admin_landlord_users.html", web, status=status, landlord=landlord, users=users,
                link=link, link_for=link_for, error=error, done=done,
                last_sign_in={u.id: u.last_sign_in_at.astimezone(STOCKHOLM).strftime("%Y-%m-%d %H:%M")
                              if u.last_sign_in_at else "aldrig" for u in users})


@router.get(f"{BASE}/{{org}}/anvandare", response_class=HTMLResponse)
def landlord_users_page(request: Request, org: str, web: WebUserDep, session: SessionDep) -> Response:
    require_role(web, "admin")
    return _page(request, web, session, _landlord(session, org))


@router.post(f"{BASE}/{{org}}/anvandare", response_class=HTMLResponse)
def create_landlord_user(request: Request, org: str, web: WebActionDep, session: SessionDep, settings: SettingsDep,
                         email: Annotated[str, Form(max_length=254)]) -> Response:
    require_role(web, "admin")
    landlord = _landlord(session, org)
    try:
        created = landlord_users.create(session, settings, web.actor, org_number=landlord.org_number, email=email)
    except AccountError as exc:
        return _page(request, web, session, landlord, error=exc.sv, status=422)
    # The link is shown on this answer only: only its hash is kept.
    return _page(request, web, session, landlord, link=created.link, link_for=created.user.email)


@router.post(f"{BASE}/{{org}}/anvandare/{{user_id}}/lank", response_class=HTMLResponse)
def new_sign_in_link(request: Request, org: str, user_id: str, web: WebActionDep, session: SessionDep,
                     settings: SettingsDep) -> Response:
    require_role(web, "admin")
    landlord = _landlord(session, org)
    user = _user(session, landlord, user_id)
    if not user.active:
        return _page(request, web, session, landlord, status=409,
                     error=f"{user.email} är avaktiverad och kan inte få en inloggningslänk.")
    link = landlord_users.new_link(session, settings, web.actor, user)
    return _page(request, web, session, landlord, link=link, link_for=user.email)


@router.post(f"{BASE}/{{org}}/anvandare/{{user_id}}/avaktivera", response_class=HTMLResponse)
def deactivate_landlord_user(request: Request, org: str, user_id: str, web: WebActionDep,
                             session: SessionDep) -> Response:
    require_role(web, "admin")
    landlord = _landlord(session, org)
    user = _user(session, landlord, user_id)
    landlord_users.deactivate(session, web.actor, user)
    return _page(request, web, session, landlord, done=f"{user.email} är avaktiverad och utloggad.")
