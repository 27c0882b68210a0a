"""Typed dependencies: the app context, a database session, the authenticated user and permission checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import OAuth2PasswordBearer
from sqlalchemy.orm import Session

from control_room.audit import Actor, note_caller
from control_room.context import AppContext
from control_room.security.console_sessions import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, SessionInvalid
from control_room.security.roles import Perm, allowed
from control_room.security.tokens import TokenInvalid
from control_room.store.models import User

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


def get_context(request: Request) -> AppContext:
    """The app's context object."""
    ctx: AppContext = request.app.state.ctx
    return ctx


ContextDep = Annotated[AppContext, Depends(get_context)]


def get_session(ctx: ContextDep) -> Iterator[Session]:
    """A session committed when the request succeeds, rolled back when it raises."""
    with ctx.store.session() as s:
        yield s


# scope="function": the transaction commits before the response leaves, so a client sees its own change.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


@dataclass(frozen=True)
class CurrentUser:
    """The authenticated caller."""

    id: int
    username: str
    role: str
    source_ip: str | None

    @property
    def actor(self) -> Actor:
        """The audit identity of this caller."""
        return Actor(self.username, self.role, self.source_ip)


def client_ip(request: Request) -> str | None:
    """The peer address of the request."""
    return request.client.host if request.client else None


def _unauthorised(detail: str) -> HTTPException:
    return HTTPException(status.HTTP_401_UNAUTHORIZED, detail, headers={"WWW-Authenticate": "Bearer"})


def authenticate(ctx: AppContext, token: str | None, ip: str | None) -> CurrentUser:
    """Verify a bearer token and load its (enabled) user, or raise 401."""
    if not token:
        raise _unauthorised("not authenticated: send a bearer token")
    try:
        claims = ctx.tokens.verify(token)
    except TokenInvalid as err:
        raise _unauthorised("invalid or expired token") from err
    with ctx.store.session() as s:
        user = s.get(User, claims.user_id)
        if user is None or user.disabled or user.username != claims.username:
            raise _unauthorised("account unknown or disabled")
        return CurrentUser(user.id, user.username, user.role, ip)


def session_user(ctx: AppContext, request: Request, raw_id: str) -> CurrentUser:
    """The caller from the console's session cookie; unsafe methods must carry the session's CSRF token.

    401 when the session is unknown, expired, idle, revoked or its account disabled; 403 when a state-changing
    request lacks the ``X-CSRF-Token`` header or carries a wrong one.
    """
    with ctx.store.session() as s:
        try:
            _row, user = ctx.console_sessions.resolve(s, raw_id)
        except SessionInvalid as err:
            raise _unauthorised(f"console session ended ({err}): sign in again") from err
        caller = CurrentUser(user.id, user.username, user.role, client_ip(request))
    if request.method not in SAFE_METHODS and not ctx.console_sessions.csrf_ok(
        raw_id, request.headers.get(CSRF_HEADER)
    ):
        note_caller(caller.actor)  # the refusal is audited under the session's account
        raise HTTPException(status.HTTP_403_FORBIDDEN, "CSRF token missing or wrong")
    return caller


def current_user(request: Request, ctx: ContextDep, token: Annotated[str | None, Depends(oauth2)]) -> CurrentUser:
    """The caller, from ``Authorization: Bearer`` or else the console's session cookie."""
    if not token and request.cookies.get(SESSION_COOKIE):
        user = session_user(ctx, request, request.cookies[SESSION_COOKIE])
    else:
        user = authenticate(ctx, token, client_ip(request))
    note_caller(user.actor)
    return user


UserDep = Annotated[CurrentUser, Depends(current_user)]


def require(perm: Perm) -> Callable[[CurrentUser], CurrentUser]:
    """A dependency that lets only roles carrying ``perm`` through (403 otherwise)."""

    def check(user: UserDep) -> CurrentUser:
        if not allowed(user.role, perm):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role} may not {perm.value}")
        return user

    check.__name__ = f"require_{perm.value.replace('.', '_')}"
    return check


Reader = Annotated[CurrentUser, Depends(require(Perm.READ))]
Commander = Annotated[CurrentUser, Depends(require(Perm.COMMAND))]
UserAdmin = Annotated[CurrentUser, Depends(require(Perm.USERS_MANAGE))]
MetricsReader = Annotated[CurrentUser, Depends(require(Perm.METRICS_READ))]
