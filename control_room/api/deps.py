"""Typed dependencies: the app context, a database session, the authenticated user and permission checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer
from sqlalchemy.orm import Session

from control_room.api_keys import KeyInvalid, check_key
from control_room.audit import Actor, note_caller
from control_room.context import AppContext
from control_room.security.api_scopes import INTEGRATOR, looks_like_key, scope_for_path
from control_room.security.console_sessions import CSRF_HEADER, SAFE_METHODS, SESSION_COOKIE, SessionInvalid
from control_room.security.roles import Perm, allowed
from control_room.security.tokens import TokenInvalid
from control_room.sessions import session_alive
from control_room.store.models import User

oauth2 = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)
api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False, description="Integrator API key (read-only routes of its scopes)."
)


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
    session_id: str | None = None
    api_key_id: int | None = None

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
    """Verify a bearer token, its session (not logged out) and its (enabled) user, or raise 401.

    The role is the account's current one from the store, not the token's claim: a change applies at once.
    """
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
        if not session_alive(s, claims.session_id, user.id, datetime.now(UTC)):
            raise _unauthorised("session ended: log in again")
        return CurrentUser(user.id, user.username, user.role, ip, session_id=claims.session_id)


def authenticate_api_key(ctx: AppContext, key: str, ip: str | None, method: str, route_path: str) -> CurrentUser:
    """An integrator's key: valid and unrevoked (else 401), used to read a route of one of its scopes (else 403)."""
    with ctx.store.session() as s:
        try:
            caller = check_key(s, key, datetime.now(UTC))
        except KeyInvalid as err:
            raise _unauthorised("invalid or revoked API key") from err
    if method not in ("GET", "HEAD"):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "API keys may only read (GET)")
    scope = scope_for_path(route_path)
    if scope is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"API keys cannot use {route_path}")
    if scope not in caller.scopes:
        raise HTTPException(status.HTTP_403_FORBIDDEN, f"this API key lacks the scope {scope.value}")
    return CurrentUser(0, f"apikey:{caller.name}", INTEGRATOR, ip, api_key_id=caller.id)


def authenticate_credentials(
    ctx: AppContext, bearer: str | None, api_key: str | None, ip: str | None, method: str, route_path: str
) -> CurrentUser:
    """The caller from a bearer credential (access token or API key) or an ``X-API-Key`` header."""
    if api_key and bearer:
        raise _unauthorised("send either a bearer credential or X-API-Key, not both")
    if api_key or looks_like_key(bearer):
        return authenticate_api_key(ctx, api_key or bearer or "", ip, method, route_path)
    return authenticate(ctx, bearer, ip)


def route_path(request: Request) -> str:
    """The path template of the matched route (``/api/v1/nodes/{node_id}``), else the request path."""
    route = request.scope.get("route")
    return str(getattr(route, "path", request.url.path))


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


def current_user(
    request: Request,
    ctx: ContextDep,
    token: Annotated[str | None, Depends(oauth2)],
    api_key: Annotated[str | None, Depends(api_key_header)],
) -> CurrentUser:
    """The caller, from ``Authorization: Bearer`` (an access token or an API key), ``X-API-Key``, or else the
    console's session cookie (with its CSRF check on state-changing requests)."""
    if not token and not api_key and request.cookies.get(SESSION_COOKIE):
        user = session_user(ctx, request, request.cookies[SESSION_COOKIE])
    else:
        user = authenticate_credentials(ctx, token, api_key, client_ip(request), request.method, route_path(request))
    note_caller(user.actor)
    return user


UserDep = Annotated[CurrentUser, Depends(current_user)]


def require(perm: Perm) -> Callable[[CurrentUser], CurrentUser]:
    """A dependency that lets only roles carrying ``perm`` through (403 otherwise)."""

    def check(user: UserDep) -> CurrentUser:
        if not caller_allowed(user, perm):
            raise HTTPException(status.HTTP_403_FORBIDDEN, f"role {user.role} may not {perm.value}")
        return user

    check.__name__ = f"require_{perm.value.replace('.', '_')}"
    check.required_perm = perm  # type: ignore[attr-defined]  # read by the route-generated security tests
    return check


# What an API key may do at most; its scopes (checked in authenticate_api_key) narrow it to some routes.
API_KEY_PERMS = frozenset({Perm.READ, Perm.METRICS_READ})


def caller_allowed(user: CurrentUser, perm: Perm) -> bool:
    """Whether the caller (an account's role, or an API key) carries ``perm``."""
    if user.api_key_id is not None:
        return perm in API_KEY_PERMS
    return allowed(user.role, perm)


Reader = Annotated[CurrentUser, Depends(require(Perm.READ))]
Commander = Annotated[CurrentUser, Depends(require(Perm.COMMAND))]
UserAdmin = Annotated[CurrentUser, Depends(require(Perm.USERS_MANAGE))]
MetricsReader = Annotated[CurrentUser, Depends(require(Perm.METRICS_READ))]
