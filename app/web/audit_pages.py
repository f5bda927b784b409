"""The audit log page (`/granskning`): who saw or did what, when and from where — in Swedish.

A manager reads their district's events, an admin all of them. Each action is
shown by its label (`app/vocabulary_records.py: AUDIT_ACTIONS`), each time in
Europe/Stockholm, each person by name (the full name, else the username), and
each object by what people know it as: a case by its number (a link where the
reader may open the case), a user by name, a district by name — never a raw id.
Reading the log is itself audited.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from sqlalchemy import or_, select

from app.cases.models import Case
from app.deps import SessionDep
from app.notices.models import Notice, Tenant
from app.routing.models import District
from app.security import audit
from app.security.models import AuditEvent, Landlord, LandlordUser, User
from app.vocabulary_records import ACTOR_KINDS, OBJECT_TYPES, audit_action_label
from app.web.common import page, require_role
from app.web.session import WebUserDep

router = APIRouter(include_in_schema=False)
LISTED = 200


@router.get("/granskning", response_class=HTMLResponse)
def audit_log(request: Request, web: WebUserDep, session: SessionDep, object_id: str = "") -> HTMLResponse:
    require_role(web, "manager", "admin")
    wanted = object_id.strip()
    query = select(AuditEvent).order_by(AuditEvent.id.desc()).limit(LISTED)
    if web.user.role == "manager":
        query = query.where(AuditEvent.district_id == web.user.district_id)
    if wanted:
        # A case number finds the case's events as its id does.
        case_id = session.scalar(select(Case.id).where(Case.number == wanted))
        query = query.where(AuditEvent.object_id.in_([wanted, str(case_id)] if case_id else [wanted]))
    events = list(session.scalars(query))
    audit.record(session, web.actor, "audit.read", details={"count": len(events)})
    rows = _rows(session, web, events)
    return page(request, "audit.html", web, rows=rows, object_id=wanted, listed=LISTED)


def _rows(session: Any, web: Any, events: list[AuditEvent]) -> list[dict[str, Any]]:
    people = _by_id(session, User, (e.actor_id for e in events if e.actor_kind == "staff"))
    objects = _Objects(session, web, events)
    return [{"at": e.at, "who": _who(e, people), "what": audit_action_label(e.action),
             "object": objects.describe(e), "ip": e.ip or ""} for e in events]


def _who(event: AuditEvent, people: dict[str, Any]) -> str:
    if event.actor_kind == "staff":
        user = people.get(event.actor_id or "")
        return user.display_name if user is not None else (event.actor_name or "Okänd användare")
    kind = ACTOR_KINDS.get(event.actor_kind, "okänd")
    if event.actor_kind == "system":
        return f"Varsel ({kind})"
    if event.actor_kind == "anonymous":
        return f"Okänd ({kind})"
    if event.actor_kind == "landlord_user":  # named "Landlord (email)" already
        return f"{event.actor_name or 'Okänd'}, {kind}"
    return f"{event.actor_name or 'Okänd'} ({kind})"


def _uuids(values: Iterable[str | None]) -> set[uuid.UUID]:
    found = set()
    for value in values:
        try:
            found.add(uuid.UUID(value or ""))
        except ValueError:
            continue
    return found


def _by_id(session: Any, model: Any, ids: Iterable[str | None]) -> dict[str, Any]:
    wanted = _uuids(ids)
    if not wanted:
        return {}
    return {str(row.id): row for row in session.scalars(select(model).where(model.id.in_(wanted)))}


class _Objects:
    """What each event concerned, looked up once per kind for the whole page."""

    def __init__(self, session: Any, web: Any, events: list[AuditEvent]) -> None:
        def ids(kind: str) -> list[str | None]:
            return [e.object_id for e in events if e.object_type == kind]

        self.web = web
        tenants = _uuids(ids("tenant"))
        self.tenant_notice = {str(t): n for t, n in session.execute(
            select(Tenant.id, Tenant.notice_id).where(Tenant.id.in_(tenants)))} if tenants else {}
        self.notices = _by_id(session, Notice, ids("notice") + [str(n) for n in self.tenant_notice.values()])
        self.cases = _by_id(session, Case, ids("case") + [str(n.case_id) for n in self.notices.values() if n.case_id])
        self.users = _by_id(session, User, ids("user"))
        self.landlords = _by_id(session, Landlord, ids("landlord"))
        self.landlord_users = _by_id(session, LandlordUser, ids("landlord_user"))
        district_keys = [k for k in ids("district") if k]
        self.districts = {}
        if district_keys:
            found = session.scalars(select(District).where(or_(District.code.in_(district_keys),
                                                               District.id.in_(_uuids(district_keys)))))
            for district in found:
                self.districts[district.code] = self.districts[str(district.id)] = district.name

    def describe(self, event: AuditEvent) -> dict[str, Any]:
        kind, key = event.object_type, event.object_id or ""
        label = OBJECT_TYPES.get(kind or "", "")
        if kind == "case":
            return self._case(self.cases.get(key), "Ärende")
        if kind in ("notice", "tenant"):
            notice = self.notices.get(key if kind == "notice" else str(self.tenant_notice.get(key)))
            case = self.cases.get(str(notice.case_id)) if notice is not None and notice.case_id else None
            if case is not None:
                return self._case(case, f"{label} i ärende")
            return {"text": f"{label} (ej fördelad)" if notice is not None else f"{label} (gallrad)"}
        names = {"user": lambda: self.users[key].display_name if key in self.users else None,
                 "landlord": lambda: self.landlords[key].name if key in self.landlords else None,
                 "landlord_user": lambda: self.landlord_users[key].email if key in self.landlord_users else None,
                 "district": lambda: self.districts.get(key),
                 "api_key": lambda: key or None}
        if kind in names:
            name = names[kind]()
            return {"text": f"{label} {name}" if name else f"{label} (finns inte längre)"}
        return {"text": label or "–"}

    def _case(self, case: Case | None, prefix: str) -> dict[str, Any]:
        if case is None:
            return {"text": f"{prefix} (gallrat)"}
        # A link where the reader may open the case: a manager, in their own district (admins never can).
        href = f"/arenden/{case.id}" if self.web.user.role == "manager" \
            and case.district_id == self.web.user.district_id else None
        return {"text": prefix, "number": case.number, "href": href}
