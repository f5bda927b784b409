"""Landlord-portal users: create, sign in with a password, one-time sign-in links, deactivate.

The one front door for the CLI (`varsel landlords users create`), the admin page
(`/admin/hyresvardar/{org}/anvandare`) and the portal's sign-in, so each audits the
same way. A landlord user is bound to one landlord and sees exactly what that
landlord's API keys see; it is no staff account (its own table, sessions and cookie).

A new user gets either a password (`--password-stdin`) or a one-time sign-in link:
a random secret of which only the SHA-256 is stored, valid for `LINK_VALID_FOR`,
used once to choose a password (which also ends any sessions the account had).
Passwords are argon2id and follow the staff's strength rule (`passwords.py`); the
sign-in is throttled like the staff's (`throttle.py`), under keys of its own kind.
Nothing here commits.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from pydantic import TypeAdapter, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.config import Settings
from app.db import utcnow
from app.identity import IdentityNumberError, parse_org_number
from app.notices.schemas import Email
from app.security import audit, sessions, throttle
from app.security.actors import Actor
from app.security.models import Landlord, LandlordUser, LandlordWebSession
from app.security.passwords import check_strength, hash_password, needs_rehash, verify_password
from app.security.service import AccountError
from app.security.tokens import hash_session_secret, new_session_secret

log = structlog.get_logger("varsel.security")

LINK_VALID_FOR = timedelta(days=3)
LINK_PATH = "/hyresvard/lank/"
THROTTLE_KIND = "landlord_user"
_EMAIL = TypeAdapter(Email)


@dataclass(frozen=True)
class NewLandlordUser:
    user: LandlordUser
    link: str | None  # the one-time sign-in link, when no password was given; shown once


def normalise_email(email: str) -> str:
    return email.strip().lower()


def find_landlord(session: Session, org_number: str) -> Landlord:
    try:
        canonical = parse_org_number(org_number)
    except IdentityNumberError as exc:
        raise AccountError(f"organisationsnummer: {exc}", "Organisationsnumret är inte giltigt.") from exc
    landlord = session.scalar(select(Landlord).where(Landlord.org_number == canonical))
    if landlord is None:
        raise AccountError(f"no landlord has organisationsnummer {canonical}; see `varsel landlords list`",
                           "Det finns ingen hyresvärd med det organisationsnumret.")
    return landlord


def create(session: Session, settings: Settings, actor: Actor, *, org_number: str, email: str,
           password: str | None = None, now: datetime | None = None) -> NewLandlordUser:
    """Raises AccountError or WeakPassword before anything is stored."""
    landlord = find_landlord(session, org_number)
    address = normalise_email(email)
    try:
        _EMAIL.validate_python(address)
    except ValidationError:
        raise AccountError(f"{email!r} is not an email address", "Skriv en giltig e-postadress.") from None
    if session.scalar(select(LandlordUser.id).where(LandlordUser.email == address)):
        raise AccountError(f"a landlord user with the email {address} exists already",
                           "Det finns redan en användare med den e-postadressen.")
    if password is not None:
        check_strength(password)
    user = LandlordUser(landlord=landlord, landlord_id=landlord.id, email=address,
                        password_hash=hash_password(password) if password is not None else None)
    session.add(user)
    session.flush()
    link = None if password is not None else issue_link(session, settings, user, now)
    _audit(session, actor, "admin.landlord_user.create", user)
    return NewLandlordUser(user, link)


def issue_link(session: Session, settings: Settings, user: LandlordUser, now: datetime | None = None) -> str:
    """A new one-time sign-in link (any earlier one stops working)."""
    secret = new_session_secret()
    user.link_hash = hash_session_secret(secret)
    user.link_expires_at = (now or utcnow()) + LINK_VALID_FOR
    session.flush()
    return f"{settings.public_base_url.rstrip('/')}{LINK_PATH}{secret}"


def new_link(session: Session, settings: Settings, actor: Actor, user: LandlordUser) -> str:
    link = issue_link(session, settings, user)
    _audit(session, actor, "admin.landlord_user.link", user)
    return link


def by_link(session: Session, secret: str, now: datetime | None = None) -> LandlordUser | None:
    """The active user whose unexpired link this is, or None."""
    if not secret or len(secret) > 200:
        return None
    user = session.scalar(select(LandlordUser).where(LandlordUser.link_hash == hash_session_secret(secret)))
    if user is None or not user.active or user.link_expires_at is None or user.link_expires_at <= (now or utcnow()):
        return None
    return user


def set_password_by_link(session: Session, secret: str, password: str, now: datetime | None = None) -> LandlordUser:
    """Use the link once: the password is set, the link is spent, earlier sessions end.

    Raises AccountError for an unknown, used or expired link and WeakPassword before anything changes.
    """
    now = now or utcnow()
    user = by_link(session, secret, now)
    if user is None:
        raise AccountError("the sign-in link is unknown, used or expired",
                           "Länken har redan använts eller gått ut. Be kommunen om en ny.")
    check_strength(password)
    user.password_hash = hash_password(password)
    user.link_hash = None
    user.link_expires_at = None
    end_access(session, user, now)
    user.last_sign_in_at = now
    audit.record(session, portal_actor(user), "portal.password_set", object_type="landlord_user",
                 object_id=user.id, details={"via": "link"})
    return user


@dataclass(frozen=True)
class SignIn:
    user: LandlordUser | None
    retry_after: int | None = None  # seconds, when throttled: the password was not checked


def authenticate(session: Session, settings: Settings, email: str, password: str, *, ip: str | None = None,
                 now: datetime | None = None) -> SignIn:
    """The staff's throttled sign-in, for landlord users: an email that is no landlord user's (a staff
    username, say) fails exactly like a wrong password. The caller commits even on failure."""
    now = now or utcnow()
    keys = throttle.keys_for(settings, email, ip, kind=THROTTLE_KIND)
    wait = throttle.wait_seconds(session, keys, now)
    if wait is not None:
        log.warning("sign_in_throttled", via="portal", retry_after=wait)
        return SignIn(None, retry_after=wait)
    user = session.scalar(select(LandlordUser).where(LandlordUser.email == normalise_email(email)))
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.active:
        throttle.clear(session, keys[0])
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_sign_in_at = now
        return SignIn(user)
    throttle.count_failure(session, settings, keys, now)
    reason = "unknown_user" if user is None else ("inactive" if ok else "wrong_password")
    details = {"via": "portal", "reason": reason}
    if user is not None:
        details["landlord_id"] = str(user.landlord_id)
    audit.record(session, Actor(kind="anonymous", id=None, name="anonymous", ip=ip), "auth.sign_in_failed",
                 object_type="landlord_user" if user is not None else None,
                 object_id=user.id if user is not None else None, details=details)
    return SignIn(None)


def deactivate(session: Session, actor: Actor, user: LandlordUser, now: datetime | None = None) -> None:
    user.active = False
    user.link_hash = None
    user.link_expires_at = None
    end_access(session, user, now)
    _audit(session, actor, "admin.landlord_user.deactivate", user)


def end_access(session: Session, user: LandlordUser, now: datetime | None = None) -> None:
    user.token_version += 1
    sessions.revoke_all(session, user.id, now or utcnow(), model=LandlordWebSession)


def for_landlord(session: Session, landlord: Landlord) -> list[LandlordUser]:
    return list(session.scalars(select(LandlordUser).where(LandlordUser.landlord_id == landlord.id)
                                .order_by(LandlordUser.email)))


def portal_actor(user: LandlordUser, ip: str | None = None) -> Actor:
    """Who acts in the audit log and on the case timeline: the landlord (its id: what it may see and send)
    and, by name, the person."""
    return Actor(kind="landlord_user", id=user.landlord_id, name=f"{user.landlord.name} ({user.email})"[:200], ip=ip)


def _audit(session: Session, actor: Actor, action: str, user: LandlordUser) -> None:
    audit.record(session, actor, action, object_type="landlord_user", object_id=user.id,
                 details={"email": user.email, "landlord_id": str(user.landlord_id)})
