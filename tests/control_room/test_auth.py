"""Accounts and tokens: every API route needs a valid token; roles limit what each account may do."""

from __future__ import annotations

import re
import time

import httpx
import jwt
import pytest
from sqlalchemy import select

from control_room.security.tokens import ALGORITHM, AUDIENCE, ISSUER
from control_room.store.models import AuditRow, User
from tests.support.stack import ADMIN_PASSWORD, ControlRoom, login

PUBLIC = {
    ("GET", "/healthz"),
    ("POST", "/api/v1/auth/token"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/session"),
}


def api_routes(cr: ControlRoom) -> list[tuple[str, str]]:
    """Every (method, path) in the app's OpenAPI schema, path parameters filled in: a new route cannot be forgotten."""
    out = []
    for path, ops in cr.app.openapi()["paths"].items():
        concrete = re.sub(r"\{[^}]+\}", "x", path)
        out += [(m.upper(), concrete) for m in ops if (m.upper(), path) not in PUBLIC]
    return out


def test_route_list_is_not_empty(cr: ControlRoom) -> None:
    routes = api_routes(cr)
    assert ("POST", "/api/v1/lighting/zones/x/level") in routes and ("GET", "/metrics") in routes
    assert len(routes) >= 12


@pytest.mark.parametrize("token", [None, "garbage", "forged", "expired", "wrong-audience", "alg-none"])
def test_every_route_rejects_bad_tokens(cr: ControlRoom, token: str | None) -> None:
    key = cr.settings.resolved_jwt_secret().get_secret_value()
    now = int(time.time())
    claims = {"iss": ISSUER, "aud": AUDIENCE, "sub": "admin", "uid": 1, "role": "admin", "iat": now, "jti": "j"}
    bearer = {
        None: None,
        "garbage": "not-a-jwt",
        "forged": jwt.encode({**claims, "exp": now + 60}, "another-key-of-sufficient-length-000000", ALGORITHM),
        "expired": jwt.encode({**claims, "iat": now - 120, "exp": now - 60}, key, ALGORITHM),
        "wrong-audience": jwt.encode({**claims, "aud": "someone-else", "exp": now + 60}, key, ALGORITHM),
        "alg-none": jwt.encode({**claims, "exp": now + 60}, None, "none"),
    }[token]
    headers = {"Authorization": f"Bearer {bearer}"} if bearer else {}
    with httpx.Client(base_url=cr.url, timeout=10) as http:
        for method, path in api_routes(cr):
            r = http.request(method, path, headers=headers)
            assert r.status_code == 401, (method, path, r.status_code, r.text)


def test_health_is_public_and_says_nothing_secret(cr: ControlRoom) -> None:
    r = httpx.get(f"{cr.url}/healthz")
    assert r.status_code == 200 and set(r.json()) == {"status", "store", "mqtt"}


def test_login_audited_and_failures_do_not_say_why(cr: ControlRoom) -> None:
    r = httpx.post(f"{cr.url}/api/v1/auth/token", data={"username": "admin", "password": "wrong-password-123"})
    assert r.status_code == 401 and r.json()["detail"] == "wrong username or password"
    r2 = httpx.post(f"{cr.url}/api/v1/auth/token", data={"username": "nobody", "password": "wrong-password-123"})
    assert r2.json() == r.json()
    login(cr.url, "admin", ADMIN_PASSWORD)
    with cr.ctx.store.session() as s:
        rows = s.execute(select(AuditRow).where(AuditRow.action == "auth.login").order_by(AuditRow.id)).scalars().all()
    assert [(r.actor, r.result) for r in rows] == [("admin", "denied"), ("nobody", "denied"), ("admin", "ok")]
    assert all(r.source_ip == "127.0.0.1" for r in rows)
    assert all("wrong-password" not in str(r.params) for r in rows)


def test_admin_creates_personal_accounts_with_roles(cr: ControlRoom) -> None:
    with cr.client() as admin:
        weak = admin.post("/api/v1/users", json={"username": "alice", "password": "short", "role": "operator"})
        assert weak.status_code == 422 and "at least 12" in weak.text
        r = admin.post(
            "/api/v1/users",
            json={"username": "alice", "password": "tangerine-lamp-42", "role": "viewer", "full_name": "Alice Smith"},
        )
        assert r.status_code == 201, r.text
        assert "password" not in r.text and "hash" not in r.text
        assert (
            admin.post(
                "/api/v1/users", json={"username": "alice", "password": "tangerine-lamp-43", "role": "viewer"}
            ).status_code
            == 409
        )
        bad_role = admin.post("/api/v1/users", json={"username": "bob", "password": "tangerine-lamp-44", "role": "god"})
        assert bad_role.status_code == 422
    with cr.ctx.store.session() as s:
        stored = s.execute(select(User).where(User.username == "alice")).scalar_one()
        assert stored.password_hash.startswith("$argon2id$") and stored.created_by == "admin"
    with cr.client("alice", "tangerine-lamp-42") as viewer:
        assert viewer.get("/api/v1/nodes").status_code == 200
        denied = viewer.post("/api/v1/lighting/zones/cheapside/level", json={"level": 10})
        assert denied.status_code == 403 and "viewer" in denied.text
        assert viewer.get("/api/v1/users").status_code == 403
        assert viewer.get("/metrics").status_code == 403


def test_first_account_is_created_once(cr: ControlRoom) -> None:
    from control_room.accounts import ensure_admin

    assert ensure_admin(cr.ctx.store, None) is None  # admin exists: nothing generated, nothing printed
    with cr.ctx.store.session() as s:
        assert s.execute(select(User.username)).scalars().all() == ["admin"]


def test_stream_needs_a_valid_token(cr: ControlRoom) -> None:
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    for query in ("", "?access_token=garbage"):
        url = cr.url.replace("http", "ws") + "/api/v1/stream" + query
        with pytest.raises((InvalidStatus, ConnectionError, OSError)) as info, connect(url, open_timeout=10) as ws:
            ws.recv(timeout=10)
        assert "1008" in str(info.value) or "403" in str(info.value)
