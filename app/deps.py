"""FastAPI dependencies: the request's session and settings, and who is calling.

Use the ``Annotated`` aliases (``SessionDep``, ``LandlordDep``, ``StaffDep`` …)
in endpoint signatures.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from app.cases import service as cases
from app.cases.models import Case
from app.config import Settings
from app.errors import Problem
from app.routing.service import RouterProvider
from app.security import service as accounts
from app.security import audit, sessions
from app.security.actors import Actor
from app.security.apikeys import VerifiedKey
from app.security.models import User
from app.security.tokens import csrf_valid, read_token


async def get_settings_dep(request: Request) -> Settings:
    # Async: read from the app's state on the event loop, not by a hop through the thread pool.
    return request.app.state.settings


SettingsDep = Annotated[Settings, Depends(get_settings_dep)]


async def get_session(request: Request) -> AsyncIterator[Session]:
    """The request's unit of work: committed when the endpoint returns, rolled back on error.

    ``scope="function"`` makes the commit happen before the answer is sent, so a
    failed commit is a 500 and never a 201 for something that was not stored.

    Made on the event loop (a session does no I/O until it is first used); the commit and the
    rollback, which do, run in the thread pool, and only when the request left something to end.
    A sync dependency cost two trips through the thread pool, to enter and to leave, for every request.
    """
    session = request.app.state.sessionmaker()
    try:
        yield session
        if session.in_transaction() or audit.pending(session):
            await run_in_threadpool(session.commit)
    except BaseException:
        if session.in_transaction():
            await run_in_threadpool(session.rollback)
        raise
    finally:
        session.close()  # nothing left to end: it only lets go of the session's objects


SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


_UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}
SESSION_COOKIE = "varsel_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


async def _api_key(request: Request, session: Session, settings: Settings) -> VerifiedKey:
    plaintext = _bearer(request)
    if plaintext is None:
        raise Problem(401, "Send your API key as 'Authorization: Bearer <key>'", headers=_UNAUTHORIZED_HEADERS)
    # Remembered by the process for a few seconds (apikeys.KEY_CACHE_SECONDS): no look-up per request,
    # and then no trip through the thread pool either.
    cache = getattr(request.app.state, "key_cache", None)
    key = accounts.remembered_key(settings, plaintext, cache)
    if key is None:
        key = await run_in_threadpool(accounts.verify_key, session, settings, plaintext, cache)
    if key is None:
        raise Problem(
            401,
            "The API key is unknown or revoked. Ask the municipality's Varsel administrator for a new one.",
            headers=_UNAUTHORIZED_HEADERS,
        )
    request.state.api_key_test = key.test  # app/metrics.py counts a test key's notices apart
    wait = request.app.state.rate_limiter.acquire(key.prefix)
    if wait is not None:
        retry_after = request.app.state.rate_limiter.retry_after_header(wait)
        raise Problem(
            429,
            "Too many requests for this key; slow down, or send many notices in one /batch request",
            headers={"Retry-After": retry_after},
        )
    return key


async def current_landlord(request: Request, session: SessionDep, settings: SettingsDep) -> Actor:
    key = await _api_key(request, session, settings)
    if key.owner_kind != "landlord":
        raise Problem(401, "This key does not belong to a landlord", headers=_UNAUTHORIZED_HEADERS)
    return Actor(kind="landlord", id=key.owner_id, name=key.owner_name, ip=client_ip(request), test=key.test)


async def current_authority(request: Request, session: SessionDep, settings: SettingsDep) -> Actor:
    key = await _api_key(request, session, settings)
    if key.owner_kind != "authority":
        raise Problem(401, "This key does not belong to an authority", headers=_UNAUTHORIZED_HEADERS)
    return Actor(kind="authority", id=key.owner_id, name=key.owner_name, ip=client_ip(request))


def staff_actor(user: User, request: Request) -> Actor:
    return Actor(
        kind="staff",
        id=user.id,
        name=user.username,
        role=user.role,
        district_id=user.district_id,
        unit=user.unit,
        ip=client_ip(request),
    )


def current_user(request: Request, session: SessionDep, settings: SettingsDep) -> User:
    """A staff user from a bearer token (API) or, failing that, the web session cookie.

    A cookie is sent by the browser on its own, so with the cookie an unsafe method
    (POST, PUT, PATCH, DELETE) must also carry the session's CSRF token in
    ``X-CSRF-Token``; a bearer token is never sent by itself and needs none.
    """
    token = _bearer(request)
    if token is not None:
        claims = read_token(settings.secret_key, token, settings.token_ttl_seconds)
        if claims is None:
            raise Problem(401, "The token is invalid or expired; sign in again", headers=_UNAUTHORIZED_HEADERS)
        user = session.get(User, claims.user_id)
        if user is None or not user.active or user.token_version != claims.token_version:
            raise Problem(401, "The token is no longer valid; sign in again", headers=_UNAUTHORIZED_HEADERS)
        return user
    web_session = sessions.resolve(session, settings, request.cookies.get(SESSION_COOKIE))
    if web_session is None:
        raise Problem(401, "Sign in: POST /api/v1/auth/token, then send 'Authorization: Bearer <token>'",
                      headers=_UNAUTHORIZED_HEADERS)
    if request.method not in SAFE_METHODS and not csrf_valid(
            settings.secret_key, str(web_session.id), request.headers.get(CSRF_HEADER)):
        raise Problem(403, f"With the session cookie, send the page's CSRF token in {CSRF_HEADER} "
                           "(or use a bearer token)", type_="csrf")
    request.state.web_session = web_session
    return web_session.user


LandlordDep = Annotated[Actor, Depends(current_landlord)]
AuthorityDep = Annotated[Actor, Depends(current_authority)]
UserDep = Annotated[User, Depends(current_user)]


def current_staff(request: Request, user: UserDep) -> Actor:
    return staff_actor(user, request)


StaffDep = Annotated[Actor, Depends(current_staff)]


def require_roles(*roles: str) -> Callable[..., Actor]:
    """A dependency admitting only these roles. Others get 404: they are not told the thing exists."""

    def dependency(actor: StaffDep) -> Actor:
        if actor.role not in roles:
            raise Problem(404)
        return actor

    return dependency


# --------------------------------------------------------------------------- typed resources of a request

def request_now(request: Request) -> datetime:
    """The request's "now": the app's clock, which tests pin to a fixed moment."""
    return request.app.state.clock()


def request_routers(request: Request) -> RouterProvider:
    return request.app.state.routers


NowDep = Annotated[datetime, Depends(request_now)]
RoutersDep = Annotated[RouterProvider, Depends(request_routers)]


def case_in_scope(case_id: str, actor: StaffDep, session: SessionDep) -> Case:
    return cases.readable(session, actor, case_id)


# The case named in the path, if the caller may see it (404 otherwise, a malformed id included).
CaseInScope = Annotated[Case, Depends(case_in_scope)]


class OpenCaseForWork:
    """`case: OpenCaseForWork["assign"]` — the case, locked, if the caller may give that command now.

    A case outside the caller's scope or role is 404, a status that forbids the
    command 409; the command is audited (`app/cases/service.py: for_work`).
    """

    def __class_getitem__(cls, command: str) -> Any:
        def dependency(case_id: str, actor: StaffDep, session: SessionDep) -> Case:
            return cases.for_work(session, actor, case_id, command)

        return Annotated[Case, Depends(dependency)]
