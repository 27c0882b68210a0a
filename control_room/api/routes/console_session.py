"""The console's session: sign in with a password to get an HttpOnly cookie, ask who is signed in, sign out.

``POST /api/v1/auth/session`` sets ``cityedge_session`` (HttpOnly, SameSite=Strict, Path=/, Secure over https) and
answers the session's CSRF token, which the console sends as ``X-CSRF-Token`` on every state-changing request.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, Response, status
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from control_room.api.deps import ContextDep, SessionDep, client_ip
from control_room.audit import Actor, record
from control_room.context import AppContext
from control_room.login_throttle import ThrottlePolicy
from control_room.security.console_sessions import CSRF_HEADER, SESSION_COOKIE, SessionInvalid
from control_room.security.login import LoginFailed, LoginThrottled, check_credentials
from control_room.store.models import User
from edge.contract.payloads import describe_validation_error

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


class SessionLogin(BaseModel):
    """Credentials for a console session, as JSON or as a form."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64, description="Your own account name.")
    password: str = Field(min_length=1, max_length=1024, description="Its password.")


class SessionPublic(BaseModel):
    """The signed-in account and what the console needs to make requests."""

    username: str = Field(description="Account name.")
    role: str = Field(description="Role of the account (current, not as at sign-in).")
    csrf_token: str = Field(description="Send as the X-CSRF-Token header on every POST, PUT, PATCH and DELETE.")
    expires_at: datetime = Field(description="The session ends at this time whatever happens (end of shift).")
    idle_expires_at: datetime = Field(description="It ends earlier, at this time, if no request comes before.")
    idle_timeout_s: int = Field(description="Seconds without a request after which the session ends.")


_LOGIN_SCHEMA = SessionLogin.model_json_schema()
_LOGIN_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {
            "application/json": {"schema": _LOGIN_SCHEMA},
            "application/x-www-form-urlencoded": {"schema": _LOGIN_SCHEMA},
        },
    }
}


async def login_body(request: Request) -> SessionLogin:
    """Read the credentials from a JSON or form body; 415/422 naming the problem otherwise."""
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    data: Any
    if ctype == "application/json":
        try:
            data = json.loads(await request.body())
        except (ValueError, UnicodeDecodeError) as err:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the body is not valid JSON") from err
    elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        data = {k: v for k, v in form.items() if isinstance(v, str)}
    else:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, "send username and password as JSON or as a form")
    if not isinstance(data, dict):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "the body must be an object {username, password}")
    try:
        return SessionLogin.model_validate(data)
    except ValidationError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, describe_validation_error(err)) from err


def _secure(ctx: AppContext, request: Request) -> bool:
    configured = ctx.settings.session_cookie_secure
    return configured if configured is not None else request.url.scheme == "https"


def _clear_cookie_header(ctx: AppContext, request: Request) -> str:
    probe = Response()
    probe.delete_cookie(SESSION_COOKIE, path="/", secure=_secure(ctx, request), httponly=True, samesite="strict")
    return probe.headers["set-cookie"]


def _no_session(ctx: AppContext, request: Request, why: str) -> HTTPException:
    """401 that also clears a stale cookie."""
    return HTTPException(
        status.HTTP_401_UNAUTHORIZED,
        f"no console session ({why}): sign in again",
        headers={"WWW-Authenticate": "Bearer", "Set-Cookie": _clear_cookie_header(ctx, request)},
    )


@router.post(
    "/session",
    summary="Sign in to the console (sets the session cookie)",
    openapi_extra=_LOGIN_BODY,
    responses={
        401: {"description": "Wrong username or password."},
        429: {"description": "Throttled; see Retry-After."},
    },
)
def open_session(
    request: Request,
    response: Response,
    ctx: ContextDep,
    s: SessionDep,
    creds: Annotated[SessionLogin, Depends(login_body)],
) -> SessionPublic:
    """Check the password (audited like ``/auth/token``), start a session, set its cookie.

    A session id already in the browser is revoked first: every sign-in gets a fresh id.
    """
    ip = client_ip(request)
    try:
        user_id = check_credentials(
            ctx.store, ThrottlePolicy.from_settings(ctx.settings), creds.username, creds.password, ip, via="session"
        )
    except LoginThrottled as err:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS, str(err), headers={"Retry-After": str(err.retry_after_s)}
        ) from err
    except LoginFailed as err:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, str(err), headers={"WWW-Authenticate": "Bearer"}) from err
    user = s.get(User, user_id)
    if user is None:  # deleted between the check and now
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong username or password")
    old = request.cookies.get(SESSION_COOKIE)
    if old:
        ctx.console_sessions.revoke(s, old)
    grant = ctx.console_sessions.open(s, user, ip)
    max_age = int((grant.expires_at - datetime.now(UTC)).total_seconds())
    response.set_cookie(
        SESSION_COOKIE,
        grant.raw_id,
        max_age=max_age,
        path="/",
        secure=_secure(ctx, request),
        httponly=True,
        samesite="strict",
    )
    idle = ctx.settings.session_idle_s
    return SessionPublic(
        username=user.username,
        role=user.role,
        csrf_token=grant.csrf_token,
        expires_at=grant.expires_at,
        idle_expires_at=min(grant.expires_at, datetime.now(UTC) + ctx.console_sessions.idle),
        idle_timeout_s=idle,
    )


@router.get("/session", summary="Who is signed in to the console")
def get_session(request: Request, ctx: ContextDep, s: SessionDep) -> SessionPublic:
    """The session of the cookie, with its CSRF token again (for a reloaded page). Counts as activity."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise _no_session(ctx, request, "no cookie")
    try:
        row, user = ctx.console_sessions.resolve(s, raw)
    except SessionInvalid as err:
        raise _no_session(ctx, request, str(err)) from err
    return SessionPublic(
        username=user.username,
        role=user.role,
        csrf_token=ctx.console_sessions.csrf_token(raw),
        expires_at=row.expires_at,
        idle_expires_at=ctx.console_sessions.idle_deadline(row),
        idle_timeout_s=ctx.settings.session_idle_s,
    )


@router.delete("/session", status_code=status.HTTP_204_NO_CONTENT, summary="Sign out of the console")
def close_session(request: Request, response: Response, ctx: ContextDep, s: SessionDep) -> None:
    """Revoke the session on the server (the cookie is worthless from now on) and clear the cookie. Needs CSRF."""
    raw = request.cookies.get(SESSION_COOKIE)
    if not raw:
        raise _no_session(ctx, request, "no cookie")
    try:
        _row, user = ctx.console_sessions.resolve(s, raw, touch=False)
    except SessionInvalid as err:
        raise _no_session(ctx, request, str(err)) from err
    if not ctx.console_sessions.csrf_ok(raw, request.headers.get(CSRF_HEADER)):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF token missing or wrong")
    ctx.console_sessions.revoke(s, raw)
    record(s, Actor(user.username, user.role, client_ip(request)), "auth.logout", f"user:{user.id}", {"via": "session"})
    response.headers["set-cookie"] = _clear_cookie_header(ctx, request)
