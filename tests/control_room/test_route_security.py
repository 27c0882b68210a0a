"""Every route of the app, discovered from ``app.routes``: bad credentials get 401, roles lacking the route's
permission get 403, API keys only read their scopes. A new route is checked without anyone listing it; a route
with no authentication at all fails the test unless it is in the short public list below."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
import pytest
from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute, APIWebSocketRoute, iter_route_contexts
from sqlalchemy import update
from starlette.routing import Mount, Route

from control_room.api.deps import current_user
from control_room.security.api_scopes import Scope, scope_for_path
from control_room.security.roles import Perm, Role, allowed
from control_room.security.tokens import ALGORITHM, AUDIENCE, ISSUER
from control_room.sessions import revoke_session
from control_room.store.models import ApiKey, User
from tests.control_room.accounts_support import add_user, api_key, bearer, session_for
from tests.support.stack import ControlRoom

# Routes that answer without credentials, and why.
PUBLIC_HTTP = {
    ("GET", "/healthz"): "liveness for load balancers; says only ok/degraded",
    ("POST", "/api/v1/auth/token"): "the login itself",
    ("POST", "/api/v1/auth/refresh"): "authenticated by the refresh token in its body",
    ("POST", "/api/v1/auth/session"): "the console's sign-in",
    ("GET", "/api/v1/auth/session"): "authenticated by the session cookie in the handler (test_console_session.py)",
    ("DELETE", "/api/v1/auth/session"): "authenticated by the session cookie in the handler (test_console_session.py)",
    ("GET", "/openapi.json"): "the API description; holds no secrets",
    ("HEAD", "/openapi.json"): "the API description; holds no secrets",
}
PUBLIC_MOUNTS = {"console": "the console's static files (the page logs in through the API)"}
# Routes open to every signed-in account whatever its role (no permission dependency): the account's own things.
AUTHENTICATED_ONLY = {
    ("GET", "/api/v1/users/me"),
    ("POST", "/api/v1/users/me/password"),
    ("POST", "/api/v1/auth/logout"),
}
# WebSocket routes authenticate inside the handler (browsers cannot send headers): the permission each needs.
MANUAL_AUTH_WS = {"/api/v1/stream": Perm.READ}


@dataclass
class Endpoint:
    """One method of one HTTP route, with what its dependencies require."""

    method: str
    path: str
    url: str
    perms: set[Perm] = field(default_factory=set)
    authenticated: bool = False


def _walk(dependant: Dependant, found: Endpoint) -> None:
    for dep in dependant.dependencies:
        perm = getattr(dep.call, "required_perm", None)
        if perm is not None:
            found.perms.add(perm)
        if dep.call is current_user:
            found.authenticated = True
        _walk(dep, found)


def _url(path_format: str, dependant: Dependant) -> str:
    url = path_format
    for param in dependant.path_params:
        value = "1" if param.field_info.annotation is int else "x"
        url = url.replace("{" + param.name + "}", value)
    return url


def classify(app: Any) -> tuple[list[Endpoint], list[str], list[str]]:
    """(HTTP endpoints needing credentials, WebSocket paths, routes nobody accounted for)."""
    endpoints: list[Endpoint] = []
    sockets: list[str] = []
    stray: list[str] = []
    for context in iter_route_contexts(app.routes):
        route = context.original_route
        if isinstance(route, APIRoute):
            path = str(context.path)
            for method in sorted(context.methods or ()):
                ep = Endpoint(method, path, _url(str(context.path_format), context.dependant))
                _walk(context.dependant, ep)
                if ep.authenticated:
                    endpoints.append(ep)
                elif (method, path) not in PUBLIC_HTTP:
                    stray.append(f"{method} {path}: no authentication dependency")
                elif ep.perms:
                    stray.append(f"{method} {path}: public but requires {ep.perms}")
        elif isinstance(route, APIWebSocketRoute):
            (sockets if context.path in MANUAL_AUTH_WS else stray).append(str(context.path))
        elif isinstance(route, Mount):
            if route.name not in PUBLIC_MOUNTS:
                stray.append(f"mount {route.path!r} ({route.name})")
        elif isinstance(route, Route):
            stray += [f"{m} {route.path}" for m in route.methods or () if (m, route.path) not in PUBLIC_HTTP]
        else:
            stray.append(repr(route))
    return endpoints, sockets, stray


def call(http: httpx.Client, ep: Endpoint, headers: dict[str, str]) -> tuple[int, str]:
    """Status and (the start of) the body; streamed, so a live-video route cannot hang the test."""
    with http.stream(ep.method, ep.url, headers=headers) as r:
        body = b"" if r.headers.get("content-type", "").startswith("multipart/") else r.read()
        return r.status_code, body[:500].decode(errors="replace")


@pytest.fixture
def http(cr: ControlRoom) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=cr.url, timeout=20) as client:
        yield client


def test_every_route_is_accounted_for(cr: ControlRoom) -> None:
    endpoints, sockets, stray = classify(cr.app)
    assert not stray, f"routes without authentication that are not in PUBLIC_*: {stray}"
    assert sockets == ["/api/v1/stream"]
    paths = {(e.method, e.path) for e in endpoints}
    assert {("PATCH", "/api/v1/users/{user_id}"), ("DELETE", "/api/v1/api-keys/{key_id}")} <= paths
    assert ("POST", "/api/v1/lighting/zones/{zone}/level") in paths and len(endpoints) >= 40
    no_permission = {(e.method, e.path) for e in endpoints if not e.perms}
    assert no_permission == AUTHENTICATED_ONLY, "a route needs a permission dependency (require(Perm.X))"


def _claims(sid: str, **changes: Any) -> dict[str, Any]:
    now = int(time.time())
    base = {"iss": ISSUER, "aud": AUDIENCE, "sub": "admin", "uid": 1, "role": "admin", "iat": now, "nbf": now}
    return {**base, "exp": now + 300, "jti": "j1", "sid": sid, **changes}


def _bad_credentials(cr: ControlRoom) -> dict[str, dict[str, str]]:
    """One header set per way a credential can be wrong; each differs from a valid one in that way only."""
    key = cr.settings.resolved_jwt_secret().get_secret_value()
    sid = session_for(cr, "admin").session_id
    now = int(time.time())

    def jwt_header(claims: dict[str, Any], secret: str | None = key, alg: str = ALGORITHM) -> dict[str, str]:
        return {"Authorization": f"Bearer {jwt.encode(claims, secret, alg)}"}

    # A disabled account's token, a logged-out session's token, a revoked API key.
    add_user(cr, "dora", Role.OPERATOR)
    disabled = bearer(cr, "dora")
    ended = session_for(cr, "admin")
    revoked_key = api_key(cr, "revoked-integrator", list(Scope))
    with cr.ctx.store.session() as s:
        s.execute(update(User).where(User.username == "dora").values(disabled=True))
        revoke_session(s, ended.session_id, "logout", datetime.now(UTC))
        s.execute(update(ApiKey).where(ApiKey.name == "revoked-integrator").values(revoked_at=datetime.now(UTC)))
    good = jwt.decode(ended.access_token, key, [ALGORITHM], audience=AUDIENCE)
    assert good["sid"] == ended.session_id  # the forged ones below copy a real token's shape
    return {
        "missing": {},
        "garbage": {"Authorization": "Bearer not-a-jwt"},
        "not-bearer": {"Authorization": f"Basic {sid}"},
        "expired": jwt_header(_claims(sid, iat=now - 600, nbf=now - 600, exp=now - 300)),
        "forged": jwt_header(_claims(sid), "another-key-of-sufficient-length-0123456789"),
        "alg-none": jwt_header(_claims(sid), None, "none"),
        "wrong-audience": jwt_header(_claims(sid, aud="someone-else")),
        "wrong-issuer": jwt_header(_claims(sid, iss="someone-else")),
        "no-session-claim": jwt_header({k: v for k, v in _claims(sid).items() if k != "sid"}),
        "unknown-session": jwt_header(_claims("0" * 32)),
        "ended-session": {"Authorization": f"Bearer {ended.access_token}"},
        "disabled-account": disabled,
        "unknown-api-key": {"X-API-Key": "ce_999_" + "a" * 43},
        "malformed-api-key": {"Authorization": "Bearer ce_garbage"},
        "revoked-api-key": {"X-API-Key": revoked_key},
    }


def test_every_route_rejects_bad_credentials(cr: ControlRoom, http: httpx.Client) -> None:
    endpoints, _, _ = classify(cr.app)
    failures = []
    for kind, headers in _bad_credentials(cr).items():
        for ep in endpoints:
            status, body = call(http, ep, headers)
            if status != 401:
                failures.append((kind, ep.method, ep.path, status, body[:120]))
    assert not failures, failures


def test_every_route_refuses_roles_lacking_its_permission(cr: ControlRoom, http: httpx.Client) -> None:
    endpoints, _, _ = classify(cr.app)
    for role in Role:
        if role != Role.ADMIN:
            add_user(cr, f"u-{role.value}", role)
    username = {role: ("admin" if role == Role.ADMIN else f"u-{role.value}") for role in Role}
    reused = {role: bearer(cr, username[role]) for role in Role}
    failures = []
    refused = 0
    for ep in endpoints:
        for role in Role:
            if all(allowed(role, p) for p in ep.perms):
                # a fresh session each time: the route may be logout, a password change, ...
                status, body = call(http, ep, bearer(cr, username[role]))
                if status == 401 or status >= 500 or (status == 403 and "may not" in body):
                    failures.append(("allowed", role.value, ep.method, ep.path, status, body[:120]))
            else:
                status, body = call(http, ep, reused[role])
                refused += 1
                if status != 403:
                    failures.append(("lacking", role.value, ep.method, ep.path, status, body[:120]))
    assert not failures, failures
    assert refused >= 30  # the table is not empty: viewers alone lack every command route


def test_api_keys_read_only_their_scopes(cr: ControlRoom, http: httpx.Client) -> None:
    endpoints, _, _ = classify(cr.app)
    everything = {"X-API-Key": api_key(cr, "all-scopes", list(Scope))}
    lighting_only = {"Authorization": f"Bearer {api_key(cr, 'lighting-only', [Scope.LIGHTING_READ])}"}
    failures = []
    readable = 0
    for ep in endpoints:
        scope = scope_for_path(ep.path)
        reads = ep.method in ("GET", "HEAD") and scope is not None and ep.perms <= {Perm.READ, Perm.METRICS_READ}
        status, body = call(http, ep, everything)
        if reads:
            readable += 1
            if status in (401, 403) or status >= 500:
                failures.append(("readable", ep.method, ep.path, status, body[:120]))
        elif status != 403:
            failures.append(("not for keys", ep.method, ep.path, status, body[:120]))
        status, body = call(http, ep, lighting_only)
        expected_ok = reads and scope == Scope.LIGHTING_READ
        if expected_ok != (status not in (401, 403)) or status == 401 or status >= 500:
            failures.append(("lighting-only", ep.method, ep.path, status, body[:120]))
    assert not failures, failures
    assert readable >= 15


def _ws_url(cr: ControlRoom, path: str, query: str = "") -> str:
    return cr.url.replace("http://", "ws://") + path + query


def _ws_opens(url: str, headers: dict[str, str]) -> bool:
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    try:
        with connect(url, open_timeout=10, additional_headers=headers) as ws:
            return '"hello"' in str(ws.recv(timeout=10))
    except (InvalidStatus, ConnectionClosed):
        return False


def test_websocket_routes_check_credentials_and_scope(cr: ControlRoom) -> None:
    _, sockets, _ = classify(cr.app)
    bad = _bad_credentials(cr)
    for role in Role:
        if role != Role.ADMIN:
            add_user(cr, f"u-{role.value}", role)
    events_key = api_key(cr, "events-reader", [Scope.EVENTS_READ])
    lighting_key = api_key(cr, "lighting-reader", [Scope.LIGHTING_READ])
    for path in sockets:
        perm = MANUAL_AUTH_WS[path]
        for kind, headers in bad.items():
            assert not _ws_opens(_ws_url(cr, path), headers), (path, kind)
        for role in Role:
            token = session_for(cr, "admin" if role == Role.ADMIN else f"u-{role.value}").access_token
            assert _ws_opens(_ws_url(cr, path, f"?access_token={token}"), {}) == allowed(role, perm), (path, role)
        assert _ws_opens(_ws_url(cr, path), {"X-API-Key": events_key})
        assert _ws_opens(_ws_url(cr, path, f"?access_token={events_key}"), {})
        assert not _ws_opens(_ws_url(cr, path), {"Authorization": f"Bearer {lighting_key}"})


def test_security_headers_on_every_kind_of_response(cr: ControlRoom, http: httpx.Client) -> None:
    checks: list[tuple[str, Callable[[httpx.Response], bool]]] = [
        ("/", lambda r: r.status_code == 200 and "cache-control" not in r.headers),
        ("/api/v1/nodes", lambda r: r.status_code == 401 and r.headers["cache-control"] == "no-store"),
        ("/healthz", lambda r: r.status_code == 200),
        ("/openapi.json", lambda r: r.status_code == 200 and "/api/v1/api-keys" in r.json()["paths"]),
        ("/docs", lambda r: r.status_code == 404),
    ]
    for path, ok in checks:
        r = http.get(path)
        assert ok(r), (path, r.status_code, dict(r.headers))
        csp = r.headers["content-security-policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "no-referrer" and r.headers["x-frame-options"] == "DENY"
