"""Login sessions: short-lived access tokens plus rotating refresh tokens, all ended together by revoking the session.

- A login opens a session (``auth_sessions``) that lives ``refresh_ttl_s`` (rotation never extends it).
- Access tokens carry the session id (``sid``); ``authenticate`` refuses a token whose session is revoked or over,
  so logout ends the current access token at once, without a list of revoked token ids.
- A refresh token is 256 random bits, stored as its SHA-256 only. Each refresh revokes the token used and issues a
  new one in the same session. Presenting a revoked refresh token again (a stolen copy, or the thief's copy after
  the owner refreshed) revokes the whole session.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from control_room.security.tokens import TokenIssuer
from control_room.store.models import AuthSession, RefreshToken, User

REFRESH_PREFIX = "rt_"
# Sessions over this long ago are deleted (kept a while so that a late reuse of their refresh tokens is recognised).
KEEP_ENDED = timedelta(days=2)


@dataclass(frozen=True)
class IssuedTokens:
    """What a login or a refresh hands out."""

    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_in: int
    session_id: str


class RefreshDenied(Exception):
    """A refresh token was refused; ``reused`` when it had already been used (its session is now revoked)."""

    def __init__(self, reason: str, user: User | None = None, reused: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.user = user
        self.reused = reused


def token_digest(token: str) -> str:
    """SHA-256 (hex) of a high-entropy token: what the store keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


def open_session(
    s: Session, tokens: TokenIssuer, user: User, ip: str | None, ttl_s: int, now: datetime
) -> IssuedTokens:
    """Start a session for ``user`` (already authenticated) and issue its first access and refresh tokens."""
    s.execute(delete(AuthSession).where(AuthSession.expires_at < now - KEEP_ENDED))
    session = AuthSession(
        id=secrets.token_hex(16),
        user_id=user.id,
        created_at=now,
        expires_at=now + timedelta(seconds=ttl_s),
        source_ip=ip,
    )
    s.add(session)
    s.flush()
    return _issue(s, tokens, user, session, now)


def refresh(s: Session, tokens: TokenIssuer, raw: str, now: datetime) -> tuple[User, IssuedTokens]:
    """Rotate ``raw`` into a new access and refresh token; raises RefreshDenied (after revoking on reuse).

    The token is claimed by one conditional UPDATE before anything is read, so of two requests racing with the same
    token exactly one rotates it and the other is reuse (on SQLite the UPDATE also takes the write lock first).
    """
    digest = token_digest(raw)
    claim = s.execute(
        update(RefreshToken)
        .where(RefreshToken.token_hash == digest, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    claimed = bool(getattr(claim, "rowcount", 0))
    row = s.execute(select(RefreshToken).where(RefreshToken.token_hash == digest)).scalar_one_or_none()
    if row is None:
        raise RefreshDenied("unknown refresh token")
    session = s.execute(select(AuthSession).where(AuthSession.id == row.session_id).with_for_update()).scalar_one()
    user = s.get(User, session.user_id)
    if session.revoked_at is not None:
        raise RefreshDenied(f"session ended ({session.revoked_reason})", user)
    if not claimed:
        revoke_session(s, session.id, "refresh token reused", now)
        raise RefreshDenied("refresh token already used; the session is revoked", user, reused=True)
    if session.expires_at <= now:
        raise RefreshDenied("session expired; log in again", user)
    if user is None or user.disabled:
        revoke_session(s, session.id, "account disabled", now)
        raise RefreshDenied("account unknown or disabled", user)
    session.last_refresh_at = now
    return user, _issue(s, tokens, user, session, now)


def session_alive(s: Session, session_id: str, user_id: int, now: datetime) -> bool:
    """Whether access tokens of this session may still be used."""
    session = s.get(AuthSession, session_id)
    return (
        session is not None and session.user_id == user_id and session.revoked_at is None and session.expires_at > now
    )


def revoke_session(s: Session, session_id: str, reason: str, now: datetime) -> None:
    """End one session: its access tokens stop working and its refresh tokens are revoked."""
    s.execute(
        update(AuthSession)
        .where(AuthSession.id == session_id, AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason[:64])
    )
    s.execute(
        update(RefreshToken)
        .where(RefreshToken.session_id == session_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )


def revoke_user_sessions(s: Session, user_id: int, reason: str, now: datetime, keep: str | None = None) -> int:
    """End every open session of a user (except ``keep``); returns how many were ended."""
    query = select(AuthSession.id).where(AuthSession.user_id == user_id, AuthSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(AuthSession.id != keep)
    ids = list(s.execute(query).scalars())
    for session_id in ids:
        revoke_session(s, session_id, reason, now)
    return len(ids)


def _issue(s: Session, tokens: TokenIssuer, user: User, session: AuthSession, now: datetime) -> IssuedTokens:
    raw = REFRESH_PREFIX + secrets.token_urlsafe(32)
    s.add(RefreshToken(session_id=session.id, token_hash=token_digest(raw), created_at=now))
    s.flush()
    access, ttl = tokens.issue(user.username, user.id, user.role, session.id)
    remaining = max(0, int((session.expires_at - now).total_seconds()))
    return IssuedTokens(access, ttl, raw, remaining, session.id)
