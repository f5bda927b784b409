"""Web sessions kept on the server: one row per signed-in browser, so that they can be ended.

A session is alive while all of these hold:
- it is younger than VARSEL_SESSION_TTL_SECONDS (``expires_at``, fixed at sign-in);
- it was used within VARSEL_SESSION_IDLE_SECONDS (``last_seen_at``);
- it was not revoked (sign-out; the user's deactivation or new password);
- the user is active and still at the ``token_version`` the session was issued under.

``last_seen_at`` is written at most once a minute, so reading pages does not turn
every request into a write; the idle timeout is therefore precise to a minute.
Nothing here commits: the request that signs in or out owns the transaction.

Two kinds of accounts sign in to pages: staff (`User`, rows in `web_sessions`) and
landlord-portal users (`LandlordUser`, rows in `landlord_web_sessions`). The same
rules hold for both; each function takes the table (`model`, staff by default), so a
cookie is only ever looked up among the sessions of its own kind.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.security.models import LandlordUser, LandlordWebSession, User, WebSession
from app.security.tokens import hash_session_secret, new_session_secret

TOUCH_PRECISION = timedelta(minutes=1)
USER_AGENT_LENGTH = 200
# A real cookie is 43 characters; anything much longer is not worth hashing.
_MAX_COOKIE_LENGTH = 200

SessionModel = type[WebSession] | type[LandlordWebSession]
MODELS: tuple[SessionModel, ...] = (WebSession, LandlordWebSession)


@dataclass(frozen=True)
class StartedSession:
    row: WebSession | LandlordWebSession
    cookie: str  # the secret for the browser; never stored


def start(session: Session, settings: Settings, user: User | LandlordUser, *, ip: str | None,
          user_agent: str | None, now: datetime | None = None, model: SessionModel = WebSession) -> StartedSession:
    now = now or utcnow()
    _forget_dead_sessions(session, settings, user.id, now, model)
    secret = new_session_secret()
    row = model(
        secret_hash=hash_session_secret(secret), user_id=user.id, token_version=user.token_version,
        created_at=now, last_seen_at=now, expires_at=now + timedelta(seconds=settings.session_ttl_seconds),
        ip=ip, user_agent=(user_agent or "")[:USER_AGENT_LENGTH] or None,
    )
    session.add(row)
    session.flush()
    return StartedSession(row, secret)


def resolve(session: Session, settings: Settings, cookie: str | None, now: datetime | None = None,
            model: SessionModel = WebSession) -> WebSession | LandlordWebSession | None:
    """The live session this cookie belongs to (a `model` row), or None. Marks it as seen (at most once a minute)."""
    if not cookie or len(cookie) > _MAX_COOKIE_LENGTH:
        return None
    now = now or utcnow()
    row = session.scalar(select(model).where(model.secret_hash == hash_session_secret(cookie)))
    if row is None or not _alive(row, settings, now):
        return None
    if not row.user.active or row.user.token_version != row.token_version:
        return None
    if now - row.last_seen_at >= TOUCH_PRECISION:
        row.last_seen_at = now
    return row


def revoke(row: WebSession | LandlordWebSession, now: datetime | None = None) -> None:
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()


def end(session: Session, cookie: str, now: datetime | None = None, model: SessionModel = WebSession) -> None:
    """End the session this cookie belongs to, if any (a browser signing in again leaves none behind)."""
    if len(cookie) <= _MAX_COOKIE_LENGTH:
        session.execute(update(model)
                        .where(model.secret_hash == hash_session_secret(cookie), model.revoked_at.is_(None))
                        .values(revoked_at=now or utcnow()).execution_options(synchronize_session=False))


def revoke_all(session: Session, user_id: uuid.UUID, now: datetime | None = None,
               model: SessionModel = WebSession) -> int:
    """End every session of a user at once; returns how many were still open."""
    result = session.execute(
        update(model)
        .where(model.user_id == user_id, model.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def _alive(row: WebSession | LandlordWebSession, settings: Settings, now: datetime) -> bool:
    return (row.revoked_at is None and now < row.expires_at
            and now - row.last_seen_at < timedelta(seconds=settings.session_idle_seconds))


def purge(session: Session, settings: Settings, now: datetime) -> int:
    """Delete every ended session of both kinds (the nightly purge-expired job): they hold addresses and browsers."""
    deleted = 0
    for model in MODELS:
        result = session.execute(delete(model).where(_ended(settings, now, model))
                                 .execution_options(synchronize_session=False))
        deleted += result.rowcount or 0
    return deleted


def _ended(settings: Settings, now: datetime, model: SessionModel = WebSession) -> ColumnElement[bool]:
    return or_(model.revoked_at.is_not(None), model.expires_at <= now,
               model.last_seen_at <= now - timedelta(seconds=settings.session_idle_seconds))


def _forget_dead_sessions(session: Session, settings: Settings, user_id: uuid.UUID, now: datetime,
                          model: SessionModel) -> None:
    # Each sign-in also clears the same user's ended rows, so the table stays about
    # as small as the number of live sessions between two nightly purges.
    session.execute(delete(model).where(model.user_id == user_id, _ended(settings, now, model))
                    .execution_options(synchronize_session=False))
