"""Rapporter: the monthly summary for managers (their district) and admins (any district, or the whole city).

One page per month and scope: a month picker (default the last full month),
the district for admins, the summary with its charts — the same sections the
PDF prints (`app/reports/render.py: render_sections`) — its PDF and CSV, and
the versions the `monthly-reports` job archived and mailed, each with its
time and its file. Who may read what is `app/reports/access.py`, the API's
rule: another district is 404. Every read — the page, a download, an
archived version — is audited as the API's is (`report.monthly`).
"""

from __future__ import annotations

import uuid
from pathlib import Path

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.calendar import local_today
from app.deps import NowDep, SessionDep, SettingsDep
from app.errors import Problem
from app.reports import render
from app.reports.access import READERS, record_read, report_scope
from app.reports.figures import summary_from_dict
from app.reports.models import ReportArchive
from app.reports.month import Month
from app.reports.summary import compute_summary
from app.routing.districts import current_districts, load_municipality
from app.routing.models import District
from app.web.common import page, require_role
from app.web.session import WebUserDep

router = APIRouter(include_in_schema=False)

MONTH_HINT = "Ange månaden som år och månad, till exempel 2026-10."


def _month(text: str, now_month: Month) -> Month:
    """The asked month (empty: the last full one); 422 with Swedish words when it is none or still to come."""
    if not text.strip():
        return now_month.shift(-1)
    try:
        month = Month.parse(text)
    except ValueError:
        raise Problem(422, MONTH_HINT) from None
    if month > now_month:
        raise Problem(422, f"{month.label_sv.capitalize()} har inte börjat än. Välj {now_month.label_sv} "
                           "eller en tidigare månad.")
    return month


def _query(month: Month, scope: District | None) -> str:
    return f"manad={month}" + (f"&stadsdel={scope.code}" if scope else "")


def _archived(session: Session, month: Month, scope: District | None) -> list[ReportArchive]:
    query = select(ReportArchive).where(ReportArchive.month == str(month))
    query = query.where(ReportArchive.district_id == scope.id if scope else ReportArchive.district_id.is_(None))
    return list(session.scalars(query.order_by(ReportArchive.version.desc())))


@router.get("/rapporter", response_class=HTMLResponse)
def reports_page(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep, now: NowDep,
                 manad: str = "", stadsdel: str = "") -> HTMLResponse:
    require_role(web, *READERS)
    now_month = Month.of(now)
    scope = report_scope(session, web.actor, stadsdel or None)
    month = _month(manad, now_month)
    municipality = load_municipality(settings.municipality)["name"]
    summary = compute_summary(session, month, scope, now=now, municipality=municipality)
    record_read(session, web.actor, scope, month, "html", via="web")
    districts = current_districts(session, local_today(now)) if web.user.role == "admin" else []
    return page(request, "reports.html", web, summary=summary, sections=render.render_sections(summary),
                month=month, now_month=now_month, scope=scope, scope_name=render.scope_name(summary),
                districts=districts, query=_query(month, scope), archived=_archived(session, month, scope),
                previous=month.shift(-1), following=month.shift(1) if month < now_month else None,
                generated=render.stockholm_text(summary.generated_at), running=month == now_month)


def _download(web: WebUserDep, session: SessionDep, settings: SettingsDep, now: NowDep,
              manad: str, stadsdel: str, fmt: str) -> Response:
    require_role(web, *READERS)
    scope = report_scope(session, web.actor, stadsdel or None)
    month = _month(manad, Month.of(now))
    municipality = load_municipality(settings.municipality)["name"]
    summary = compute_summary(session, month, scope, now=now, municipality=municipality)
    record_read(session, web.actor, scope, month, fmt, via="web")
    body = render.render(summary, fmt)  # a PDF without Pango: 503, the page says so in Swedish
    return Response(body, media_type=render.MEDIA_TYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{render.filename(summary, fmt)}"'})


@router.get("/rapporter/manadsrapport.pdf")
def report_pdf(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep, now: NowDep,
               manad: str = "", stadsdel: str = "") -> Response:
    return _download(web, session, settings, now, manad, stadsdel, "pdf")


@router.get("/rapporter/manadsrapport.csv")
def report_csv(request: Request, web: WebUserDep, session: SessionDep, settings: SettingsDep, now: NowDep,
               manad: str = "", stadsdel: str = "") -> Response:
    return _download(web, session, settings, now, manad, stadsdel, "csv")


@router.get("/rapporter/arkiv/{archive_id}.pdf")
def archived_pdf(archive_id: str, web: WebUserDep, session: SessionDep, settings: SettingsDep) -> Response:
    """An archived version, as it was mailed: the stored file (or, should the file be gone, the same numbers
    printed again from the archived JSON)."""
    require_role(web, *READERS)
    try:
        row = session.get(ReportArchive, uuid.UUID(archive_id))
    except ValueError:
        row = None
    if row is None:
        raise Problem(404)
    district = session.get(District, row.district_id) if row.district_id else None
    scope = report_scope(session, web.actor, district.code if district else None)
    if (scope.id if scope else None) != row.district_id:
        raise Problem(404)  # a manager asking for the city's version gets their own district's scope: not this
    storage = Path(settings.storage_dir).resolve()
    stored = (storage / row.path).resolve() if row.path else None
    if stored is not None and stored.is_relative_to(storage) and stored.is_file():
        body = stored.read_bytes()
    elif row.content is not None:
        body = render.render_pdf(summary_from_dict(row.content))
    else:
        raise Problem(404)
    record_read(session, web.actor, scope, Month.read(row.month), "pdf", via="web", version=row.version)
    code = district.code if district else "hela-staden"
    return Response(body, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="manadsrapport-{code}-{row.month}-v{row.version}.pdf"'})
