"""Web sessions kept on the server: one row per signed-in browser, so that they can be ended.

A session is alive while all of these hold:
- it is younger than VARSEL_SESSION_TTL_SECONDS (``expires_at``, fixed at sign-in);
- it was used within VARSEL_SESSION_IDLE_SECONDS (``last_seen_at``);
- it was not revoked (sign-out; the user's deactivation or new password);
- the user is active and still at the ``token_version`` the session was issued under.

``last_seen_at`` is written at most once a minute, so reading pages does not turn
every request into a write; the idle timeout is therefore precise to a minute.
Nothing here commits: the request that signs in or out owns the transaction.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, or_, select, update
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.security.models import User, WebSession
from app.security.tokens import hash_session_secret, new_session_secret

TOUCH_PRECISION = timedelta(minutes=1)
USER_AGENT_LENGTH = 200
# A real cookie is 43 characters; anything much longer is not worth hashing.
_MAX_COOKIE_LENGTH = 200


@dataclass(frozen=True)
class StartedSession:
    row: WebSession
    cookie: str  # the secret for the browser; never stored


def start(session: Session, settings: Settings, user: User, *, ip: str | None, user_agent: str | None,
          now: datetime | None = None) -> StartedSession:
    now = now or utcnow()
    _forget_dead_sessions(session, settings, user.id, now)
    secret = new_session_secret()
    row = WebSession(
        secret_hash=hash_session_secret(secret), user_id=user.id, token_version=user.token_version,
        created_at=now, last_seen_at=now, expires_at=now + timedelta(seconds=settings.session_ttl_seconds),
        ip=ip, user_agent=(user_agent or "")[:USER_AGENT_LENGTH] or None,
    )
    session.add(row)
    session.flush()
    return StartedSession(row, secret)


def resolve(session: Session, settings: Settings, cookie: str | None, now: datetime | None = None) -> WebSession | None:
    """The live session this cookie belongs to, or None. Marks it as seen (at most once a minute)."""
    if not cookie or len(cookie) > _MAX_COOKIE_LENGTH:
        return None
    now = now or utcnow()
    row = session.scalar(select(WebSession).where(WebSession.secret_hash == hash_session_secret(cookie)))
    if row is None or not _alive(row, settings, now):
        return None
    if not row.user.active or row.user.token_version != row.token_version:
        return None
    if now - row.last_seen_at >= TOUCH_PRECISION:
        row.last_seen_at = now
    return row


def revoke(row: WebSession, now: datetime | None = None) -> None:
    if row.revoked_at is None:
        row.revoked_at = now or utcnow()


def end(session: Session, cookie: str, now: datetime | None = None) -> None:
    """End the session this cookie belongs to, if any (a browser signing in again leaves none behind)."""
    if len(cookie) <= _MAX_COOKIE_LENGTH:
        session.execute(update(WebSession)
                        .where(WebSession.secret_hash == hash_session_secret(cookie), WebSession.revoked_at.is_(None))
                        .values(revoked_at=now or utcnow()).execution_options(synchronize_session=False))


def revoke_all(session: Session, user_id: uuid.UUID, now: datetime | None = None) -> int:
    """End every session of a user at once; returns how many were still open."""
    result = session.execute(
        update(WebSession)
        .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
        .values(revoked_at=now or utcnow())
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount or 0


def _alive(row: WebSession, settings: Settings, now: datetime) -> bool:
    return (row.revoked_at is None and now < row.expires_at
            and now - row.last_seen_at < timedelta(seconds=settings.session_idle_seconds))


def purge(session: Session, settings: Settings, now: datetime) -> int:
    """Delete every ended session (the nightly purge-expired job): they hold addresses and browsers."""
    result = session.execute(delete(WebSession).where(_ended(settings, now))
                             .execution_options(synchronize_session=False))
    return result.rowcount or 0


def _ended(settings: Settings, now: datetime) -> ColumnElement[bool]:
    return or_(WebSession.revoked_at.is_not(None), WebSession.expires_at <= now,
               WebSession.last_seen_at <= now - timedelta(seconds=settings.session_idle_seconds))


def _forget_dead_sessions(session: Session, settings: Settings, user_id: uuid.UUID, now: datetime) -> None:
    # Each sign-in also clears the same user's ended rows, so the table stays about
    # as small as the number of live sessions between two nightly purges.
    session.execute(delete(WebSession).where(WebSession.user_id == user_id, _ended(settings, now))
                    .execution_options(synchronize_session=False))
