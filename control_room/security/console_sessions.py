"""Console sessions: an opaque random id in an HttpOnly cookie, stored hashed, with an absolute and an idle expiry.

The CSRF token is an HMAC of the session id under a key derived from the server secret, so it is bound to the
session, needs no storage, and can be handed again to a reloaded page (``GET /api/v1/auth/session``).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pydantic import SecretStr
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from control_room.store.models import ConsoleSession, User

SESSION_COOKIE = "cityedge_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
_MAX_COOKIE_CHARS = 128
_KEEP_ENDED = timedelta(days=7)


class SessionInvalid(Exception):
    """No such session, or it expired, went idle, was revoked, or its account is disabled."""


@dataclass(frozen=True)
class SessionGrant:
    """A new session: the raw id goes into the cookie and nowhere else."""

    raw_id: str
    csrf_token: str
    expires_at: datetime


def _digest(raw_id: str) -> str:
    return hashlib.sha256(raw_id.encode()).hexdigest()


class ConsoleSessions:
    """Opens, resolves and revokes console sessions; issues and checks their CSRF tokens."""

    def __init__(self, secret: SecretStr, ttl_s: int, idle_s: int) -> None:
        self._csrf_key = hmac.new(secret.get_secret_value().encode(), b"cityedge console csrf v1", "sha256").digest()
        self.ttl = timedelta(seconds=ttl_s)
        self.idle = timedelta(seconds=idle_s)
        # last_seen_at is written at most this often, so a busy console does not write on every request
        self._touch_every = min(timedelta(seconds=60), self.idle / 10)

    def csrf_token(self, raw_id: str) -> str:
        """The CSRF token of the session with this raw id."""
        return hmac.new(self._csrf_key, raw_id.encode(), "sha256").hexdigest()

    def csrf_ok(self, raw_id: str, given: str | None) -> bool:
        """Whether ``given`` (the X-CSRF-Token header) is this session's token (constant-time comparison)."""
        return bool(given) and hmac.compare_digest(self.csrf_token(raw_id), str(given))

    def open(self, s: Session, user: User, ip: str | None) -> SessionGrant:
        """Start a session for ``user`` (already authenticated); forget sessions that ended a week ago."""
        now = datetime.now(UTC)
        s.execute(delete(ConsoleSession).where(ConsoleSession.expires_at < now - _KEEP_ENDED))
        raw_id = secrets.token_urlsafe(32)
        expires_at = now + self.ttl
        s.add(
            ConsoleSession(
                token_hash=_digest(raw_id),
                user_id=user.id,
                created_at=now,
                expires_at=expires_at,
                last_seen_at=now,
                source_ip=ip,
            )
        )
        s.flush()
        return SessionGrant(raw_id, self.csrf_token(raw_id), expires_at)

    def resolve(self, s: Session, raw_id: str, touch: bool = True) -> tuple[ConsoleSession, User]:
        """The live session and its (enabled) account, or :class:`SessionInvalid` saying why not.

        ``touch`` records the activity (a request); a WebSocket re-check does not, so an open page alone never
        keeps a session from going idle.
        """
        if not raw_id or len(raw_id) > _MAX_COOKIE_CHARS:
            raise SessionInvalid("no session")
        row = s.execute(select(ConsoleSession).where(ConsoleSession.token_hash == _digest(raw_id))).scalar_one_or_none()
        if row is None:
            raise SessionInvalid("no session")
        now = datetime.now(UTC)
        if row.revoked_at is not None:
            raise SessionInvalid("signed out")
        if now >= row.expires_at:
            raise SessionInvalid("session expired")
        if now - row.last_seen_at >= self.idle:
            raise SessionInvalid("session idle for too long")
        user = s.get(User, row.user_id)
        if user is None or user.disabled:
            raise SessionInvalid("account unknown or disabled")
        if touch and now - row.last_seen_at >= self._touch_every:
            row.last_seen_at = now
        return row, user

    def idle_deadline(self, row: ConsoleSession) -> datetime:
        """When the session ends if nothing more happens."""
        return min(row.expires_at, row.last_seen_at + self.idle)

    def revoke(self, s: Session, raw_id: str) -> ConsoleSession | None:
        """End the session now (logout); None if there was no live one."""
        try:
            row, _user = self.resolve(s, raw_id, touch=False)
        except SessionInvalid:
            return None
        row.revoked_at = datetime.now(UTC)
        return row
