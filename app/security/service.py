"""Accounts: landlords, authorities, their API keys, and staff users."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from app.config import Settings
from app.db import utcnow
from app.identity import IdentityNumberError, parse_org_number
from app.routing.models import District
from app.security import apikeys, audit, throttle
from app.security.actors import Actor
from app.security.models import ROLES, UNITS, ApiKey, Authority, Landlord, User
from app.security.passwords import check_strength, hash_password, needs_rehash, verify_password

log = structlog.get_logger("varsel.security")

# Writing last_used_at on every call would turn each read into a write; a minute's precision is plenty.
LAST_USED_PRECISION = timedelta(minutes=1)


class AccountError(ValueError):
    """A request about accounts that cannot be done; the message says what to do instead.

    ``sv`` is the same for the admin pages, in Swedish, where one is written.
    """

    def __init__(self, message: str, sv: str | None = None) -> None:
        super().__init__(message)
        self.sv = sv or "Det gick inte. Kontrollera uppgifterna och försök igen."


@dataclass(frozen=True)
class IssuedKey:
    api_key: ApiKey
    plaintext: str


def _issue(session: Session, settings: Settings, *, test: bool = False, **owner: uuid.UUID) -> IssuedKey:
    new = apikeys.generate_key(settings.secret_key)
    key = ApiKey(prefix=new.prefix, key_hash=new.key_hash, test=test, **owner)
    session.add(key)
    session.flush()
    return IssuedKey(key, new.plaintext)


_BAD_ORG_NUMBER = "Organisationsnumret är inte giltigt. Skriv det som NNNNNN-NNNN."


def create_landlord(session: Session, settings: Settings, *, name: str, org_number: str) -> tuple[Landlord, IssuedKey]:
    try:
        canonical = parse_org_number(org_number)
    except IdentityNumberError as exc:
        raise AccountError(f"organisationsnummer: {exc}", _BAD_ORG_NUMBER) from exc
    if not name.strip():
        raise AccountError("the landlord needs a name", "Skriv hyresvärdens namn.")
    if session.scalar(select(Landlord).where(Landlord.org_number == canonical)):
        raise AccountError(
            f"a landlord with organisationsnummer {canonical} exists already; "
            "create another key with `varsel landlords keys create --org-number`",
            f"Det finns redan en hyresvärd med organisationsnummer {canonical}. Skapa en ny nyckel åt den i stället.",
        )
    landlord = Landlord(name=name.strip(), org_number=canonical)
    session.add(landlord)
    session.flush()
    return landlord, _issue(session, settings, landlord_id=landlord.id)


def create_landlord_key(session: Session, settings: Settings, *, org_number: str, test: bool = False) -> IssuedKey:
    """Another key for a landlord; `test`: a test key, whose notices are kept apart (spec: "Test keys")."""
    try:
        canonical = parse_org_number(org_number)
    except IdentityNumberError as exc:
        raise AccountError(f"organisationsnummer: {exc}", _BAD_ORG_NUMBER) from exc
    landlord = session.scalar(select(Landlord).where(Landlord.org_number == canonical))
    if landlord is None:
        raise AccountError(f"no landlord has organisationsnummer {canonical}; create it with `varsel landlords create`",
                           f"Ingen hyresvärd har organisationsnummer {canonical}. Lägg upp hyresvärden först.")
    return _issue(session, settings, test=test, landlord_id=landlord.id)


def create_authority(session: Session, settings: Settings, *, name: str) -> tuple[Authority, IssuedKey]:
    authority = session.scalar(select(Authority).where(Authority.name == name.strip()))
    if authority is None:
        authority = Authority(name=name.strip())
        session.add(authority)
        session.flush()
    return authority, _issue(session, settings, authority_id=authority.id)


def revoke_key(session: Session, *, prefix: str) -> ApiKey:
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None:
        raise AccountError(f"no API key has the prefix {prefix!r}")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
    apikeys.VERIFIED.forget(key.prefix)  # this process stops trusting it at once; others within the cache's bound
    return key


def authenticate_key(session: Session, settings: Settings, plaintext: str) -> ApiKey | None:
    prefix = apikeys.split_prefix(plaintext)
    if prefix is None:
        return None
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == prefix))
    if key is None or key.revoked_at is not None:
        return None
    if not apikeys.matches(settings.secret_key, plaintext, key.key_hash):
        return None
    now = utcnow()
    if key.last_used_at is None or now - key.last_used_at >= LAST_USED_PRECISION:
        _record_use(session, key, now)
    return key


def _record_use(session: Session, key: ApiKey, now: datetime) -> None:
    """The key's `last_used_at`, unless a concurrent request is writing it right now (it holds the
    row until its commit): that one records the use, and this one does not queue behind it. The
    concurrent requests of one integrator whose cached key expired together waited for each other's
    whole transaction here, once a minute (~120 ms each, the tail of the ingest benchmark)."""
    locked = select(ApiKey.id).where(ApiKey.id == key.id).with_for_update(skip_locked=True).scalar_subquery()
    session.execute(update(ApiKey).where(ApiKey.id == locked).values(last_used_at=now)
                    .execution_options(synchronize_session=False))
    set_committed_value(key, "last_used_at", now)  # the object says what the row says, with nothing to flush


def verify_key(session: Session, settings: Settings, plaintext: str,
               cache: apikeys.KeyCache | None = None) -> apikeys.VerifiedKey | None:
    """A bearer key checked as `authenticate_key` does, remembered by the process for a few seconds.

    Within `cache.ttl` (apikeys.KEY_CACHE_SECONDS) of a look-up the key is not looked up again: a
    revocation by another process takes effect within that bound (this process forgets a key it
    revokes at once). Unknown, revoked and mismatching keys are never remembered.
    """
    cache = apikeys.VERIFIED if cache is None else cache
    if apikeys.split_prefix(plaintext) is None:
        return None
    found = remembered_key(settings, plaintext, cache)
    if found is not None:
        return found
    key = authenticate_key(session, settings, plaintext)
    if key is None:
        return None
    owner = key.landlord if key.landlord is not None else key.authority
    assert owner is not None  # the table's check constraint: one owner
    verified = apikeys.VerifiedKey(prefix=key.prefix, test=key.test, owner_kind=key.owner_kind,
                                   owner_id=owner.id, owner_name=owner.name)
    cache.put(apikeys.key_hash(settings.secret_key, plaintext), verified)
    return verified


def remembered_key(settings: Settings, plaintext: str,
                   cache: apikeys.KeyCache | None = None) -> apikeys.VerifiedKey | None:
    """The key as `verify_key` remembered it within its bound, or None (then ask `verify_key`): no I/O."""
    cache = apikeys.VERIFIED if cache is None else cache
    if apikeys.split_prefix(plaintext) is None:
        return None
    return cache.get(apikeys.key_hash(settings.secret_key, plaintext))


def create_user(
    session: Session,
    *,
    username: str,
    role: str,
    password: str | None,
    district_code: str | None = None,
    unit: str | None = None,
    email: str | None = None,
    full_name: str | None = None,
    phone: str | None = None,
) -> User:
    username = username.strip()
    if not username or len(username) > 100 or any(c.isspace() for c in username):
        raise AccountError("the username must be 1–100 characters without spaces",
                           "Användarnamnet ska vara 1–100 tecken utan mellanslag.")
    if role not in ROLES:
        raise AccountError(f"role must be one of: {', '.join(ROLES)}", "Välj en roll.")
    district = None
    if role in ("handler", "manager", "joint_assessor"):
        if not district_code:
            raise AccountError(f"a {role} belongs to a district: add --district CODE (see `varsel districts list`)",
                               "Rollen hör till en stadsdel: välj stadsdel.")
    if district_code:
        district = session.scalar(select(District).where(District.code == district_code))
        if district is None:
            raise AccountError(f"unknown district {district_code!r}; see `varsel districts list`",
                               "Stadsdelen finns inte.")
    if role == "joint_assessor":
        if unit not in UNITS:
            raise AccountError(f"a joint_assessor needs --unit, one of: {', '.join(UNITS)}",
                               "Gemensam bedömning kräver en enhet: välj enhet.")
    elif unit is not None:
        if unit not in UNITS:
            raise AccountError(f"unit must be one of: {', '.join(UNITS)}", "Enheten finns inte.")
    if session.scalar(select(User).where(User.username == username)):
        raise AccountError(f"the username {username!r} is taken", "Användarnamnet är upptaget.")
    if password is not None:
        check_strength(password)
    user = User(
        username=username,
        role=role,
        password_hash=hash_password(password) if password is not None else None,
        district_id=district.id if district else None,
        unit=unit,
        email=email,
        full_name=full_name,
        phone=phone,
    )
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class SignIn:
    user: User | None
    retry_after: int | None = None  # seconds, when throttled: the password was not checked


def authenticate_user(session: Session, settings: Settings, username: str, password: str, *,
                      ip: str | None = None, via: str = "api", now: datetime | None = None) -> SignIn:
    """Check a password, throttled per username and per source address (`app/security/throttle.py`).

    A failure is counted and audited as ``auth.sign_in_failed`` — naming the account
    only when the username exists, never the password. The caller must commit even
    when this fails: the count and the audit record are the point.
    """
    now = now or utcnow()
    keys = throttle.keys_for(settings, username, ip)
    wait = throttle.wait_seconds(session, keys, now)
    if wait is not None:
        log.warning("sign_in_throttled", via=via, retry_after=wait)
        return SignIn(None, retry_after=wait)
    user = session.scalar(select(User).where(User.username == username.strip()))
    ok = verify_password(user.password_hash if user else None, password)
    if ok and user is not None and user.active:
        throttle.clear(session, keys[0])
        if user.password_hash and needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_sign_in_at = now
        return SignIn(user)
    throttle.count_failure(session, settings, keys, now)
    reason = "unknown_user" if user is None else ("inactive" if ok else "wrong_password")
    record_failed_sign_in(session, user, ip=ip, via=via, reason=reason)
    return SignIn(None)


def record_failed_sign_in(session: Session, user: User | None, *, ip: str | None, via: str, reason: str) -> None:
    """Audit a refused sign-in. Nobody is signed in, so the actor is anonymous; the account it named is the object."""
    details: dict[str, str] = {"via": via, "reason": reason}
    if user is not None:
        details["username"] = user.username
    audit.record(session, Actor(kind="anonymous", id=None, name="anonymous", ip=ip), "auth.sign_in_failed",
                 object_type="user" if user is not None else None, object_id=user.id if user is not None else None,
                 district_id=user.district_id if user is not None else None, details=details)
