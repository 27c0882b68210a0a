"""Sessions: refresh-token rotation, reuse detection, logout, and changes to an account applying at once."""

from __future__ import annotations

import hashlib
import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import select, update

from control_room.security.roles import Role
from control_room.store.models import AuthSession, RefreshToken
from tests.control_room.accounts_support import PASSWORD, add_user, audit_rows
from tests.support.stack import ControlRoom


def login(cr: ControlRoom, username: str, password: str = PASSWORD) -> dict[str, Any]:
    r = httpx.post(f"{cr.url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=20)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def refresh(cr: ControlRoom, token: str) -> httpx.Response:
    return httpx.post(f"{cr.url}/api/v1/auth/refresh", json={"refresh_token": token}, timeout=20)


def get(cr: ControlRoom, path: str, access: str) -> httpx.Response:
    return httpx.get(f"{cr.url}{path}", headers={"Authorization": f"Bearer {access}"}, timeout=20)


def test_refresh_rotates_and_a_reused_token_ends_the_session(cr: ControlRoom) -> None:
    add_user(cr, "alice", Role.OPERATOR)
    first = login(cr, "alice")
    assert first["refresh_token"].startswith("rt_") and 0 < first["expires_in"] <= 900
    assert first["refresh_expires_in"] == cr.settings.refresh_ttl_s
    second = refresh(cr, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"] and second["access_token"] != first["access_token"]
    assert get(cr, "/api/v1/nodes", second["access_token"]).status_code == 200
    assert get(cr, "/api/v1/nodes", first["access_token"]).status_code == 200  # same session, not yet expired
    with cr.ctx.store.session() as s:
        hashes = set(s.execute(select(RefreshToken.token_hash)).scalars())
    assert hashlib.sha256(second["refresh_token"].encode()).hexdigest() in hashes
    assert not any(second["refresh_token"] in h or first["refresh_token"] in h for h in hashes)

    # someone replays the first (already used) refresh token: the whole session ends, for both of them
    reused = refresh(cr, first["refresh_token"])
    assert reused.status_code == 401 and "already used" in reused.text
    assert refresh(cr, second["refresh_token"]).status_code == 401
    for access in (first["access_token"], second["access_token"]):
        assert get(cr, "/api/v1/nodes", access).status_code == 401
    results = [(r.actor, r.result) for r in audit_rows(cr, "auth.refresh")]
    assert results == [("alice", "ok"), ("alice", "reused: session revoked"), ("alice", "denied")]
    assert login(cr, "alice")["access_token"]  # a new login is fine


def test_logout_ends_only_this_session(cr: ControlRoom) -> None:
    add_user(cr, "alice", Role.VIEWER)
    desk, laptop = login(cr, "alice"), login(cr, "alice")
    r = httpx.post(
        f"{cr.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {desk['access_token']}"}, timeout=20
    )
    assert r.status_code == 200 and r.json() == {"logged_out": True}
    assert get(cr, "/api/v1/nodes", desk["access_token"]).status_code == 401
    assert refresh(cr, desk["refresh_token"]).status_code == 401
    assert get(cr, "/api/v1/nodes", laptop["access_token"]).status_code == 200
    assert refresh(cr, laptop["refresh_token"]).status_code == 200
    assert [(r.actor, r.result) for r in audit_rows(cr, "auth.logout")] == [("alice", "ok")]


def test_refresh_refused_for_unknown_expired_or_disabled(cr: ControlRoom) -> None:
    uid = add_user(cr, "alice", Role.OPERATOR)
    assert refresh(cr, "rt_not-a-token").status_code == 401
    assert refresh(cr, "").status_code == 422
    tokens = login(cr, "alice")
    with cr.ctx.store.session() as s:
        s.execute(update(AuthSession).values(expires_at=datetime.now(UTC) - timedelta(seconds=1)))
    assert refresh(cr, tokens["refresh_token"]).status_code == 401
    assert get(cr, "/api/v1/nodes", tokens["access_token"]).status_code == 401  # the session is over

    tokens = login(cr, "alice")
    with cr.client() as admin:
        assert admin.patch(f"/api/v1/users/{uid}", json={"disabled": True}).status_code == 200
    assert refresh(cr, tokens["refresh_token"]).status_code == 401
    assert get(cr, "/api/v1/nodes", tokens["access_token"]).status_code == 401
    with cr.ctx.store.session() as s:
        reasons = set(s.execute(select(AuthSession.revoked_reason).where(AuthSession.user_id == uid)).scalars())
    assert "disabled" in reasons


def test_a_role_change_applies_to_the_next_request(cr: ControlRoom) -> None:
    uid = add_user(cr, "alice", Role.OPERATOR)
    tokens = login(cr, "alice")
    headers = {"Authorization": f"Bearer {tokens['access_token']}"}
    level = f"{cr.url}/api/v1/lighting/zones/nowhere/level"
    assert httpx.post(level, json={"level": 10}, headers=headers, timeout=20).status_code != 403
    with cr.client() as admin:
        assert admin.patch(f"/api/v1/users/{uid}", json={"role": "viewer"}).status_code == 200
    denied = httpx.post(level, json={"level": 10}, headers=headers, timeout=20)
    assert denied.status_code == 403 and "viewer" in denied.text  # same token: its role claim is not trusted
    assert refresh(cr, tokens["refresh_token"]).json()["role"] == "viewer"


def test_two_refreshes_racing_with_one_token_count_as_reuse(cr: ControlRoom) -> None:
    add_user(cr, "alice", Role.OPERATOR)
    tokens = login(cr, "alice")
    start = threading.Barrier(2)
    answers: list[int] = []

    def race() -> None:
        start.wait(10)
        answers.append(refresh(cr, tokens["refresh_token"]).status_code)

    threads = [threading.Thread(target=race, name=f"test-refresh-{i}") for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(answers) == [200, 401]  # exactly one rotation; the other is a reuse and ends the session
    assert get(cr, "/api/v1/nodes", tokens["access_token"]).status_code == 401
