"""Notices (underrättelser), their tenants, and the landlord's follow-up events."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAtMixin, IdMixin, utcnow

if TYPE_CHECKING:
    from app.routing.models import District
    from app.security.models import Landlord


class Notice(IdMixin, Base):
    __tablename__ = "notices"
    __table_args__ = (
        # A test key's notices have their own namespace: a real notice later sent under the same
        # external_id (or Idempotency-Key) is a new notice, never a replay of the test one.
        UniqueConstraint("landlord_id", "test", "external_id"),
        # Partial: only the notices sent with a key (a unique constraint lets NULLs repeat anyway). A
        # look-up by external_id can then never be served by this index: with the tables' statistics
        # missing (a new installation's first burst) PostgreSQL took it, as cheap as the right one,
        # and scanned the landlord's every notice per external_id. And notices without a key — every
        # batch item — cost one index entry fewer.
        Index("uq_notices_landlord_id_test_idempotency_key", "landlord_id", "test", "idempotency_key", unique=True,
              postgresql_where=text("idempotency_key IS NOT NULL"), sqlite_where=text("idempotency_key IS NOT NULL")),
        # The landlord's own list, newest first, by keyset.
        Index("ix_notices_landlord_received", "landlord_id", "received_at", "id"),
        # Manual routing: unrouted notices, oldest first.
        Index("ix_notices_unrouted", "district_id", "status", "received_at"),
        Index("ix_notices_tenancy", "tenancy_key", "received_at"),
        # Monthly reports: a district-month of notices.
        Index("ix_notices_district_received", "district_id", "received_at"),
    )

    landlord_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("landlords.id"))
    external_id: Mapped[str] = mapped_column(String(100))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(40))
    sent_on: Mapped[date]
    tenant_served_on: Mapped[date | None]
    termination_on: Mapped[date | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    status: Mapped[str] = mapped_column(String(20))  # received | routed | closed
    closed_by_event: Mapped[str | None] = mapped_column(String(40))

    # The property (personal data: purged with the case)
    street_address: Mapped[str | None] = mapped_column(String(200))
    postal_code: Mapped[str] = mapped_column(String(5), index=True)
    city: Mapped[str | None] = mapped_column(String(100))
    apartment_number: Mapped[str | None] = mapped_column(String(4))
    rooms: Mapped[int | None]
    lat: Mapped[float | None]
    lon: Mapped[float | None]
    # Keyed hash of the normalised address and apartment: finds repeat notices for a tenancy.
    tenancy_key: Mapped[str | None] = mapped_column(String(64))

    arrears: Mapped[dict[str, Any] | None]
    disturbance: Mapped[dict[str, Any] | None]
    contact: Mapped[dict[str, Any] | None]
    # Only stored when the landlord sent them with consent.
    household_children: Mapped[int | None]
    household_65_plus: Mapped[int | None]
    household_consent: Mapped[bool | None]

    # No index of its own: ix_notices_unrouted and ix_notices_district_received begin with it.
    district_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("districts.id"))
    routing: Mapped[dict[str, Any]]
    case_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("cases.id"), index=True)
    eviction_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]
    # Sent with a test key: seen by its landlord only, never by staff, reports or messages (app/security/scope.py,
    # app/reports/summary.py, app/cases/notify.py), deleted after 30 days (app/jobs/purge.py).
    test: Mapped[bool] = mapped_column(default=False, server_default=false())

    tenants: Mapped[list["Tenant"]] = relationship(
        back_populates="notice", order_by="Tenant.position", cascade="all, delete-orphan"
    )
    district: Mapped["District | None"] = relationship(lazy="joined")
    landlord: Mapped["Landlord"] = relationship()
    # `case`: the backref of Case.notices (app/cases/models.py).


class Tenant(IdMixin, Base):
    """A contract holder. The identity number is stored only encrypted, plus a keyed hash."""

    __tablename__ = "tenants"

    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    position: Mapped[int]
    name: Mapped[str | None] = mapped_column(String(200))
    pin_encrypted: Mapped[str | None] = mapped_column(String(200))
    pin_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    birth_date: Mapped[date | None]
    coordination_number: Mapped[bool | None]
    phone: Mapped[str | None] = mapped_column(String(40))
    email: Mapped[str | None] = mapped_column(String(254))

    notice: Mapped[Notice] = relationship(back_populates="tenants")


class NoticeEvent(IdMixin, CreatedAtMixin, Base):
    """What the landlord reported next. Unique per (notice, type, date, eviction time): replays add nothing."""

    __tablename__ = "notice_events"
    __table_args__ = (
        UniqueConstraint("notice_id", "dedup_key"),
        UniqueConstraint("notice_id", "idempotency_key"),
        Index("ix_notice_events_type_occurred", "type", "occurred_on"),
    )

    notice_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notices.id", ondelete="CASCADE"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    occurred_on: Mapped[date]
    eviction_at: Mapped[datetime | None]
    dedup_key: Mapped[str] = mapped_column(String(120))
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    body_hash: Mapped[str] = mapped_column(String(64))
