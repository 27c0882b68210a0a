"""The console's session: HttpOnly cookie, CSRF on state-changing requests, logout, expiry, disabled accounts,
the WebSocket stream (Origin checked) and live video with the cookie."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from control_room.security.console_sessions import CSRF_HEADER, SESSION_COOKIE
from control_room.store.models import AuditRow, ConsoleSession, User
from edge.stack.mosquitto import Mosquitto
from tests.support.stack import ADMIN_PASSWORD, ControlRoom

OPERATOR = ("olivia", "copper-kettle-lamp-7")


@pytest.fixture
def room(mosquitto: Mosquitto, tmp_path: Path, database_url: str) -> Iterator[ControlRoom]:
    """A control room whose WebSocket streams re-check their session every 0.2 s, with an operator account."""
    cr = ControlRoom(tmp_path / "cr", mosquitto.url, database_url, session_recheck_s=0.2).start()
    try:
        with cr.client() as admin:
            body = {"username": OPERATOR[0], "password": OPERATOR[1], "role": "operator"}
            assert admin.post("/api/v1/users", json=body).status_code == 201
        yield cr
    finally:
        cr.stop()


def sign_in(cr: ControlRoom, username: str = "admin", password: str = ADMIN_PASSWORD) -> tuple[httpx.Client, str]:
    """A client holding a session cookie (and no bearer token), and the session's CSRF token."""
    http = httpx.Client(base_url=cr.url, timeout=20)
    r = http.post("/api/v1/auth/session", json={"username": username, "password": password})
    assert r.status_code == 200, r.text
    return http, r.json()["csrf_token"]


def set_cookie(r: httpx.Response) -> Any:
    """The session cookie a response sets, with its attributes."""
    jar: SimpleCookie = SimpleCookie()
    jar.load(r.headers["set-cookie"])
    return jar[SESSION_COOKIE]


def session_row(cr: ControlRoom, raw_id: str) -> ConsoleSession | None:
    with cr.ctx.store.session() as s:
        digest = hashlib.sha256(raw_id.encode()).hexdigest()
        return s.execute(select(ConsoleSession).where(ConsoleSession.token_hash == digest)).scalar_one_or_none()


def change_session(cr: ControlRoom, raw_id: str, **values: Any) -> None:
    with cr.ctx.store.session() as s:
        digest = hashlib.sha256(raw_id.encode()).hexdigest()
        row = s.execute(select(ConsoleSession).where(ConsoleSession.token_hash == digest)).scalar_one()
        for k, v in values.items():
            setattr(row, k, v)


def audit(cr: ControlRoom, action: str) -> list[AuditRow]:
    with cr.ctx.store.session() as s:
        return list(s.execute(select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id)).scalars())


def test_sign_in_sets_an_httponly_strict_cookie_stored_only_hashed(room: ControlRoom) -> None:
    with httpx.Client(base_url=room.url, timeout=20) as http:
        r = http.post("/api/v1/auth/session", json={"username": "admin", "password": ADMIN_PASSWORD})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["username"] == "admin" and body["role"] == "admin" and len(body["csrf_token"]) == 64
        assert body["idle_timeout_s"] == 1800
        expires = datetime.fromisoformat(body["expires_at"])
        assert timedelta(hours=11, minutes=59) < expires - datetime.now(UTC) <= timedelta(hours=12)
        cookie = set_cookie(r)
        assert cookie["httponly"] and cookie["samesite"] == "strict" and cookie["path"] == "/"
        assert not cookie["secure"]  # plain http here; https (or CITYEDGE_SESSION_COOKIE_SECURE) marks it Secure
        raw = cookie.value
        assert len(raw) >= 40 and raw not in r.text  # the id is only in the cookie
        row = session_row(room, raw)
        assert row is not None and row.token_hash != raw and row.revoked_at is None
        with room.ctx.store.session() as s:
            assert raw not in str(s.execute(select(ConsoleSession.__table__)).all())
        # the cookie authenticates reads, and a reload gets the same CSRF token back
        assert http.get("/api/v1/nodes").status_code == 200
        again = http.get("/api/v1/auth/session")
        assert again.status_code == 200 and again.json()["csrf_token"] == body["csrf_token"]
    rows = audit(room, "auth.login")
    assert (rows[-1].actor, rows[-1].result, rows[-1].params) == ("admin", "ok", {"via": "session"})


def test_sign_in_by_form_and_refusals(room: ControlRoom) -> None:
    with httpx.Client(base_url=room.url, timeout=20) as http:
        form = http.post("/api/v1/auth/session", data={"username": OPERATOR[0], "password": OPERATOR[1]})
        assert form.status_code == 200 and form.json()["role"] == "operator"
        wrong = http.post("/api/v1/auth/session", json={"username": "admin", "password": "not-the-password"})
        nobody = http.post("/api/v1/auth/session", json={"username": "nobody", "password": "not-the-password"})
        assert wrong.status_code == nobody.status_code == 401
        assert wrong.json() == nobody.json() == {"detail": "wrong username or password"}
        assert "set-cookie" not in wrong.headers
        assert (
            http.post("/api/v1/auth/session", content=b"admin", headers={"content-type": "text/plain"}).status_code
            == 415
        )
        missing = http.post("/api/v1/auth/session", json={"username": "admin"})
        assert missing.status_code == 422 and "password" in missing.json()["detail"]
        assert (
            http.post("/api/v1/auth/session", content=b"{", headers={"content-type": "application/json"}).status_code
            == 422
        )
        assert http.post("/api/v1/auth/session", json=["admin"]).status_code == 422
    denied = [(r.actor, r.result, r.params) for r in audit(room, "auth.login") if r.result == "denied"]
    assert denied == [("admin", "denied", {"via": "session"}), ("nobody", "denied", {"via": "session"})]


def test_state_changing_requests_need_the_sessions_csrf_token(room: ControlRoom) -> None:
    http, csrf = sign_in(room)
    other, other_csrf = sign_in(room, *OPERATOR)
    new_user = {"username": "carol", "password": "marble-staircase-99", "role": "viewer"}
    with closing(http), closing(other):
        for headers in ({}, {CSRF_HEADER: "0" * 64}, {CSRF_HEADER: other_csrf}):
            r = http.post("/api/v1/users", json=new_user, headers=headers)
            assert r.status_code == 403 and r.json()["detail"] == "CSRF token missing or wrong", headers
            d = http.delete("/api/v1/lighting/zones/cheapside/override", headers=headers)
            assert d.status_code == 403 and d.json()["detail"] == "CSRF token missing or wrong"
            put = http.put("/api/v1/lighting/schedules", json={}, headers=headers)
            assert put.status_code == 403
        with room.ctx.store.session() as s:
            assert s.execute(select(User).where(User.username == "carol")).first() is None
        ok = http.post("/api/v1/users", json=new_user, headers={CSRF_HEADER: csrf})
        assert ok.status_code == 201, ok.text
        # past the CSRF check, the role check still applies
        assert other.post("/api/v1/users", json=new_user, headers={CSRF_HEADER: other_csrf}).status_code == 403
        assert http.delete("/api/v1/lighting/zones/nowhere/override", headers={CSRF_HEADER: csrf}).status_code == 404
        # safe methods need no token
        assert http.get("/api/v1/users").status_code == 200
    # each refusal is audited under the session's account
    refused = [r for r in audit(room, "http.post") if r.params.get("path") == "/api/v1/users"]
    assert [(r.actor, r.result, r.params["status"]) for r in refused] == [("admin", "denied", 403)] * 3 + [
        ("olivia", "denied", 403)  # the operator's role refusal, past a good CSRF token
    ]


def test_a_bearer_token_needs_no_csrf_and_takes_precedence_over_the_cookie(room: ControlRoom) -> None:
    http, _csrf = sign_in(room)
    with closing(http), room.client() as bearer:
        body = {"username": "dave", "password": "walnut-harbour-lamp-3", "role": "viewer"}
        assert bearer.post("/api/v1/users", json=body).status_code == 201
        # a bad bearer header is refused even when a good cookie rides along
        r = http.get("/api/v1/nodes", headers={"Authorization": "Bearer garbage"})
        assert r.status_code == 401


def test_logout_revokes_the_session_on_the_server(room: ControlRoom) -> None:
    http, csrf = sign_in(room)
    raw = http.cookies[SESSION_COOKIE]
    with closing(http):
        assert http.delete("/api/v1/auth/session").status_code == 403  # CSRF applies to logout too
        r = http.delete("/api/v1/auth/session", headers={CSRF_HEADER: csrf})
        assert r.status_code == 204
        cleared = set_cookie(r)
        assert cleared.value == "" and cleared["max-age"] == "0"
        row = session_row(room, raw)
        assert row is not None and row.revoked_at is not None
    # a copy of the old cookie (kept by an attacker) is worthless now
    with httpx.Client(base_url=room.url, timeout=20, cookies={SESSION_COOKIE: raw}) as stolen:
        r = stolen.get("/api/v1/nodes")
        assert r.status_code == 401 and "sign in again" in r.json()["detail"]
        who = stolen.get("/api/v1/auth/session")
        assert who.status_code == 401 and set_cookie(who).value == ""
        assert stolen.post("/api/v1/users", json={}, headers={CSRF_HEADER: csrf}).status_code == 401
    assert [r.actor for r in audit(room, "auth.logout")] == ["admin"]


def test_a_new_sign_in_replaces_the_browsers_old_session(room: ControlRoom) -> None:
    http, _csrf = sign_in(room)
    with closing(http):
        first = http.cookies[SESSION_COOKIE]
        r = http.post("/api/v1/auth/session", json={"username": OPERATOR[0], "password": OPERATOR[1]})
        assert r.status_code == 200
        assert http.cookies[SESSION_COOKIE] != first
        row = session_row(room, first)
        assert row is not None and row.revoked_at is not None
        assert http.get("/api/v1/auth/session").json()["username"] == OPERATOR[0]


def test_sessions_expire_at_the_end_of_the_shift_and_when_idle(room: ControlRoom) -> None:
    shift, _ = sign_in(room)
    idle, _ = sign_in(room)
    with closing(shift), closing(idle):
        change_session(room, shift.cookies[SESSION_COOKIE], expires_at=datetime.now(UTC) - timedelta(seconds=1))
        r = shift.get("/api/v1/nodes")
        assert r.status_code == 401 and "expired" in r.json()["detail"]
        # activity keeps a session alive: a request after 5 idle minutes moves last_seen_at on
        raw = idle.cookies[SESSION_COOKIE]
        five_ago = datetime.now(UTC) - timedelta(minutes=5)
        change_session(room, raw, last_seen_at=five_ago)
        assert idle.get("/api/v1/nodes").status_code == 200
        row = session_row(room, raw)
        assert row is not None and row.last_seen_at > five_ago + timedelta(minutes=4)
        change_session(room, raw, last_seen_at=datetime.now(UTC) - timedelta(minutes=31))
        r = idle.get("/api/v1/nodes")
        assert r.status_code == 401 and "idle" in r.json()["detail"]


def test_disabling_an_account_ends_its_sessions_and_role_changes_apply_at_once(room: ControlRoom) -> None:
    http, csrf = sign_in(room, *OPERATOR)
    with closing(http):
        assert http.get("/api/v1/users").status_code == 403
        with room.ctx.store.session() as s:
            s.execute(select(User).where(User.username == OPERATOR[0])).scalar_one().role = "admin"
        assert http.get("/api/v1/users").status_code == 200
        assert http.get("/api/v1/auth/session").json()["role"] == "admin"
        with room.ctx.store.session() as s:
            s.execute(select(User).where(User.username == OPERATOR[0])).scalar_one().disabled = True
        r = http.get("/api/v1/nodes")
        assert r.status_code == 401 and "disabled" in r.json()["detail"]
        assert http.post("/api/v1/users", json={}, headers={CSRF_HEADER: csrf}).status_code == 401
    with httpx.Client(base_url=room.url, timeout=20) as anon:
        r = anon.post("/api/v1/auth/session", json={"username": OPERATOR[0], "password": OPERATOR[1]})
        assert r.status_code == 401


def ws_url(cr: ControlRoom) -> str:
    return cr.url.replace("http://", "ws://") + "/api/v1/stream"


def test_stream_accepts_the_cookie_from_its_own_origin_only(room: ControlRoom) -> None:
    http, csrf = sign_in(room)
    cookie = f"{SESSION_COOKIE}={http.cookies[SESSION_COOKIE]}"
    with closing(http):
        with connect(ws_url(room), origin=room.url, additional_headers={"Cookie": cookie}, open_timeout=10) as ws:
            assert '"hello"' in str(ws.recv(timeout=10))
        for origin in ("http://evil.example", "null", None):
            kwargs: dict[str, Any] = {"origin": origin} if origin else {}
            with (
                pytest.raises(InvalidStatus) as info,
                connect(ws_url(room), additional_headers={"Cookie": cookie}, open_timeout=10, **kwargs) as ws,
            ):
                ws.recv(timeout=10)
            assert info.value.response.status_code == 403, origin
        # signing out closes an open stream at its next session check
        with connect(ws_url(room), origin=room.url, additional_headers={"Cookie": cookie}, open_timeout=10) as ws:
            ws.recv(timeout=10)
            assert http.delete("/api/v1/auth/session", headers={CSRF_HEADER: csrf}).status_code == 204
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=10)
            assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
            assert closed.value.rcvd.reason == "session ended"
        with (
            pytest.raises(InvalidStatus),
            connect(ws_url(room), origin=room.url, additional_headers={"Cookie": cookie}, open_timeout=10) as ws,
        ):
            ws.recv(timeout=10)


def test_live_video_and_snapshots_work_with_the_cookie(room: ControlRoom) -> None:
    http, _csrf = sign_in(room)
    with closing(http), httpx.Client(base_url=room.url, timeout=20) as anon:
        for path in ("/api/v1/cameras/gate-1/live.mjpeg", "/api/v1/cameras/gate-1/snapshot.jpg"):
            assert anon.get(path).status_code == 401
            r = http.get(path)  # authenticated by the cookie: the camera is simply unknown
            assert r.status_code == 404 and "gate-1" in r.text


def test_stale_sessions_are_purged_at_sign_in(room: ControlRoom) -> None:
    http, _ = sign_in(room)
    with closing(http):
        change_session(room, http.cookies[SESSION_COOKIE], expires_at=datetime.now(UTC) - timedelta(days=8))
    later, _ = sign_in(room)
    with closing(later), room.ctx.store.session() as s:
        assert len(s.execute(select(ConsoleSession)).scalars().all()) == 1
