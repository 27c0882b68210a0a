"""Helpers for account tests: accounts and sessions made through the control room's own code, without a login
(argon2 takes a while and logins are throttled), and API keys."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from control_room.accounts import create_user
from control_room.api_keys import create_key
from control_room.audit import Actor
from control_room.security.api_scopes import Scope
from control_room.security.roles import Role
from control_room.sessions import IssuedTokens, open_session
from control_room.store.models import AuditRow, User
from tests.support.stack import ControlRoom

PASSWORD = "tangerine-lamp-42"


def add_user(cr: ControlRoom, username: str, role: Role | str, password: str = PASSWORD) -> int:
    """Create an account (as admin) and return its id."""
    with cr.ctx.store.session() as s:
        return create_user(s, Actor("admin", "admin"), username, password, Role(role)).id


def session_for(cr: ControlRoom, username: str) -> IssuedTokens:
    """Open a login session for an existing account, as a successful login would."""
    with cr.ctx.store.session() as s:
        user = s.execute(select(User).where(User.username == username)).scalar_one()
        return open_session(s, cr.ctx.tokens, user, "127.0.0.1", cr.settings.refresh_ttl_s, datetime.now(UTC))


def bearer(cr: ControlRoom, username: str) -> dict[str, str]:
    """An Authorization header with a fresh access token of ``username``."""
    return {"Authorization": f"Bearer {session_for(cr, username).access_token}"}


def api_key(cr: ControlRoom, name: str, scopes: list[Scope]) -> str:
    """A new API key with ``scopes``."""
    with cr.ctx.store.session() as s:
        return create_key(s, Actor("admin", "admin"), name, scopes, datetime.now(UTC))[1]


def audit_rows(cr: ControlRoom, action: str) -> list[AuditRow]:
    """Audit rows of one action, oldest first."""
    with cr.ctx.store.session() as s:
        return list(s.execute(select(AuditRow).where(AuditRow.action == action).order_by(AuditRow.id)).scalars())
