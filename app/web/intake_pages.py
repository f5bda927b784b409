"""Manual routing (Manuell fördelning): the intake role decides the district of unrouted notices."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from app.calendar import local_today
from app.cases import service as cases
from app.deps import NowDep, SessionDep
from app.notices.models import Notice
from app.routing.districts import current_districts
from app.security import audit
from app.security.scope import notices_readable_by
from app.web.common import WebActionDep, page, request_now, require_role, see_other
from app.web.session import WebUserDep

router = APIRouter(include_in_schema=False)


@router.get("/manuell-fordelning", response_class=HTMLResponse)
def intake_page(request: Request, web: WebUserDep, session: SessionDep, ok: str = "") -> HTMLResponse:
    require_role(web, "intake")
    notices = list(session.scalars(select(Notice).where(notices_readable_by(web.actor), Notice.purged_at.is_(None))
                                   .order_by(Notice.received_at).limit(100)))
    audit.record(session, web.actor, "intake.list", details={"count": len(notices), "via": "web"})
    today = local_today(request_now(request))
    districts = current_districts(session, today)
    routed_to = next((d.name for d in districts if d.code == ok), None)
    message = f"Underrättelsen är fördelad till {routed_to}. Stadsdelens handläggare ser ärendet nu." if routed_to else None
    return page(request, "intake.html", web, notices=notices, districts=districts, message=message)


@router.post("/manuell-fordelning/{notice_id}")
def intake_route(notice_id: str, web: WebActionDep, session: SessionDep, now: NowDep,
                 district: Annotated[str, Form(max_length=60)] = "") -> RedirectResponse:
    notice = cases.route_manually(session, web.actor, notice_id, district, now, via="web")
    return see_other(f"/manuell-fordelning?ok={notice.district.code}")
