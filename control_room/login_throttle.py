"""Login throttling per account and per source address, kept in the store so every replica sees the same counts.

An attempt is first *admitted*: if the account or the address is locked it is refused (the password is never
checked); otherwise it is counted as a failure in advance, so parallel guesses cannot overtake the count. A
success then clears the account's counter and takes the advance back from the address; a failure that reaches the
limit locks the key for ``lockout_s``, doubled on each further lock-out up to ``lockout_max_s``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from control_room.settings import Settings
from control_room.store.models import LoginThrottle

# A key whose last lock-out ended this long ago starts again from the first (shortest) lock-out.
LOCKOUT_MEMORY = timedelta(days=1)
# Rows untouched this long (and not locked) are deleted.
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class ThrottlePolicy:
    """Limits of failed logins and the lock-out that follows."""

    window_s: int
    account_limit: int
    address_limit: int
    lockout_s: int
    lockout_max_s: int

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottlePolicy:
        """The policy configured in ``CITYEDGE_LOGIN_*``."""
        return cls(
            settings.login_window_s,
            settings.login_max_failures_account,
            settings.login_max_failures_address,
            settings.login_lockout_s,
            settings.login_lockout_max_s,
        )


def account_key(username: str) -> str:
    """The throttle key of an account name (case-insensitive, as logins are)."""
    return f"account:{username.lower()[:150]}"


def address_key(ip: str | None) -> str:
    """The throttle key of a source address."""
    return f"address:{ip or '?'}"


def admit(s: Session, policy: ThrottlePolicy, username: str, ip: str | None, now: datetime) -> int | None:
    """Seconds to wait when the attempt is refused; None when admitted (then counted as a failure in advance)."""
    s.execute(
        delete(LoginThrottle).where(
            LoginThrottle.updated_at < now - FORGET_AFTER,
            or_(LoginThrottle.locked_until.is_(None), LoginThrottle.locked_until < now),
        )
    )
    rows = [
        (_locked_row(s, account_key(username), now), policy.account_limit),
        (_locked_row(s, address_key(ip), now), policy.address_limit),
    ]
    waits: list[float] = []
    for row, limit in rows:
        _roll_window(row, policy, now)
        if row.locked_until is None and row.failures >= limit:
            _lock(row, policy, now)  # parallel attempts used up the allowance before any of them failed
        if row.locked_until is not None and row.locked_until > now:
            waits.append((row.locked_until - now).total_seconds())
    if waits:
        return max(1, math.ceil(max(waits)))
    for row, _ in rows:
        row.failures += 1
        row.updated_at = now
    return None


def failed(s: Session, policy: ThrottlePolicy, username: str, ip: str | None, now: datetime) -> None:
    """The admitted attempt failed: lock the account and/or address whose count reached its limit."""
    for key, limit in ((account_key(username), policy.account_limit), (address_key(ip), policy.address_limit)):
        row = _locked_row(s, key, now)
        if row.failures >= limit and (row.locked_until is None or row.locked_until <= now):
            _lock(row, policy, now)


def succeeded(s: Session, username: str, ip: str | None, now: datetime) -> None:
    """The admitted attempt succeeded: forget the account's failures, take back the address's advance count."""
    clear_account(s, username)
    row = _locked_row(s, address_key(ip), now)
    row.failures = max(0, row.failures - 1)
    row.updated_at = now


def clear_account(s: Session, username: str) -> None:
    """Lift an account's lock-out and forget its failures (after a successful login or an admin's unlock)."""
    s.execute(delete(LoginThrottle).where(LoginThrottle.key == account_key(username)))


def _locked_row(s: Session, key: str, now: datetime) -> LoginThrottle:
    """The key's row, created if missing, locked for this transaction (FOR UPDATE on PostgreSQL)."""
    values = {"key": key, "failures": 0, "lockouts": 0, "updated_at": now}
    if s.get_bind().dialect.name == "postgresql":
        s.execute(pg_insert(LoginThrottle).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    else:
        s.execute(sqlite_insert(LoginThrottle).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    query = select(LoginThrottle).where(LoginThrottle.key == key).with_for_update()
    return s.execute(query.execution_options(populate_existing=True)).scalar_one()


def _roll_window(row: LoginThrottle, policy: ThrottlePolicy, now: datetime) -> None:
    """Forget an ended lock-out, a window that has passed, and lock-outs long ago."""
    if row.locked_until is not None and row.locked_until <= now:
        if now - row.locked_until >= LOCKOUT_MEMORY:
            row.lockouts = 0
        row.locked_until = None
    elif row.locked_until is None and now - row.updated_at >= LOCKOUT_MEMORY:
        row.lockouts = 0
    if row.window_start is None or now - row.window_start >= timedelta(seconds=policy.window_s):
        row.failures = 0
        row.window_start = now


def _lock(row: LoginThrottle, policy: ThrottlePolicy, now: datetime) -> None:
    row.lockouts += 1
    seconds = min(policy.lockout_s * 2 ** min(row.lockouts - 1, 30), policy.lockout_max_s)
    row.locked_until = now + timedelta(seconds=seconds)
    row.failures = 0
    row.window_start = None
    row.updated_at = now
