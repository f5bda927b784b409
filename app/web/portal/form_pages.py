"""Ny underrättelse: one notice by form, through the same intake as the API.

The form's fields are named as the CSV columns (`property.city`, `tenants.0.name`),
so a form becomes a notice exactly as a file's row does (`csv_batch.unflatten`);
then `NoticeIn` and the intake service (`service.receive`) judge it as they judge a
JSON body, and their `{field, message}` answers are shown in Swedish beside the
fields (`messages.py`). The statutory deadlines appear as soon as the dates are
entered: htmx asks `/hyresvard/frister`, which computes them with
`app/deadlines/rules.py` — the same function the receipt's deadlines come from.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import ValidationError

from app.calendar import local_today
from app.dates import in_range
from app.deadlines import rules
from app.deps import SessionDep
from app.errors import Problem
from app.notices import csv_batch, service
from app.notices.schemas import NoticeIn
from app.vocabulary import NoticeKind, codes
from app.web.portal.common import intake_context, page, see_other
from app.web.portal.messages import field_errors, label_of, problem_text, pydantic_errors
from app.web.portal.session import PREFIX, PortalFormDep, PortalUserDep

router = APIRouter(include_in_schema=False)
TENANT_PLACES = range(max(c.path[1] for c in csv_batch.COLUMNS if c.path[0] == "tenants") + 1)


def form_anchor(column: str) -> str:
    """The id an error's link in the summary jumps to: the field, or the fieldset of a group's own error."""
    return "f-" + column.replace(".", "-") if column in csv_batch.BY_NAME else "grupp-" + column.split(".")[0]


async def form_cells(request: Request) -> dict[str, str]:
    """The posted fields that are columns of a notice (the CSRF token and the rest are not)."""
    form = await request.form()
    return {name: value for name, value in form.items() if name in csv_batch.BY_NAME and isinstance(value, str)}


FormCellsDep = Annotated[dict[str, str], Depends(form_cells)]


def _form(request: Request, portal: Any, *, values: dict[str, str] | None = None,
          errors: dict[str, list[str]] | None = None, summary: str | None = None, status: int = 200) -> Response:
    errors = errors or {}
    return page(request, "new.html", portal, status=status, values=values or {}, errors=errors, summary=summary,
                label=label_of, tenant_places=TENANT_PLACES, kinds=codes(NoticeKind), active="ny",
                anchor=form_anchor,
                today=local_today(request.app.state.clock()).isoformat())


@router.get(f"{PREFIX}/ny", response_class=HTMLResponse)
def new_notice(request: Request, portal: PortalUserDep) -> Response:
    return _form(request, portal, values={"kind": "rent_arrears", "contact.name": ""})


@router.post(f"{PREFIX}/ny", response_class=HTMLResponse)
def send_notice(request: Request, portal: PortalFormDep, session: SessionDep, cells: FormCellsDep) -> Response:
    try:
        body = NoticeIn.model_validate(csv_batch.unflatten(cells))
    except ValidationError as exc:
        return _form(request, portal, values=cells, errors=pydantic_errors(exc.errors()), status=422)
    try:
        notice, created = service.receive(session, intake_context(request, portal), body, None)
    except Problem as problem:
        request.app.state.metrics.count_notice(body.kind, problem.status, portal.actor.test)
        errors = field_errors(problem.errors or [])
        if problem.status == 409:
            errors.setdefault("external_id", []).append(problem_text(problem))
        return _form(request, portal, values=cells, errors=errors, summary=problem_text(problem),
                     status=problem.status)
    request.app.state.metrics.count_notice(notice.kind, 201 if created else 200, portal.actor.test)
    return see_other(f"{PREFIX}/underrattelser/{notice.id}?{'skickad' if created else 'redan'}=1")


def _day(text: str) -> date | None:
    """A date typed so far, or None: not yet a date, or outside the years a notice may name (year 9999's
    deadlines leave the calendar)."""
    try:
        day = date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None
    return day if day is not None and in_range(day) else None


@router.get(f"{PREFIX}/frister", response_class=HTMLResponse)
def deadlines_preview(request: Request, portal: PortalUserDep,
                      kind: Annotated[str, Query(max_length=40)] = "",
                      sent_on: Annotated[str, Query(max_length=20)] = "",
                      tenant_served_on: Annotated[str, Query(max_length=20)] = "") -> Response:
    """The statutory deadlines for the dates entered so far (an htmx fragment of the form)."""
    sent, served = _day(sent_on), _day(tenant_served_on)
    computed = None
    if kind in codes(NoticeKind) and sent is not None:
        computed = rules.statutory_deadlines(kind, sent, served if kind == NoticeKind.RENT_ARREARS else None)
    return page(request, "_deadlines.html", portal, kind=kind, computed=computed, served=served)
