"""Joint assessment (gemensam initial bedömning): each unit's part of a case."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, IdMixin, utcnow


class JointAssessmentPart(IdMixin, Base):
    """One unit's part: requested, accepted by whom, completed with a short conclusion."""

    __tablename__ = "joint_assessment_parts"
    __table_args__ = (
        UniqueConstraint("case_id", "unit"),
        Index("ix_joint_assessment_parts_requested", "requested_at"),
        Index("ix_joint_assessment_parts_completed", "completed_at"),
    )

    # No index of its own: the unique (case_id, unit) begins with it.
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    unit: Mapped[str] = mapped_column(String(30), index=True)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    requested_by: Mapped[str] = mapped_column(String(200))
    reason: Mapped[str | None] = mapped_column(Text)
    accepted_at: Mapped[datetime | None]
    accepted_by_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    completed_at: Mapped[datetime | None]
    conclusion: Mapped[str | None] = mapped_column(Text)

    @property
    def state(self) -> str:
        if self.completed_at is not None:
            return "completed"
        if self.accepted_at is not None:
            return "accepted"
        return "requested"
