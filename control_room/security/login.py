"""Checking a username and password: the one place every login (bearer token or console session) goes through."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from control_room.audit import Actor, record
from control_room.security.passwords import verify_password
from control_room.store.models import User


class LoginFailed(Exception):
    """Wrong username or password, or a disabled account (deliberately not saying which)."""


class LoginThrottled(LoginFailed):
    """Too many failed logins for this account or address: answer 429 with ``Retry-After``."""

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"too many failed logins: try again in {retry_after_s} s")
        self.retry_after_s = retry_after_s


def check_credentials(s: Session, username: str, password: str, ip: str | None, via: str = "token") -> User:
    """The enabled account matching ``username``/``password``, audited as ``auth.login`` either way.

    A failure is committed to the audit log at once (the caller's transaction is about to roll back) and raises
    :class:`LoginFailed`. ``via`` (``token`` or ``session``) is recorded with the row. Login throttling (per account
    and per address) belongs here, raising :class:`LoginThrottled`, so that every way of signing in is throttled.
    """
    user = s.execute(select(User).where(func.lower(User.username) == username.lower())).scalar_one_or_none()
    ok = verify_password(user.password_hash if user else None, password)
    if not ok or user is None or user.disabled:
        record(s, Actor(username[:64] or "?", None, ip), "auth.login", None, {"via": via}, "denied")
        s.commit()
        raise LoginFailed("wrong username or password")
    user.last_login_at = datetime.now(UTC)
    record(s, Actor(user.username, user.role, ip), "auth.login", f"user:{user.id}", {"via": via}, "ok")
    return user
