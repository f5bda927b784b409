"""Who may read which monthly summary, and the audit record of every read — one rule for the API and the pages.

A manager reads their own district only: another district, or one that does
not exist, is 404 (outside the scope is 404, never 403). An admin reads any
district, or the whole city (`code` None). Other roles never get here
(`require_roles` / `require_role` answer 404 first). Reading a summary holds no
personal data, yet it is audited: who looked at which district's numbers, for
which month, in which form.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from app.errors import Problem
from app.reports.month import Month
from app.routing.districts import district_by_code
from app.routing.models import District
from app.security import audit
from app.security.actors import Actor

READERS = ("manager", "admin")


def report_scope(session: Session, actor: Actor, code: str | None) -> District | None:
    """The district whose summary `actor` asks for (None: the whole city, admins only); 404 outside the scope."""
    if actor.role == "manager":
        if actor.district_id is None:
            raise Problem(404)
        own = session.get(District, actor.district_id)
        if own is None or (code is not None and code != own.code):
            raise Problem(404, "No report for this district, or it is not yours to see")
        return own
    if actor.role != "admin":
        raise Problem(404)
    if code is None:
        return None  # admin: the whole city
    district = district_by_code(session, code)
    if district is None:
        raise Problem(404, "No district with this code; see GET /api/v1/districts")
    return district


def record_read(session: Session, actor: Actor, scope: District | None, month: Month, fmt: str,
                **details: Any) -> None:
    """The audit row of one read of a summary (the page, a download, an archived version)."""
    audit.record(session, actor, "report.monthly", object_type="district" if scope else None,
                 object_id=scope.id if scope else None, district_id=scope.id if scope else None,
                 details={"month": str(month), "format": fmt, **details})
