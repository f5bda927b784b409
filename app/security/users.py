"""Staff users' access: create, list, deactivate, activate, set a new password.

The one front door for the CLI (`varsel users …`), the admin API and the admin
page, so each audits the same way (``admin.user.*``). Deactivation and a new
password end the user's access at once: ``token_version`` moves on (every API
token dies) and every web session row is revoked. Nothing here commits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db import utcnow
from app.security import audit, sessions
from app.security.actors import Actor
from app.security.models import User
from app.security.passwords import check_strength, hash_password
from app.security.service import AccountError, create_user


class UnknownUser(AccountError):
    def __init__(self, username: str) -> None:
        super().__init__(f"no user is called {username!r}; see `varsel users list`", "Användaren finns inte.")


class OwnAccount(AccountError):
    """An administrator may not lock themselves out; another one (or the CLI) can."""

    def __init__(self) -> None:
        super().__init__("you cannot deactivate your own account; ask another administrator",
                         "Du kan inte avaktivera ditt eget konto. Be en annan administratör.")


def find(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username.strip()))
    if user is None:
        raise UnknownUser(username)
    return user


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def create(session: Session, actor: Actor, **fields: Any) -> User:
    """`create_user` with the audit record; `fields` are its keyword arguments."""
    user = create_user(session, **fields)
    _audit(session, actor, "admin.user.create", user)
    return user


def deactivate(session: Session, actor: Actor, username: str, now: datetime | None = None) -> User:
    user = find(session, username)
    if actor.id is not None and actor.id == user.id:
        raise OwnAccount()
    user.active = False
    # Even when already inactive: whoever asks wants to be sure nothing of it is still open.
    end_access(session, user, now)
    _audit(session, actor, "admin.user.deactivate", user)
    return user


def activate(session: Session, actor: Actor, username: str) -> User:
    user = find(session, username)
    user.active = True
    _audit(session, actor, "admin.user.activate", user)
    return user


def set_password(session: Session, actor: Actor, username: str, password: str, now: datetime | None = None) -> User:
    """Raises `WeakPassword` before anything changes."""
    user = find(session, username)
    check_strength(password)
    user.password_hash = hash_password(password)
    end_access(session, user, now)
    _audit(session, actor, "admin.user.password", user)
    return user


def end_access(session: Session, user: User, now: datetime | None = None) -> None:
    user.token_version += 1
    sessions.revoke_all(session, user.id, now or utcnow())


def _audit(session: Session, actor: Actor, action: str, user: User) -> None:
    audit.record(session, actor, action, object_type="user", object_id=user.id, district_id=user.district_id,
                 details={"username": user.username})
