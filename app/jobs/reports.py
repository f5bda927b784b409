"""The `monthly-reports` job: last month's summaries, archived and mailed to the managers.

On the 1st of the month at 07:00 Europe/Stockholm (and at start, when
downtime skipped that run: `monthly_catch_up`) the job

1. computes LAST month's summary for every current district and for the whole
   city, in one short read transaction;
2. for each, compares the numbers with the newest archived version: unchanged
   → nothing to do; new or changed → renders the PDF (outside any
   transaction) to `VARSEL_STORAGE_DIR/reports/YYYY-MM/<district>-v<N>.pdf`
   and stores version N in `report_archive` (a rerun after a late correction
   makes a new version; a rerun with the same numbers makes none);
3. queues one email per district manager (role `manager`, active, with an
   email address) with the PDF attached, under the dedup key
   `report:{YYYY-MM}:{district_id}:{user_id}`: once per month, district and
   recipient however often the job runs. The mail carries the newest version
   at the time it is queued; managers added later get it on the next run.

The archive row and its mails are written in one transaction; the outbox
sends them after commit. The city-wide summary is archived, not mailed (no
role receives it by mail; admins fetch it from the API).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.calendar import STOCKHOLM
from app.db import transaction
from app.files import write_private
from app.jobs.base import JobContext
from app.reports.models import ReportArchive
from app.reports.render import render_pdf
from app.reports.summary import Month, MonthlySummary, compute_summary
from app.routing.districts import current_districts, load_municipality
from app.routing.models import District
from app.security.models import User
from notifications import outbox

log = structlog.get_logger("varsel.reports")

TEMPLATE = "monthly_report"
RUN_DAY, RUN_HOUR = 1, 7


@dataclass
class _Built:
    district_id: uuid.UUID | None
    code: str
    summary: MonthlySummary
    digest: str


def report_month(now: datetime) -> Month:
    """The month a run at `now` reports on: the last complete month in Stockholm."""
    return Month.of(now).shift(-1)


def latest(session: Session, month: str, district_id: uuid.UUID | None) -> ReportArchive | None:
    query = select(ReportArchive).where(ReportArchive.month == month)
    query = query.where(ReportArchive.district_id.is_(None) if district_id is None
                        else ReportArchive.district_id == district_id)
    return session.scalar(query.order_by(ReportArchive.version.desc()).limit(1))


def run_monthly_reports(context: JobContext) -> str:
    now = context.now()
    month = report_month(now)
    settings = context.settings
    municipality = load_municipality(settings.municipality)["name"]
    storage = Path(settings.storage_dir).resolve()

    with transaction(context.sessions) as session:
        # The districts as they were at the end of the month reported on.
        districts = current_districts(session, month.shift(1).first_day - timedelta(days=1))
        scopes: list[District | None] = [*districts, None]
        built = []
        for district in scopes:
            summary = compute_summary(session, month, district, now=now, municipality=municipality)
            built.append(_Built(district.id if district else None, district.code if district else "hela-staden",
                                summary, summary.digest()))

    versions = mails = 0
    for item in built:
        with transaction(context.sessions) as session:
            newest = latest(session, str(month), item.district_id)
        if newest is None or newest.digest != item.digest:
            version = (newest.version if newest else 0) + 1
            relative = Path("reports") / str(month) / f"{item.code}-v{version}.pdf"
            write_private(storage / relative, render_pdf(item.summary))
            try:
                with transaction(context.sessions) as session:
                    session.add(ReportArchive(month=str(month), district_id=item.district_id, version=version,
                                              format="pdf", path=relative.as_posix(),
                                              content=item.summary.to_dict(), digest=item.digest, created_at=now))
                    session.flush()
                versions += 1
            except IntegrityError:
                log.info("report_version_taken", month=str(month), district=item.code, version=version)
        if item.district_id is None:
            continue
        with transaction(context.sessions) as session:
            archived = latest(session, str(month), item.district_id)
            assert archived is not None and archived.path is not None
            mails += _mail_managers(session, item, archived, storage / archived.path)

    result = (f"monthly reports for {month}: {len(built) - 1} districts and the city; "
              f"{versions} new versions archived, {mails} emails queued")
    log.info("monthly_reports", month=str(month), versions=versions, emails=mails)
    return result


def _mail_managers(session: Session, item: _Built, archived: ReportArchive, pdf: Path) -> int:
    managers = session.scalars(
        select(User).where(User.district_id == item.district_id, User.role == "manager", User.active.is_(True),
                           User.email.is_not(None), func.length(User.email) > 0)
        .order_by(User.username)
    )
    summary = item.summary
    month = summary.month_obj
    payload = {
        "month": summary.month,
        "month_sv": month.label_sv,
        "district_name": summary.district.name if summary.district else "",
        "version": archived.version,
        "notices_received": summary.notices.received,
        "cases_opened": summary.cases.opened,
        "cases_closed": summary.cases.closed,
        "evictions": summary.evictions.carried_out,
        "children_affected": summary.evictions.children_affected,
        "missed_deadlines": summary.timeliness.missed_deadlines.total,
        "backlog": summary.backlog.total,
        # The staff page Rapporter: the report with its charts, its downloads and its archived versions.
        "path": f"/rapporter?manad={summary.month}",
        "attachments": [{"path": str(pdf), "filename": f"manadsrapport-{item.code}-{summary.month}.pdf"}],
    }
    queued = 0
    for user in managers:
        if outbox.enqueue(session, channel="email", template=TEMPLATE,
                          dedup_key=f"report:{summary.month}:{item.district_id}:{user.id}",
                          recipient=user.email, recipient_user_id=user.id, district_id=item.district_id,
                          payload=payload):
            queued += 1
    return queued


def monthly_catch_up(last_success: datetime | None, now: datetime) -> bool:
    """Run at start when the newest scheduled time (the 1st, 07:00 Stockholm) passed without a successful run."""
    local = now.astimezone(STOCKHOLM)
    scheduled = datetime(local.year, local.month, RUN_DAY, RUN_HOUR, tzinfo=STOCKHOLM)
    if local < scheduled:
        previous = Month.of(now).shift(-1)
        scheduled = datetime(previous.year, previous.month, RUN_DAY, RUN_HOUR, tzinfo=STOCKHOLM)
    return last_success is None or last_success < scheduled
