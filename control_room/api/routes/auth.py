"""Logging in and out: the OAuth2 password flow gives a short-lived bearer token and a rotating refresh token."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, ConfigDict, Field

from control_room.api.deps import ContextDep, UserDep, client_ip
from control_room.audit import Actor, record
from control_room.login_throttle import ThrottlePolicy
from control_room.security.login import LoginFailed, LoginThrottled, check_credentials
from control_room.sessions import IssuedTokens, RefreshDenied, open_session, refresh, revoke_session
from control_room.store.models import User

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class TokenResponse(BaseModel):
    """An access token and the refresh token of its session."""

    access_token: str = Field(description="Bearer token (JWT).")
    token_type: str = Field(default="bearer", description="Always bearer.")
    expires_in: int = Field(description="Seconds until the access token expires.")
    refresh_token: str = Field(description="Single-use token for POST /api/v1/auth/refresh; keep it secret.")
    refresh_expires_in: int = Field(description="Seconds until the session ends and a new login is needed.")
    role: str = Field(description="Role of the account.")
    username: str = Field(description="Account name.")


class RefreshRequest(BaseModel):
    """A refresh token to exchange."""

    model_config = ConfigDict(extra="forbid")
    refresh_token: str = Field(min_length=1, max_length=200, description="The refresh token last received.")


class LoggedOut(BaseModel):
    """The session has ended."""

    logged_out: bool = Field(description="Always true.")


def _response(user: User, issued: IssuedTokens) -> TokenResponse:
    return TokenResponse(
        access_token=issued.access_token,
        expires_in=issued.expires_in,
        refresh_token=issued.refresh_token,
        refresh_expires_in=issued.refresh_expires_in,
        role=user.role,
        username=user.username,
    )


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


@router.post(
    "/token",
    summary="Log in with username and password",
    responses={
        401: {"description": "Wrong username or password."},
        429: {"description": "Throttled; see Retry-After."},
    },
)
def token(request: Request, ctx: ContextDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> TokenResponse:
    """Exchange credentials for tokens. Throttled per account and per address (429 with Retry-After); audited.

    A throttled attempt does not check the password. A failure does not say which part was wrong.
    """
    ip = client_ip(request)
    try:
        user_id = check_credentials(
            ctx.store, ThrottlePolicy.from_settings(ctx.settings), form.username, form.password, ip, via="token"
        )
    except LoginThrottled as err:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, str(err), headers={"Retry-After": str(err.retry_after_s)}
        ) from err
    except LoginFailed as err:
        raise _unauthorised(str(err)) from err
    with ctx.store.session() as s:
        user = s.get(User, user_id)
        if user is None:  # deleted between the check and now
            raise _unauthorised("wrong username or password")
        issued = open_session(s, ctx.tokens, user, ip, ctx.settings.refresh_ttl_s, datetime.now(UTC))
    return _response(user, issued)


@router.post(
    "/refresh",
    summary="New tokens for a refresh token",
    responses={401: {"description": "Unknown, used, expired or revoked refresh token."}},
)
def refresh_tokens(request: Request, body: RefreshRequest, ctx: ContextDep) -> TokenResponse:
    """Rotate: the refresh token sent is revoked and a new one returned. Reusing one revokes its whole session."""
    ip = client_ip(request)
    with ctx.store.session() as s:
        now = datetime.now(UTC)
        try:
            user, issued = refresh(s, ctx.tokens, body.refresh_token, now)
        except RefreshDenied as err:
            who = Actor(err.user.username, err.user.role, ip) if err.user else Actor("?", None, ip)
            target = f"user:{err.user.id}" if err.user else None
            result = "reused: session revoked" if err.reused else "denied"
            record(s, who, "auth.refresh", target, {"reason": err.reason}, result)
            denied: RefreshDenied | None = err
        else:
            record(s, Actor(user.username, user.role, ip), "auth.refresh", f"user:{user.id}", {}, "ok")
            denied = None
    if denied is not None:
        raise _unauthorised(denied.reason)
    return _response(user, issued)


@router.post("/logout", summary="Log out: end this session")
def logout(user: UserDep, ctx: ContextDep) -> LoggedOut:
    """Revoke the session of the bearer token: it and every refresh token of the session stop working at once."""
    if user.session_id is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "this credential has no session to end")
    with ctx.store.session() as s:
        revoke_session(s, user.session_id, "logout", datetime.now(UTC))
        record(s, user.actor, "auth.logout", f"user:{user.id}", {})
    return LoggedOut(logged_out=True)
