"""Checking a username and password: the one place every login (bearer token or console session) goes through."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from control_room import login_throttle
from control_room.audit import Actor, record
from control_room.login_throttle import ThrottlePolicy
from control_room.security.passwords import verify_password
from control_room.store.db import Store
from control_room.store.models import User


class LoginFailed(Exception):
    """Wrong username or password, or a disabled account (deliberately not saying which)."""


class LoginThrottled(LoginFailed):
    """Too many failed logins for this account or address: answer 429 with ``Retry-After``."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins: try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


def check_credentials(
    store: Store, policy: ThrottlePolicy, username: str, password: str, ip: str | None, via: str = "token"
) -> int:
    """The id of the enabled account matching ``username``/``password``; audited as ``auth.login`` either way.

    Throttled per account and per address first (:class:`LoginThrottled`, without checking the password); the
    attempt is counted before the check, so parallel guesses cannot slip past the limit. The argon2 check runs
    outside any transaction (it takes a while). Raises :class:`LoginFailed` on a wrong password or disabled account.
    ``via`` (``token`` or ``session``) is recorded with the row.
    """
    name = username[:64] or "?"
    with store.session() as s:
        wait = login_throttle.admit(s, policy, username, ip, datetime.now(UTC))
        if wait is not None:
            record(s, Actor(name, None, ip), "auth.login", None, {"via": via, "retry_after_s": wait}, "throttled")
        user = s.execute(select(User).where(func.lower(User.username) == username.lower())).scalar_one_or_none()
        user_id, password_hash = (user.id, user.password_hash) if user else (None, None)
    if wait is not None:
        raise LoginThrottled(wait)
    ok = verify_password(password_hash, password)
    with store.session() as s:
        now = datetime.now(UTC)
        found = s.get(User, user_id) if (ok and user_id is not None) else None
        if found is None or found.disabled:
            login_throttle.failed(s, policy, username, ip, now)
            record(s, Actor(name, None, ip), "auth.login", None, {"via": via}, "denied")
            failed = True
        else:
            login_throttle.succeeded(s, username, ip, now)
            found.last_login_at = now
            record(s, Actor(found.username, found.role, ip), "auth.login", f"user:{found.id}", {"via": via}, "ok")
            failed = False
    if failed or user_id is None:
        raise LoginFailed("wrong username or password")
    return user_id
