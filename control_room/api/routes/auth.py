"""Logging in: the OAuth2 password flow gives a short-lived bearer token."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from control_room.api.deps import ContextDep, SessionDep, client_ip
from control_room.security.login import LoginFailed, check_credentials

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenResponse(BaseModel):
    """An access token."""

    access_token: str = Field(description="Bearer token (JWT).")
    token_type: str = Field(default="bearer", description="Always bearer.")
    expires_in: int = Field(description="Seconds until it expires.")
    role: str = Field(description="Role of the account.")
    username: str = Field(description="Account name.")


@router.post("/token", summary="Log in with username and password")
def token(
    request: Request, ctx: ContextDep, s: SessionDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]
) -> TokenResponse:
    """Exchange credentials for a bearer token. Failures are audited; 401 does not say which part was wrong."""
    try:
        user = check_credentials(s, form.username, form.password, client_ip(request))
    except LoginFailed as err:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(err), headers={"WWW-Authenticate": "Bearer"}) from err
    access, ttl = ctx.tokens.issue(user.username, user.id, user.role)
    return TokenResponse(access_token=access, expires_in=ttl, role=user.role, username=user.username)
