"""Logging in: the OAuth2 password flow gives a short-lived bearer token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from control_room.api.deps import ContextDep, SessionDep, client_ip
from control_room.audit import Actor, record
from control_room.security.passwords import verify_password
from control_room.store.models import User

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
    ip = client_ip(request)
    user = s.execute(select(User).where(func.lower(User.username) == form.username.lower())).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, form.password)
    if not ok or user is None or user.disabled:
        record(s, Actor(form.username[:64] or "?", None, ip), "auth.login", None, {}, "denied")
        s.commit()
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED, "wrong username or password", headers={"WWW-Authenticate": "Bearer"}
        )
    user.last_login_at = datetime.now(UTC)
    record(s, Actor(user.username, user.role, ip), "auth.login", f"user:{user.id}", {}, "ok")
    access, ttl = ctx.tokens.issue(user.username, user.id, user.role)
    return TokenResponse(access_token=access, expires_in=ttl, role=user.role, username=user.username)
