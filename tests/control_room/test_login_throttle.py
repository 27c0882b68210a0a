"""Login throttling: per account and per address, lock-outs that grow, state shared through the store."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from control_room import login_throttle
from control_room.login_throttle import ThrottlePolicy, account_key
from control_room.security.roles import Role
from control_room.store.db import Store
from control_room.store.models import LoginThrottle
from edge.stack.mosquitto import Mosquitto
from tests.control_room.accounts_support import PASSWORD, add_user, audit_rows
from tests.support.stack import ADMIN_PASSWORD, ControlRoom

POLICY = ThrottlePolicy(window_s=900, account_limit=3, address_limit=10, lockout_s=60, lockout_max_s=200)
T0 = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


@pytest.fixture
def store(database_url: str) -> Iterator[Store]:
    st = Store(database_url)
    st.migrate()
    try:
        yield st
    finally:
        st.close()


def attempt(store: Store, user: str, ip: str, at: datetime, ok: bool = False) -> int | None:
    """One login attempt as the token route makes it: admit, then success or failure."""
    with store.session() as s:
        wait = login_throttle.admit(s, POLICY, user, ip, at)
    if wait is None:
        with store.session() as s:
            if ok:
                login_throttle.succeeded(s, user, ip, at)
            else:
                login_throttle.failed(s, POLICY, user, ip, at)
    return wait


def test_account_locks_after_the_limit_and_each_lockout_is_longer(store: Store) -> None:
    assert [attempt(store, "alice", "10.0.0.1", T0 + timedelta(seconds=i)) for i in range(3)] == [None] * 3
    assert attempt(store, "alice", "10.0.0.2", T0 + timedelta(seconds=3), ok=True) == 59  # other address too
    assert attempt(store, "ALICE", "10.0.0.3", T0 + timedelta(seconds=62)) is None  # lock over (and names fold)
    t1 = T0 + timedelta(seconds=100)
    for i in range(2):
        assert attempt(store, "alice", "10.0.0.1", t1 + timedelta(seconds=i)) is None
    assert attempt(store, "alice", "10.0.0.1", t1 + timedelta(seconds=5)) == 116  # second lock-out: 120 s
    t2 = t1 + timedelta(seconds=200)
    for i in range(3):
        attempt(store, "alice", "10.0.0.1", t2 + timedelta(seconds=i))
    assert attempt(store, "alice", "10.0.0.1", t2 + timedelta(seconds=3)) == 199  # 240 s, capped at 200
    assert attempt(store, "bob", "10.0.0.9", t2 + timedelta(seconds=3)) is None  # other accounts are not locked


def test_success_forgets_failures_and_old_failures_expire(store: Store) -> None:
    for i in range(2):
        attempt(store, "alice", "10.0.0.1", T0 + timedelta(seconds=i))
    attempt(store, "alice", "10.0.0.1", T0 + timedelta(seconds=2), ok=True)
    for i in range(2):
        attempt(store, "alice", "10.0.0.1", T0 + timedelta(seconds=3 + i))
    assert attempt(store, "alice", "10.0.0.1", T0 + timedelta(seconds=10)) is None  # 2 + 1 after the success
    assert attempt(store, "alice", "10.0.0.1", T0 + timedelta(seconds=11)) is not None
    for i in range(2):
        attempt(store, "carol", "10.0.0.1", T0 + timedelta(seconds=i))
    later = T0 + timedelta(seconds=POLICY.window_s + 5)  # the window has passed: the count starts again
    assert [attempt(store, "carol", "10.0.0.1", later + timedelta(seconds=i)) for i in range(3)] == [None] * 3


def test_address_is_limited_across_usernames(store: Store) -> None:
    for i in range(POLICY.address_limit):
        assert attempt(store, f"user{i}", "10.9.9.9", T0 + timedelta(seconds=i)) is None
    assert attempt(store, "admin", "10.9.9.9", T0 + timedelta(seconds=20), ok=True) is not None
    assert attempt(store, "admin", "10.9.9.8", T0 + timedelta(seconds=20), ok=True) is None


def test_parallel_attempts_cannot_overtake_the_count(store: Store) -> None:
    results: list[int | None] = []
    lock = threading.Lock()

    def guess() -> None:
        with store.session() as s:
            wait = login_throttle.admit(s, POLICY, "alice", "10.0.0.1", T0)
        with lock:
            results.append(wait)

    threads = [threading.Thread(target=guess, name=f"test-guess-{i}") for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert results.count(None) == POLICY.account_limit  # at most the limit reach the password check


def test_two_replicas_share_the_count(database_url: str) -> None:
    a, b = Store(database_url), Store(database_url)
    a.migrate()
    try:
        for i in range(3):
            attempt(a, "alice", "10.0.0.1", T0 + timedelta(seconds=i))
        assert attempt(b, "alice", "10.0.0.1", T0 + timedelta(seconds=5)) == 57
    finally:
        a.close()
        b.close()


@pytest.fixture
def strict_cr(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[ControlRoom]:
    room = ControlRoom(
        tmp_path / "cr",
        mosquitto.url,
        login_max_failures_account=3,
        login_max_failures_address=6,
        login_lockout_s=120,
    ).start()
    try:
        yield room
    finally:
        room.stop()


def login(cr: ControlRoom, username: str, password: str) -> httpx.Response:
    return httpx.post(f"{cr.url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=20)


def test_brute_force_is_throttled_and_the_right_password_waits_too(
    strict_cr: ControlRoom, monkeypatch: pytest.MonkeyPatch
) -> None:
    from control_room.security import login as auth

    add_user(strict_cr, "alice", Role.OPERATOR)
    checked: list[str] = []
    real_verify = auth.verify_password

    def counting_verify(password_hash: str | None, password: str) -> bool:
        checked.append(password)
        return real_verify(password_hash, password)

    monkeypatch.setattr(auth, "verify_password", counting_verify)
    assert [login(strict_cr, "alice", f"wrong-guess-{i}").status_code for i in range(3)] == [401] * 3
    locked = login(strict_cr, "alice", PASSWORD)
    assert locked.status_code == 429, locked.text
    assert 110 <= int(locked.headers["Retry-After"]) <= 120
    assert len(checked) == 3  # the throttled attempt never reached the password check
    rows = audit_rows(strict_cr, "auth.login")
    assert [(r.actor, r.result) for r in rows] == [("alice", "denied")] * 3 + [("alice", "throttled")]
    assert rows[-1].source_ip == "127.0.0.1" and PASSWORD not in str(rows[-1].params)
    # the lock-out ends (moved into the past here, instead of waiting two minutes)
    with strict_cr.ctx.store.session() as s:
        past = datetime.now(UTC) - timedelta(seconds=1)
        s.execute(update(LoginThrottle).where(LoginThrottle.key == account_key("alice")).values(locked_until=past))
    assert login(strict_cr, "alice", PASSWORD).status_code == 200


def test_admin_can_lift_a_lockout(strict_cr: ControlRoom) -> None:
    uid = add_user(strict_cr, "alice", Role.OPERATOR)
    for i in range(3):
        login(strict_cr, "alice", f"wrong-guess-{i}")
    assert login(strict_cr, "alice", PASSWORD).status_code == 429
    with strict_cr.client() as admin:
        assert admin.patch(f"/api/v1/users/{uid}", json={"unlock": True}).status_code == 200
    assert login(strict_cr, "alice", PASSWORD).status_code == 200
    update_row = audit_rows(strict_cr, "user.update")[-1]
    assert update_row.params["changed"] == ["unlock"]


def test_one_address_guessing_many_accounts_is_throttled(strict_cr: ControlRoom) -> None:
    answers = [login(strict_cr, f"guess{i}", "wrong-guess-000").status_code for i in range(6)]
    assert answers == [401] * 6
    r = login(strict_cr, "admin", ADMIN_PASSWORD)
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    rows: list[Any] = audit_rows(strict_cr, "auth.login")
    assert rows[-1].actor == "admin" and rows[-1].result == "throttled"
