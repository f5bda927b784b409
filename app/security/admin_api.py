"""The admin API for staff users: list, create, deactivate, activate, set a password.

Role ``admin`` only; to anyone else these addresses do not exist (404). Nothing
here reads cases. Deactivation and a new password end the user's tokens and
sessions at once (`app/security/users.py`).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, ConfigDict, Field

from app.deps import SessionDep, require_roles
from app.errors import Problem, ValidationProblem
from app.security import service as accounts
from app.security import users
from app.security.actors import Actor
from app.security.models import User
from app.security.passwords import WeakPassword
from app.text import SINGLE_LINE

router = APIRouter(prefix="/api/v1/admin/users", tags=["admin: staff users"])

AdminDep = Annotated[Actor, Depends(require_roles("admin"))]


class UserOut(BaseModel):
    username: str = Field(description="The username the user signs in with.")
    role: str = Field(description="`handler`, `manager`, `joint_assessor`, `intake` or `admin`.")
    district: str | None = Field(description="District code")
    unit: str | None = Field(description="A joint assessor's unit: `elderly_care`, `disability`, `children_families`.")
    full_name: str | None = Field(description="Shown to colleagues and in acknowledgements to Kronofogden.")
    email: str | None = Field(description="Where the user's reminders and digests go.")
    active: bool = Field(description="`false`: deactivated, signing in is refused.")
    last_sign_in_at: datetime | None = Field(description="The last sign-in, RFC 3339; `null`: never.")


class UserList(BaseModel):
    items: list[UserOut] = Field(description="Every staff user.")


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    username: Annotated[str, SINGLE_LINE] = Field(min_length=1, max_length=100,
                                                   description="1–100 characters without spaces.")
    role: Annotated[str, SINGLE_LINE] = Field(max_length=20, description="`handler`, `manager`, `joint_assessor`, "
                                                                         "`intake` or `admin`.")
    district: Annotated[str, SINGLE_LINE] | None = Field(
        default=None, max_length=60, description="District code; required for handler, manager, joint_assessor")
    unit: Annotated[str, SINGLE_LINE] | None = Field(default=None, max_length=30,
                                                      description="Required for joint_assessor")
    email: Annotated[str, SINGLE_LINE] | None = Field(default=None, max_length=254,
                                                      description="Where reminders and digests go.")
    full_name: Annotated[str, SINGLE_LINE] | None = Field(default=None, max_length=200,
                                                          description="Shown to colleagues and to Kronofogden.")
    phone: Annotated[str, SINGLE_LINE] | None = Field(default=None, max_length=40,
                                                      description="A work phone number.")
    password: Annotated[str, SINGLE_LINE] | None = Field(
        default=None, max_length=1000, description="At least 12 characters; leave out for users who sign in through OIDC")


class PasswordIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    password: Annotated[str, SINGLE_LINE] = Field(max_length=1000, description="At least 12 characters.")


def _out(user: User) -> UserOut:
    return UserOut(username=user.username, role=user.role, district=user.district.code if user.district else None,
                   unit=user.unit, full_name=user.full_name, email=user.email, active=user.active,
                   last_sign_in_at=user.last_sign_in_at)


def _refused(exc: accounts.AccountError) -> Problem:
    if isinstance(exc, users.UnknownUser):
        return Problem(404, str(exc))
    return Problem(409 if isinstance(exc, users.OwnAccount) else 422, str(exc))


_UNKNOWN = {404: {"description": "No such user (or the caller is not an admin)."}}
_ADMIN = " Role `admin` only; to anyone else this address does not exist (404). Written to the audit log."


@router.get("", response_model=UserList, operation_id="listUsers",
            summary="Every staff user, with role, district, unit and last sign-in",
            description="The staff users, active and deactivated." + _ADMIN)
def list_users(_: AdminDep, session: SessionDep) -> UserList:
    return UserList(items=[_out(user) for user in users.list_users(session)])


@router.post("", response_model=UserOut, status_code=201, operation_id="createUser", summary="Create a staff user",
             description="A user with one role; handlers, managers and joint assessors belong to a district."
                         + _ADMIN,
             responses={422: {"description": "Invalid input, a username that is taken, or a weak password."}})
def create_user(actor: AdminDep, session: SessionDep, body: UserIn) -> UserOut:
    try:
        user = users.create(session, actor, username=body.username, role=body.role, password=body.password,
                            district_code=body.district, unit=body.unit, email=body.email,
                            full_name=body.full_name, phone=body.phone)
    except WeakPassword as exc:
        raise ValidationProblem([{"field": "password", "message": str(exc)}]) from None
    except accounts.AccountError as exc:
        raise _refused(exc) from None
    return _out(user)


@router.post("/{username}/deactivate", response_model=UserOut, operation_id="deactivateUser",
             summary="Deactivate a user: sign-in refused, every token and session ended at once",
             description="The user can no longer sign in, and every token and session of theirs ends now."
                         + _ADMIN,
             responses={**_UNKNOWN, 409: {"description": "Admins cannot deactivate themselves."}})
def deactivate(actor: AdminDep, session: SessionDep, username: str) -> UserOut:
    try:
        return _out(users.deactivate(session, actor, username))
    except accounts.AccountError as exc:
        raise _refused(exc) from None


@router.post("/{username}/activate", response_model=UserOut, operation_id="activateUser",
             summary="Let a deactivated user sign in again",
             description="The user may sign in again; nothing from before comes back to life." + _ADMIN,
             responses=_UNKNOWN)
def activate(actor: AdminDep, session: SessionDep, username: str) -> UserOut:
    try:
        return _out(users.activate(session, actor, username))
    except accounts.AccountError as exc:
        raise _refused(exc) from None


@router.post("/{username}/password", status_code=204, operation_id="setUserPassword",
             summary="Set a new password: every token and session of the user ends at once",
             description="A new password (at least 12 characters); every token and session of the user ends now."
                         + _ADMIN,
             responses=_UNKNOWN)
def set_password(actor: AdminDep, session: SessionDep, username: str, body: PasswordIn) -> Response:
    try:
        users.set_password(session, actor, username, body.password)
    except WeakPassword as exc:
        raise ValidationProblem([{"field": "password", "message": str(exc)}]) from None
    except accounts.AccountError as exc:
        raise _refused(exc) from None
    return Response(status_code=204)
