"""Cases (one per household at risk), and their append-only timeline."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, Numeric, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, backref, mapped_column, relationship

from app.db import Base, IdMixin, utcnow
from app.deadlines.models import Deadline
from app.notices.models import Notice
from app.vocabulary import Priority

if TYPE_CHECKING:
    from app.routing.models import District
    from app.security.models import User

PRIORITY_RANK = {p.value: p.rank for p in Priority}
# Sorts after every real deadline, so cases without one come last in their priority.
NO_DEADLINE = datetime(9999, 12, 31, tzinfo=timezone.utc)


class CaseNumber(Base):
    """A portable sequence for human-readable case numbers (PostgreSQL and SQLite alike)."""

    __tablename__ = "case_numbers"

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)


class Case(IdMixin, Base):
    __tablename__ = "cases"
    __table_args__ = (
        # The queue: urgency order within a district, keyset paged (`app/cases/queue.py`): a firm date
        # before any estimate, so an estimated date never outranks a deadline that can still be met.
        Index("ix_cases_queue", "district_id", "status", "priority_rank", "next_firm_due_at", "next_due_at",
              "opened_at", "id"),
        # The queue's views "Förfaller i dag" and "Försenade", and their counts.
        Index("ix_cases_firm_due", "district_id", "status", "next_firm_due_at"),
        Index("ix_cases_overdue", "district_id", "status", "overdue_since"),
        # Monthly reports: cases opened and closed in a district-month.
        Index("ix_cases_district_opened", "district_id", "opened_at"),
        Index("ix_cases_district_closed", "district_id", "closed_at"),
    )

    number: Mapped[str] = mapped_column(String(20), unique=True)
    district_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("districts.id"))
    status: Mapped[str] = mapped_column(String(10), default="open")  # open | closed
    opened_at: Mapped[datetime] = mapped_column(default=utcnow)
    closed_at: Mapped[datetime | None]
    outcome: Mapped[str | None] = mapped_column(String(30))
    outcome_note: Mapped[str | None] = mapped_column(Text)
    assigned_to_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"), index=True)

    priority: Mapped[str] = mapped_column(String(10), default="normal")
    priority_rank: Mapped[int] = mapped_column(default=2)
    # Why: {"priority": rule, "flags": {flag: rule}} — shown to staff as the explanation.
    explanation: Mapped[dict[str, Any]] = mapped_column(default=dict)
    flags: Mapped[list[str]] = mapped_column(default=list)
    household: Mapped[dict[str, Any]] = mapped_column(default=dict)
    joint_assessment_units: Mapped[list[str]] = mapped_column(default=list)
    # Kept by `transitions.refresh` from the deadlines (`queue.sort_keys`): the nearest pending deadline,
    # the nearest pending firm (not estimated) one, and since when a missed deadline is still outstanding.
    next_due_at: Mapped[datetime] = mapped_column(default=lambda: NO_DEADLINE)
    next_firm_due_at: Mapped[datetime] = mapped_column(default=lambda: NO_DEADLINE)
    overdue_since: Mapped[datetime | None]
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    first_contact_at: Mapped[datetime | None]
    # Population-register look-up of who lives there: pending | done | not_found | failed | None (not needed)
    household_lookup: Mapped[str | None] = mapped_column(String(12), index=True)
    # Opened by a test key's notice (`Notice.test`); such a case holds that notice alone (app/cases/matching.py).
    test: Mapped[bool] = mapped_column(default=False, server_default=false())

    # A case gathers its notices and deadlines; they name their case through the backref (`notice.case`,
    # `deadline.case`), so their modules need not import this one (no cycle among the models).
    notices: Mapped[list[Notice]] = relationship(backref=backref("case"), order_by=Notice.received_at)
    contacts: Mapped[list["ContactAttempt"]] = relationship(order_by="ContactAttempt.at")
    commitments: Mapped[list["PaymentCommitment"]] = relationship(order_by="PaymentCommitment.created_at")
    deadlines: Mapped[list[Deadline]] = relationship(backref=backref("case"), order_by=Deadline.due_at)
    district: Mapped["District | None"] = relationship(lazy="joined")
    assigned_to: Mapped["User | None"] = relationship(lazy="joined")
    # Kronofogden's notices name the tenant and the address of a case that may have no landlord notice.
    eviction_notices: Mapped[list["EvictionNotice"]] = relationship(viewonly=True,
                                                                    order_by="EvictionNotice.received_at")

    @property
    def pending_deadlines(self) -> list[Deadline]:
        return [d for d in self.deadlines if d.status == "pending"]


class TimelineEvent(Base):
    """Append-only: every change of a case, who made it, when and why."""

    __tablename__ = "timeline_events"
    __table_args__ = (Index("ix_timeline_events_case", "case_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    type: Mapped[str] = mapped_column(String(50))
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    notice_id: Mapped[uuid.UUID | None]
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ContactAttempt(IdMixin, Base):
    """A try to reach the household: letter, phone, SMS, home visit or meeting; reached or not."""

    __tablename__ = "contact_attempts"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    channel: Mapped[str] = mapped_column(String(20))
    reached: Mapped[bool]
    note: Mapped[str | None] = mapped_column(Text)
    by_user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    by_name: Mapped[str] = mapped_column(String(200))


class PaymentCommitment(IdMixin, Base):
    """The committee's written undertaking to pay the rent (JB 12 kap. 44 § fjärde stycket 1)."""

    __tablename__ = "payment_commitments"

    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    notice_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notices.id", ondelete="SET NULL"))
    amount_sek: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    covers_until: Mapped[date]
    decided_on: Mapped[date]
    note: Mapped[str | None] = mapped_column(Text)
    # False when made after the redemption period ended: still recorded, but it no longer
    # stops the eviction by law, and the UI says so.
    statutory: Mapped[bool]
    statutory_reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200))
    letter_path: Mapped[str | None] = mapped_column(String(500))


class EvictionNotice(IdMixin, Base):
    """Kronofogden's underrättelse om avhysning, as received from the authority's system."""

    __tablename__ = "eviction_notices"
    __table_args__ = (UniqueConstraint("authority_id", "reference"),)

    authority_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("authorities.id"))
    reference: Mapped[str] = mapped_column(String(100))
    body_hash: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime]
    eviction_at: Mapped[datetime]
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"), index=True)
    district_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("districts.id"))
    tenant_name: Mapped[str | None] = mapped_column(String(200))
    pin_encrypted: Mapped[str | None] = mapped_column(String(200))
    pin_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str | None] = mapped_column(String(5))
    city: Mapped[str | None] = mapped_column(String(100))
    apartment_number: Mapped[str | None] = mapped_column(String(4))
    landlord_name: Mapped[str | None] = mapped_column(String(200))
    landlord_org_number: Mapped[str | None] = mapped_column(String(11))
    matched_by: Mapped[str] = mapped_column(String(20))  # identity_number | address | new_case
    acknowledged_at: Mapped[datetime | None]
    acknowledgement_reference: Mapped[str | None] = mapped_column(String(100))
