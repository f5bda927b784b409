"""Who may call Varsel: landlords and authorities (API keys), staff users, and the audit log."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.db import Base, CreatedAtMixin, IdMixin, utcnow
from app.vocabulary import Role, Unit, codes

ROLES = codes(Role)
UNITS = codes(Unit)


class Landlord(IdMixin, CreatedAtMixin, Base):
    """A housing company, identified by its organisationsnummer."""

    __tablename__ = "landlords"

    name: Mapped[str] = mapped_column(String(200))
    org_number: Mapped[str] = mapped_column(String(11), unique=True)


class Authority(IdMixin, CreatedAtMixin, Base):
    """Another authority's system that posts to Varsel (Kronofogden)."""

    __tablename__ = "authorities"

    name: Mapped[str] = mapped_column(String(200), unique=True)


class ApiKey(IdMixin, CreatedAtMixin, Base):
    """A bearer key. Only `prefix` (public, for look-up and revocation) and a keyed hash are kept."""

    __tablename__ = "api_keys"
    __table_args__ = (
        CheckConstraint(
            "(landlord_id IS NULL) <> (authority_id IS NULL)", name="one_owner"
        ),
    )

    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(64))
    landlord_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("landlords.id", ondelete="CASCADE"), index=True
    )
    authority_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("authorities.id", ondelete="CASCADE"), index=True
    )
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    # A test key (landlords only): its notices are validated and answered like real ones but kept
    # apart — no district queue, no report, no message — and purged after 30 days (spec: "Test keys").
    test: Mapped[bool] = mapped_column(default=False, server_default=false())

    landlord: Mapped[Landlord | None] = relationship(lazy="joined")
    authority: Mapped[Authority | None] = relationship(lazy="joined")

    @property
    def owner_kind(self) -> str:
        return "landlord" if self.landlord_id is not None else "authority"


class User(IdMixin, CreatedAtMixin, Base):
    """A member of staff. One role; staff roles other than admin and intake belong to a district."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    district_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("districts.id"), index=True)
    unit: Mapped[str | None] = mapped_column(String(30))
    email: Mapped[str | None] = mapped_column(String(254))
    full_name: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(40))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on password change or deactivation: every token and session issued before is void.
    token_version: Mapped[int] = mapped_column(default=0)
    last_sign_in_at: Mapped[datetime | None]

    district: Mapped["District | None"] = relationship(lazy="joined")  # noqa: F821

    @property
    def display_name(self) -> str:
        return self.full_name or self.username


class LoginThrottle(Base):
    """Failed sign-ins per key (``user:<name>`` or ``ip:<address>``), shared by every process.

    ``failures`` counts the failures since ``window_started_at``; ``locked_until``
    is the earliest moment another attempt on this key is checked at all (the
    growing delay of `app.security.throttle`), not a lockout of the account.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    failures: Mapped[int] = mapped_column(default=0)
    window_started_at: Mapped[datetime] = mapped_column(default=utcnow)
    locked_until: Mapped[datetime | None]


class WebSession(IdMixin, Base):
    """A signed-in browser. The cookie holds a random secret; only its SHA-256 is kept here.

    A session ends at ``expires_at`` (VARSEL_SESSION_TTL_SECONDS after sign-in),
    after VARSEL_SESSION_IDLE_SECONDS without a request (``last_seen_at``, written
    at most once a minute), when ``revoked_at`` is set (sign-out, deactivation,
    new password), or when the user's ``token_version`` moves past the one it was
    issued under.
    """

    __tablename__ = "web_sessions"

    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[User] = relationship(lazy="joined")


class AuditEvent(Base):
    """Append-only: who did or saw what, when, from where (lag 2001:454 10 §).

    Each row is chained to the one before it by a keyed hash (`app/security/audit.py`), and on
    PostgreSQL a trigger refuses UPDATE and DELETE (migration 0006).
    """

    __tablename__ = "audit_events"
    __table_args__ = (Index("ix_audit_events_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_kind: Mapped[str] = mapped_column(String(20))
    actor_id: Mapped[str | None] = mapped_column(String(64))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(64))
    district_id: Mapped[uuid.UUID | None] = mapped_column(index=True)
    ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None]
    note: Mapped[str | None] = mapped_column(Text)
    prev_hash: Mapped[str | None] = mapped_column(String(64))  # the row before's row_hash; None: the first
    row_hash: Mapped[str | None] = mapped_column(String(64))  # None only on rows older than the chain


# --------------------------------------------------------------------------- the landlord portal (#16)

class LandlordUser(IdMixin, CreatedAtMixin, Base):
    """A person at a landlord who uses the landlord portal (`/hyresvard`): bound to one landlord.

    Not a staff user: a separate table, its own sessions (`LandlordWebSession`) under
    its own cookie, so that neither kind of account can ever be read as the other.
    Signs in with its email address and a password (argon2id). Until it has one, a
    one-time sign-in link sets it: only the link secret's SHA-256 is kept, with its
    expiry; using the link clears it.
    """

    __tablename__ = "landlord_users"

    landlord_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("landlords.id", ondelete="CASCADE"), index=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)  # stored lower-case: the sign-in name
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(default=True)
    # Bumped on a new password or deactivation: every session issued before is void.
    token_version: Mapped[int] = mapped_column(default=0)
    last_sign_in_at: Mapped[datetime | None]
    link_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    link_expires_at: Mapped[datetime | None]

    landlord: Mapped[Landlord] = relationship(lazy="joined")


class LandlordWebSession(IdMixin, Base):
    """A browser signed in to the landlord portal: the same life as `WebSession` (app/security/sessions.py
    handles both), in a table of its own, so that a portal cookie never finds a staff session or back."""

    __tablename__ = "landlord_web_sessions"

    secret_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("landlord_users.id", ondelete="CASCADE"), index=True)
    token_version: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]
    ip: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(200))

    user: Mapped[LandlordUser] = relationship(lazy="joined")


class PortalUpload(IdMixin, Base):
    """A CSV file between its preview and its confirmation, kept encrypted and only for a while.

    It belongs to the session that uploaded it (gone with it), expires after
    `app/web/portal/uploads.py: KEEP_FOR`, and is deleted once confirmed.
    """

    __tablename__ = "portal_uploads"

    session_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("landlord_web_sessions.id", ondelete="CASCADE"),
                                                  index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    filename: Mapped[str | None] = mapped_column(String(200))
    content_encrypted: Mapped[str] = mapped_column(Text)
