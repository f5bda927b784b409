"""Staff sign-in for the JSON API: POST /api/v1/auth/token (OAuth2 password form)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from pydantic import BaseModel

from app.deps import SessionDep, SettingsDep
from app.errors import Problem
from app.security import service as accounts
from app.security.tokens import issue_token

router = APIRouter(prefix="/api/v1/auth", tags=["staff authentication"])


class TokenOut(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


@router.post(
    "/token",
    response_model=TokenOut,
    summary="Exchange a staff username and password for a bearer token",
    responses={401: {"description": "Wrong username or password"}, 429: {"description": "Throttled"}},
)
def token(
    session: SessionDep,
    settings: SettingsDep,
    username: Annotated[str, Form(max_length=100)],
    password: Annotated[str, Form(max_length=1000)],
) -> TokenOut:
    result = accounts.authenticate_user(session, settings, username, password)
    if result.retry_after is not None:
        raise Problem(
            429,
            "Too many failed sign-ins for this user; wait and try again",
            headers={"Retry-After": str(result.retry_after)},
        )
    if result.user is None:
        # The failure count must survive the error answer.
        session.commit()
        raise Problem(401, "Wrong username or password", headers={"WWW-Authenticate": "Bearer"})
    return TokenOut(
        access_token=issue_token(settings.secret_key, result.user.id, result.user.token_version),
        expires_in=settings.token_ttl_seconds,
    )
