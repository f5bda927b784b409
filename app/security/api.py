"""Staff sign-in for the JSON API: POST /api/v1/auth/token (OAuth2 password form)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field

from app.deps import SessionDep, SettingsDep, client_ip, staff_actor
from app.errors import Problem
from app.security import audit
from app.security import service as accounts
from app.security.tokens import issue_token

router = APIRouter(prefix="/api/v1/auth", tags=["staff authentication"])


class TokenOut(BaseModel):
    access_token: str = Field(description="Send as `Authorization: Bearer <access_token>` on staff endpoints.")
    token_type: str = Field("bearer", description="Always `bearer`.")
    expires_in: int = Field(description="Seconds until the token expires; sign in again then.")


@router.post(
    "/token",
    response_model=TokenOut,
    operation_id="issueStaffToken",
    summary="Exchange a staff username and password for a bearer token",
    description="Repeated failures, per username and per source address, make the next attempt wait "
                "(1 s, 2 s, 4 s … up to a minute): the answer is then 429 with `Retry-After`, and no "
                "password is checked until the wait is over.",
    responses={401: {"description": "Wrong username or password"},
               429: {"description": "Too many recent failures; wait `Retry-After` seconds"}},
)
def token(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=100, description="The staff user's username.")],
    password: Annotated[str, Form(max_length=1000, description="The user's password.")],
) -> TokenOut:
    result = accounts.authenticate_user(session, settings, username, password, ip=client_ip(request), via="api")
    if result.retry_after is not None:
        raise Problem(
            429,
            f"Too many failed sign-ins; wait {result.retry_after} s and try again",
            headers={"Retry-After": str(result.retry_after)},
        )
    if result.user is None:
        # The failure count and its audit record must survive the error answer.
        session.commit()
        raise Problem(401, "Wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    audit.record(session, staff_actor(result.user, request), "auth.token_issued", object_type="user",
                 object_id=result.user.id, district_id=result.user.district_id)
    return TokenOut(
        access_token=issue_token(settings.secret_key, result.user.id, result.user.token_version),
        expires_in=settings.token_ttl_seconds,
    )
