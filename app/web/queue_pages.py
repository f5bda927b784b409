"""The queues: the district's cases (Kö) and the joint assessors' cases (Gemensam bedömning)."""

from __future__ import annotations

from datetime import date

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import select

from app.calendar import local_today, vardagar_until
from app.cases import queue as case_queue
from app.deps import SessionDep
from app.households.models import JointAssessmentPart
from app.web.common import page, request_now, require_role
from app.web.session import (
    WebUserDep,
)

router = APIRouter(include_in_schema=False)


@router.get("/ko", response_class=HTMLResponse)
def queue_page(request: Request, web: WebUserDep, session: SessionDep, status: str = "open", assigned: str = "any",
               flag: str = "", kind: str = "", cursor: str | None = None) -> HTMLResponse:
    require_role(web, "handler", "manager", "joint_assessor")
    status = status if status in ("open", "closed", "all") else "open"
    assigned = assigned if assigned in ("me", "none", "any") else "any"
    cases, next_cursor = case_queue.page(session, web.actor, status=status, assigned=assigned, cursor=cursor,
                                         limit=25, flag=flag or None, kind=kind or None)
    today = local_today(request_now(request))
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



@router.get("/gemensam-bedomning", response_class=HTMLResponse)
def joint_queue(request: Request, web: WebUserDep, session: SessionDep) -> HTMLResponse:
    require_role(web, "joint_assessor")
    cases, _ = case_queue.page(session, web.actor, status="open", limit=100)
    parts = {p.case_id: p for p in session.scalars(select(JointAssessmentPart).where(
        JointAssessmentPart.unit == web.user.unit, JointAssessmentPart.case_id.in_([c.id for c in cases])))}
    rows = [{**case_queue.queue_item(c), "part": parts.get(c.id)} for c in cases]
    return page(request, "joint.html", web, rows=rows)


