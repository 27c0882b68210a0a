"""Account management: an admin changes roles, disables and resets; the last admin stays; people change their own
password."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from control_room.security.roles import Role
from control_room.store.models import User
from tests.control_room.accounts_support import PASSWORD, add_user, audit_rows, bearer
from tests.support.stack import ADMIN_PASSWORD, ControlRoom


def login_status(cr: ControlRoom, username: str, password: str) -> int:
    r = httpx.post(f"{cr.url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=20)
    return r.status_code


def test_admin_changes_an_account_audited_without_secrets(cr: ControlRoom) -> None:
    uid = add_user(cr, "alice", Role.VIEWER)
    with cr.client() as admin:
        r = admin.patch(f"/api/v1/users/{uid}", json={"role": "operator", "full_name": "Alice Smith"})
        assert r.status_code == 200 and r.json()["role"] == "operator" and r.json()["full_name"] == "Alice Smith"
        assert admin.get(f"/api/v1/users/{uid}").json()["role"] == "operator"
        assert admin.patch("/api/v1/users/9999", json={"role": "viewer"}).status_code == 404
        assert admin.get("/api/v1/users/9999").status_code == 404
        assert admin.patch(f"/api/v1/users/{uid}", json={"role": "god"}).status_code == 422
        assert admin.patch(f"/api/v1/users/{uid}", json={"colour": "red"}).status_code == 422
        weak = admin.patch(f"/api/v1/users/{uid}", json={"password": "short"})
        assert weak.status_code == 422 and "at least 12" in weak.text
        reset = admin.patch(f"/api/v1/users/{uid}", json={"password": "a-brand-new-secret-77"})
        assert reset.status_code == 200 and "password" not in reset.text
    assert login_status(cr, "alice", PASSWORD) == 401
    assert login_status(cr, "alice", "a-brand-new-secret-77") == 200
    rows = audit_rows(cr, "user.update")
    first = rows[0].params
    assert first["before"] == {"role": "viewer", "full_name": ""}
    assert first["after"] == {"role": "operator", "full_name": "Alice Smith"}
    assert rows[0].actor == "admin" and rows[0].target == f"user:{uid}"
    assert rows[-1].params["changed"] == ["password", "unlock"]
    assert all("a-brand-new-secret" not in str(r.params) and "argon2" not in str(r.params) for r in rows)


def test_the_last_enabled_admin_cannot_be_disabled_or_demoted(cr: ControlRoom) -> None:
    with cr.client() as admin:
        me = admin.get("/api/v1/users/me").json()
        for change in ({"disabled": True}, {"role": "engineer"}):
            r = admin.patch(f"/api/v1/users/{me['id']}", json=change)
            assert r.status_code == 409 and "last enabled admin" in r.text
        other = add_user(cr, "root2", Role.ADMIN)
        assert admin.patch(f"/api/v1/users/{other}", json={"disabled": True}).status_code == 200
        assert admin.patch(f"/api/v1/users/{me['id']}", json={"role": "viewer"}).status_code == 409
        assert admin.patch(f"/api/v1/users/{other}", json={"disabled": False}).status_code == 200
        assert admin.patch(f"/api/v1/users/{me['id']}", json={"role": "supervisor"}).status_code == 200
        # the demotion applies to this very token: no more account management
        assert admin.get("/api/v1/users").status_code == 403
    with cr.ctx.store.session() as s:
        admins = s.execute(select(User.username).where(User.role == "admin", User.disabled.is_(False))).scalars()
        assert list(admins) == ["root2"]


def test_disabling_ends_sessions_and_logins(cr: ControlRoom) -> None:
    uid = add_user(cr, "alice", Role.OPERATOR)
    headers = bearer(cr, "alice")
    with cr.client() as admin:
        r = admin.patch(f"/api/v1/users/{uid}", json={"disabled": True})
        assert r.status_code == 200 and r.json()["disabled"] is True
    assert httpx.get(f"{cr.url}/api/v1/nodes", headers=headers, timeout=20).status_code == 401
    assert login_status(cr, "alice", PASSWORD) == 401
    assert audit_rows(cr, "user.update")[-1].params["sessions_ended"] == 1


def test_everyone_sees_themself_and_changes_their_own_password(cr: ControlRoom) -> None:
    uid = add_user(cr, "vic", Role.VIEWER)
    other_session = bearer(cr, "vic")
    with cr.client("vic", PASSWORD) as vic:
        me = vic.get("/api/v1/users/me")
        assert me.status_code == 200 and me.json()["id"] == uid and me.json()["role"] == "viewer"
        assert "password" not in me.text
        assert vic.get(f"/api/v1/users/{uid}").status_code == 403  # only admins read accounts by id
        wrong = vic.post("/api/v1/users/me/password", json={"current_password": "nope", "new_password": "x" * 3})
        assert wrong.status_code == 422  # the new one is checked first: too short
        wrong = vic.post(
            "/api/v1/users/me/password", json={"current_password": "not-my-password", "new_password": "river-otter-99"}
        )
        assert wrong.status_code == 403 and "current password" in wrong.text
        ok = vic.post(
            "/api/v1/users/me/password", json={"current_password": PASSWORD, "new_password": "river-otter-99"}
        )
        assert ok.status_code == 200 and ok.json() == {"sessions_ended": 1}
        assert vic.get("/api/v1/users/me").status_code == 200  # this session stays
    assert httpx.get(f"{cr.url}/api/v1/nodes", headers=other_session, timeout=20).status_code == 401
    assert login_status(cr, "vic", PASSWORD) == 401
    assert login_status(cr, "vic", "river-otter-99") == 200
    assert login_status(cr, "admin", ADMIN_PASSWORD) == 200
    results = [r.result for r in audit_rows(cr, "user.password")]
    assert results == ["denied: current password wrong", "ok"]
