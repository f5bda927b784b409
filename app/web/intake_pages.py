"""Manual routing (Manuell fördelning): the intake role decides the district of unrouted notices."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from app.calendar import local_today
from app.cases import transitions
from app.deps import SessionDep, SettingsDep
from app.errors import Problem
from app.notices.models import Notice
from app.routing.districts import current_districts, district_by_code
from app.security import audit
from app.security.scope import notices_readable_by
from app.web.common import CsrfField, page, request_now, require_role, see_other
from app.web.session import (
    WebUserDep,
    check_csrf,
)

router = APIRouter(include_in_schema=False)

@router.get("/manuell-fordelning", response_class=HTMLResponse)
def intake_page(request: Request, web: WebUserDep, session: SessionDep) -> HTMLResponse:
    require_role(web, "intake")
    notices = list(session.scalars(select(Notice).where(notices_readable_by(web.actor), Notice.purged_at.is_(None))
                                   .order_by(Notice.received_at).limit(100)))
    audit.record(session, web.actor, "intake.list", details={"count": len(notices), "via": "web"})
    today = local_today(request_now(request))
    return page(request, "intake.html", web, notices=notices, districts=current_districts(session, today))


@router.post("/manuell-fordelning/{notice_id}")
def intake_route(request: Request, notice_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep,
                 district: Annotated[str, Form(max_length=60)], csrf: CsrfField = None) -> RedirectResponse:
    check_csrf(settings, web, csrf)
    require_role(web, "intake")
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
    transitions.route_manually(session, notice, target, web.actor, request_now(request))
    audit.record(session, web.actor, "notice.route", object_type="notice", object_id=notice.id,
                 district_id=target.id, details={"district": target.code, "via": "web"})
    return see_other("/manuell-fordelning?ok=1")


