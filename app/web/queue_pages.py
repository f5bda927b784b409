"""The queues: the district's cases (Kö) and the joint assessors' cases (Gemensam bedömning).

Kö: compact rows (case number, tenants, address, the next deadline as a badge,
kind, flags, handler by name), 50 a page, saved views with counts, search, and
the work a row allows: "Ta ärendet" for a handler, assigning several cases at
once for a manager — both through the case service.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from sqlalchemy import select

from app.calendar import local_today
from app.cases import queue as case_queue
from app.cases import service as cases
from app.cases.errors import Refused
from app.cases.models import Case
from app.deps import NowDep, SessionDep, SettingsDep
from app.households.models import JointAssessmentPart
from app.security.models import User
from app.vocabulary import Flag, NoticeKind, codes
from app.web.common import WebActionDep, page, require_role, see_other
from app.web.session import WebUserDep

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50
FILTERS = ("status", "assigned", "flag", "kind", "vy", "q")
CASE_NUMBER = re.compile(r"^\d{4}-\d{6}$")


def _filters(status: str, assigned: str, flag: str, kind: str, vy: str, q: str) -> dict[str, str]:
    q = " ".join(q.split())[:100]
    return {
        # A search looks through closed cases too, unless a status is chosen.
        "status": status if status in ("open", "closed", "all") else ("all" if q else "open"),
        "assigned": assigned if assigned in ("me", "none", "any") else "any",
        "flag": flag if flag in codes(Flag) else "",
        "kind": kind if kind in codes(NoticeKind) else "",
        "vy": vy if vy in case_queue.VIEWS else "",
        "q": q,
    }


def _query(filters: dict[str, str], **extra: str) -> str:
    shown = {k: v for k, v in filters.items() if v and (k, v) not in (("status", "open"), ("assigned", "any"))}
    return urlencode(shown | extra)


def _row(case: Case) -> dict[str, Any]:
    item = case_queue.queue_item(case)
    return {**item, "estimate": case_queue.earlier_estimate(case),
            "assigned_name": case.assigned_to.display_name if case.assigned_to else None}


def colleagues(session: Any, district_id: Any) -> list[User]:
    return list(session.scalars(select(User).where(User.district_id == district_id, User.role.in_(cases.WORKERS),
                                                   User.active.is_(True)).order_by(User.full_name, User.username)))


@router.get("/ko", response_class=HTMLResponse)
def queue_page(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep, now: NowDep,
               status: str = "", assigned: str = "any", flag: str = "", kind: str = "", vy: str = "", q: str = "",
               cursor: str | None = None) -> HTMLResponse:
    require_role(web, "handler", "manager", "joint_assessor")
    filters = _filters(status, assigned, flag, kind, vy, q)
    found, next_cursor = case_queue.page(
        session, web.actor, status=filters["status"], assigned=filters["assigned"], cursor=cursor, limit=PAGE_SIZE,
        flag=filters["flag"] or None, kind=filters["kind"] or None, view=filters["vy"] or None,
        q=filters["q"] or None, now=now, data_key=settings.data_key, via="web")
    team = colleagues(session, web.user.district_id) if web.user.role == "manager" else []
    return page(request, "queue.html", web, rows=[_row(c) for c in found], next_cursor=next_cursor,
                filters=filters, district=web.user.district, counts=case_queue.counts(session, web.actor, now),
                today=local_today(now), team=team, can_take=web.user.role in cases.WORKERS,
                here=_query(filters), next_query=_query(filters, cursor=next_cursor or ""),
                message=_message(request, session, web.user.district_id), more_open=_more_open(filters))


def _more_open(filters: dict[str, str]) -> bool:
    """The folded filters start open when one of them is in use."""
    return bool(filters["flag"] or filters["kind"] or filters["assigned"] != "any"
                or (filters["status"] != "open" and not filters["q"]))


def _message(request: Request, session: Any, district_id: Any) -> str | None:
    """The banner after "Ta ärendet" or a bulk assignment: what was done, said from the redirect's parameters."""
    params = request.query_params
    if params.get("ok") == "tagit" and CASE_NUMBER.match(params.get("arende", "")):
        return f"Du har tagit ärende {params['arende']}. Det finns nu under Mina."
    if params.get("ok") == "tilldelade":
        user = session.scalar(select(User).where(User.username == params.get("till", ""),
                                                 User.district_id == district_id))
        count = params.get("antal", "")
        if user is not None and count.isdigit():
            return f"{count} {'ärende' if count == '1' else 'ärenden'} tilldelade {user.display_name}."
    return None


def _back_to_queue(back: str, **extra: str) -> RedirectResponse:
    """Back to the same view of the queue (only its own filters are carried over)."""
    kept = {k: v for k, v in parse_qsl(back[:1000]) if k in FILTERS}
    return see_other("/ko?" + urlencode(kept | extra))


@router.post("/ko/ta/{case_id}")
def take(case_id: str, web: WebActionDep, session: SessionDep,
         tillbaka: Annotated[str, Form(max_length=1000)] = "") -> RedirectResponse:
    """"Ta ärendet": the handler assigns the case to themself."""
    case = cases.for_work(session, web.actor, case_id, "assign", via="web")
    cases.assign(session, case, web.actor, username=web.user.username)
    return _back_to_queue(tillbaka, ok="tagit", arende=case.number)


@router.post("/ko/tilldela")
def assign_many(web: WebActionDep, session: SessionDep, arenden: Annotated[list[str], Form()] = [],  # noqa: B006
                username: Annotated[str, Form(max_length=100)] = "",
                tillbaka: Annotated[str, Form(max_length=1000)] = "") -> RedirectResponse:
    """A manager assigns the chosen cases to one handler."""
    require_role(web, "manager")
    if not username:
        raise Refused("username", "choose a handler", "Välj en handläggare att tilldela ärendena.")
    user, assigned = cases.assign_many(session, web.actor, arenden, username=username, via="web")
    return _back_to_queue(tillbaka, ok="tilldelade", antal=str(len(assigned)), till=user.username)


@router.get("/gemensam-bedomning", response_class=HTMLResponse)
def joint_queue(request: Request, web: WebUserDep, session: SessionDep, now: NowDep) -> HTMLResponse:
    require_role(web, "joint_assessor")
    found, _ = case_queue.page(session, web.actor, status="open", limit=100)
    parts = {p.case_id: p for p in session.scalars(select(JointAssessmentPart).where(
        JointAssessmentPart.unit == web.user.unit, JointAssessmentPart.case_id.in_([c.id for c in found])))}
    rows = [{**_row(c), "part": parts.get(c.id)} for c in found]
    return page(request, "joint.html", web, rows=rows, today=local_today(now))
