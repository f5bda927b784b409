"""Deadlines as rows: what is due when, on which legal basis, computed from what."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, IdMixin, utcnow
from app.vocabulary import DeadlineStatus, codes

DEADLINE_STATUSES = codes(DeadlineStatus)


class Deadline(IdMixin, Base):
    __tablename__ = "deadlines"
    __table_args__ = (
        Index("ix_deadlines_case", "case_id", "kind"),
        # The sweep reads pending rows by due time.
        Index("ix_deadlines_due", "status", "due_at"),
    )

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    notice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    due_on: Mapped[date | None]
    due_at: Mapped[datetime]
    legal_basis: Mapped[str] = mapped_column(String(200))
    estimated: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(12), default="pending")
    computed_from: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    resolved_at: Mapped[datetime | None]
    resolution: Mapped[str | None] = mapped_column(String(60))
    # When the sweep looked at the deadline once its due time had passed (`app/jobs/sweep.py`):
    # declared it missed, or left it pending (an estimated date, a closed case). Its own timer, so to
    # speak, without a row of its own: set once, cleared when the deadline is planned again.
    passed_checked_at: Mapped[datetime | None]

    # `case`: the backref of Case.deadlines (app/cases/models.py).


class DeadlineAlert(IdMixin, Base):
    """A timer: when to remind or escalate before a deadline. The sweep claims due rows. (When a
    deadline is declared missed is the deadline's own due time: `Deadline.passed_checked_at`.)"""

    __tablename__ = "deadline_alerts"
    __table_args__ = (Index("ix_deadline_alerts_due", "status", "fire_at"),)

    deadline_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("deadlines.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # reminder | escalation
    fire_at: Mapped[datetime]
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending | done | skipped
    done_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(200))

    # Also tells the unit of work to insert the deadline before its timers.
    deadline: Mapped[Deadline] = relationship()
