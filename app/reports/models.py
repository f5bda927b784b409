"""The archive of monthly summaries as they were sent.

One row per generated version of a month's summary for a district (or, with
`district_id` NULL, for the whole city). The `monthly-reports` job stores a new
version only when the numbers differ from the newest stored one (a late
correction); what a manager was mailed stays on record as it was. Rows hold
numbers and organisation names only — never personal data — so gallring
(`app/jobs/purge.py`) leaves them alone ("aggregated statistics always stay").
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, utcnow


class ReportArchive(IdMixin, Base):
    __tablename__ = "report_archive"
    __table_args__ = (
        # Also the look-up index for "the newest version of (month, district)".
        # NB: NULLs are distinct in a unique constraint on both SQLite and PostgreSQL, so the
        # city-wide rows (district_id NULL) rely on the single scheduler leader for their versions.
        UniqueConstraint("month", "district_id", "version"),
    )

    month: Mapped[str] = mapped_column(String(7))  # "YYYY-MM" (Europe/Stockholm calendar month)
    district_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("districts.id"))
    version: Mapped[int]
    format: Mapped[str] = mapped_column(String(10))  # "pdf"
    # The rendered file, relative to VARSEL_STORAGE_DIR (e.g. "reports/2026-10/sodermalm-v1.pdf").
    path: Mapped[str | None] = mapped_column(String(500))
    # The summary's numbers as JSON (the API's JSON form): what the file shows, queryable later.
    content: Mapped[dict[str, Any] | None]
    # SHA-256 of the numbers (the JSON without its generation time): equal digests, equal reports.
    digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


# The indexes the monthly summary reads by (`app/reports/summary.py`), declared by the owning models
# and created by migration 0004; `bench/bench_reports.py --no-report-indexes` drops them to show their worth.
# Also used and used as well: ix_deadlines_due (status, due_at), ix_deadlines_case (case_id, kind),
# notices.case_id, notice_events.notice_id, joint_assessment_parts.case_id, cases' primary key.
REPORT_INDEXES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    # notices received in a district-month, by kind / landlord; the 12-month trend
    ("ix_notices_district_received", "notices", ("district_id", "received_at")),
    # cases opened in a district-month (and their timeliness); the trend; the backlog's opened_at
    ("ix_cases_district_opened", "cases", ("district_id", "opened_at")),
    # cases closed in a district-month, by outcome; evictions by outcome; the backlog (closed_at >= month end)
    ("ix_cases_district_closed", "cases", ("district_id", "closed_at")),
    # evictions reported by landlords in a month
    ("ix_notice_events_type_occurred", "notice_events", ("type", "occurred_on")),
    # joint-assessment parts requested / completed in a month
    ("ix_joint_assessment_parts_requested", "joint_assessment_parts", ("requested_at",)),
    ("ix_joint_assessment_parts_completed", "joint_assessment_parts", ("completed_at",)),
)
