"""`GET /api/v1/reports/monthly` — the month at a glance for managers (and admins, city-wide).

Who sees what: a manager sees their own district only — another district, or
a district that does not exist, answers 404 (rule 4: outside the scope is
404); without `district` a manager gets their own. An admin sees any
district, or the whole city without `district`. Other roles get 404. The
summary holds no personal data; asking for it is still written to the audit
log (who looked at which district's numbers, when).
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, Response

from app.deps import SessionDep, require_roles
from app.errors import ValidationProblem
from app.reports import render
from app.reports.access import READERS, record_read, report_scope
from app.reports.summary import Month, compute_summary
from app.routing.districts import load_municipality
from app.security.actors import Actor

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

ReportReader = Annotated[Actor, Depends(require_roles(*READERS))]


def parse_month(text: str | None, now_month: Month) -> Month:
    """The requested month (default: the last complete one); not after the running month."""
    if text is None:
        return now_month.shift(-1)
    try:
        month = Month.parse(text)
    except ValueError as exc:
        raise ValidationProblem([{"field": "month", "message": str(exc)}]) from None
    if month > now_month:
        raise ValidationProblem([{"field": "month", "message": "must not be after the current month"}])
    return month


@router.get(
    "/monthly",
    operation_id="getMonthlyReport",
    summary="The monthly summary (JSON, CSV, HTML or PDF)",
    description="The month at a glance: notices received, households, cases opened and closed, evictions, "
                "timeliness, joint assessments, the backlog and a 12-month trend — counts only, no personal data. "
                "A manager sees their own district; an admin any district, or the whole city without `district`. "
                "Test notices (sent with a landlord's test key) are never counted. Asking is written to the audit "
                "log.",
    responses={
        200: {"content": {"application/pdf": {}, "text/csv": {}, "text/html": {}},
              "description": "The summary in the asked format"},
        404: {"description": "Not a manager or admin, or not your district"},
        422: {"description": "Not a month written YYYY-MM, or a month after the current one"},
    },
)
def monthly(
    request: Request,
    actor: ReportReader,
    session: SessionDep,
    month: Annotated[str | None, Query(max_length=20, description="YYYY-MM; default the last complete month")] = None,
    district: Annotated[str | None, Query(max_length=60, description="District code; admins may omit it")] = None,
    format: Annotated[Literal["json", "csv", "pdf", "html"], Query(description="The answer's format.")] = "json",  # noqa: A002 - the spec's name
) -> Response:
    now = request.app.state.clock()
    wanted = parse_month(month, Month.of(now))
    scope = report_scope(session, actor, district)
    municipality = load_municipality(request.app.state.settings.municipality)["name"]
    summary = compute_summary(session, wanted, scope, now=now, municipality=municipality)
    record_read(session, actor, scope, wanted, format)
    body = render.render(summary, format)
    headers = {"Cache-Control": "no-store"}
    if format in ("csv", "pdf"):
        headers["Content-Disposition"] = f'attachment; filename="{render.filename(summary, format)}"'
    return Response(body, media_type=render.MEDIA_TYPES[format], headers=headers)

