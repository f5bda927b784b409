"""Districts as data: validity dates, former areas, boundaries and the city's address register."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAtMixin, IdMixin


class District(IdMixin, Base):
    """A stadsdelsförvaltning: its own authority, with secrecy towards the others."""

    __tablename__ = "districts"

    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    municipality: Mapped[str] = mapped_column(String(60))
    valid_from: Mapped[date]
    valid_to: Mapped[date | None]
    # Shown on letters to tenants and in acknowledgements; editable by admins.
    contact_phone: Mapped[str | None] = mapped_column(String(40))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_address: Mapped[str | None] = mapped_column(String(300))
    # Deadline policy overrides (see app/deadlines/policy.py); districts may raise, never lower.
    policy: Mapped[dict[str, Any] | None]

    former_areas: Mapped[list["FormerArea"]] = relationship(back_populates="district")

    def is_valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class FormerArea(IdMixin, Base):
    """An area of an earlier organisation and the district that took it over."""

    __tablename__ = "district_former_areas"

    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    valid_until: Mapped[date]
    district_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("districts.id"), index=True)

    district: Mapped[District] = relationship(back_populates="former_areas")


class BoundaryVersion(IdMixin, CreatedAtMixin, Base):
    """One imported boundary file. The newest active version is what routing uses."""

    __tablename__ = "boundary_versions"

    version: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(String(300))
    geojson: Mapped[dict[str, Any]]
    active: Mapped[bool] = mapped_column(default=True)


class AddressRegisterEntry(IdMixin, Base):
    """The city's own address register: an exact match is the most reliable routing."""

    __tablename__ = "address_register"
    __table_args__ = (
        Index("ix_address_register_lookup", "postal_code", "street", "number", unique=True),
    )

    street: Mapped[str] = mapped_column(String(200))
    number: Mapped[str] = mapped_column(String(20))
    postal_code: Mapped[str] = mapped_column(String(5))
    district_code: Mapped[str] = mapped_column(String(60))
    version: Mapped[str] = mapped_column(String(64))


class AddressRegisterVersion(IdMixin, CreatedAtMixin, Base):
    __tablename__ = "address_register_versions"

    version: Mapped[str] = mapped_column(String(64), unique=True)
    source: Mapped[str] = mapped_column(Text)
    entries: Mapped[int]
