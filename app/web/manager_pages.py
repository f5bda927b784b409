"""The managers' pages: the overview, with this month against the last twelve (the audit log is `audit_pages.py`)."""

from __future__ import annotations

from datetime import timedelta

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import func, select

from app.cases import queue as case_queue
from app.cases.models import Case
from app.deadlines.models import Deadline
from app.deps import SessionDep
from app.reports.history import history_now
from app.security.models import User
from app.security.scope import cases_readable_by
from app.web.common import page, request_now, require_role
from app.web.session import (
    WebUserDep,
)

router = APIRouter(include_in_schema=False)

@router.get("/oversikt", response_class=HTMLResponse)
def overview(request: Request, web: WebUserDep, session: SessionDep) -> HTMLResponse:
    require_role(web, "manager")
    district_id = web.user.district_id
    load = session.execute(
        select(User.username, User.full_name, func.count(Case.id))
        .join(Case, (Case.assigned_to_id == User.id) & (Case.status == "open"), isouter=True)
        .where(User.district_id == district_id, User.role.in_(("handler", "manager")), User.active.is_(True))
        .group_by(User.username, User.full_name).order_by(func.count(Case.id).desc())
    ).all()
    # The scope (the manager's district, never test data), as every read of cases.
    unassigned = session.scalar(select(func.count()).select_from(Case).where(
        cases_readable_by(web.actor), Case.status == "open", Case.assigned_to_id.is_(None)))
    critical, _ = case_queue.page(session, web.actor, status="open", limit=20)
    critical = [case_queue.queue_item(c) for c in critical if c.priority == "critical"]
    since = request_now(request) - timedelta(days=30)
    missed = session.execute(
        select(Deadline.kind, Case.id, Case.number, Deadline.resolved_at)
        .join(Case, Case.id == Deadline.case_id)
        .where(cases_readable_by(web.actor), Deadline.status == "missed", Deadline.resolved_at >= since)
        .order_by(Deadline.resolved_at.desc()).limit(50)
    ).all()
    # This month against the twelve before it: the monthly summary's figures, a handful of queries.
    trend = history_now(session, web.user.district, request_now(request)) if web.user.district else None
    return page(request, "overview.html", web, load=load, unassigned=unassigned, critical=critical, missed=missed,
                trend=trend)
