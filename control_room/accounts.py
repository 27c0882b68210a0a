"""Accounts: one per person, created by an admin; the first account, ``admin``, is created at first start."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from control_room import login_throttle
from control_room.audit import Actor, record
from control_room.errors import Conflict, NotFound
from control_room.security.passwords import generate_password, hash_password, password_problem
from control_room.security.roles import Role
from control_room.sessions import revoke_user_sessions
from control_room.store.db import Store
from control_room.store.models import User

ADMIN = "admin"


def create_user(s: Session, actor: Actor, username: str, password: str, role: Role, full_name: str = "") -> User:
    """Create an account (argon2id hash only), audited. Raises Conflict or ValueError with the reason."""
    problem = password_problem(password, username)
    if problem:
        raise ValueError(problem)
    if s.execute(select(User.id).where(func.lower(User.username) == username.lower())).first():
        raise Conflict(f"username {username} is taken")
    user = User(
        username=username,
        full_name=full_name,
        password_hash=hash_password(password),
        role=role.value,
        disabled=False,
        created_at=datetime.now(UTC),
        created_by=actor.username,
    )
    s.add(user)
    s.flush()
    record(s, actor, "user.create", f"user:{user.id}", {"username": username, "role": role.value})
    return user


def ensure_admin(store: Store, password: str | None) -> str | None:
    """Create ``admin`` if no account exists. Returns the password when one was generated (to print once)."""
    with store.session() as s:
        if s.execute(select(func.count(User.id))).scalar():
            return None
        generated = password is None
        chosen = password or generate_password()
        create_user(s, Actor("system"), ADMIN, chosen, Role.ADMIN, "First administrator")
    return chosen if generated else None


@dataclass(frozen=True)
class UserChanges:
    """What an admin changes on an account; None leaves a field as it is."""

    role: Role | None = None
    disabled: bool | None = None
    full_name: str | None = None
    password: str | None = None
    unlock: bool = False


def update_user(s: Session, actor: Actor, user_id: int, changes: UserChanges, now: datetime) -> User:
    """Apply an admin's changes, audited with before/after (never a password).

    Disabling an account or resetting its password ends its sessions. The last enabled admin can be neither
    disabled nor demoted. Raises NotFound, Conflict or ValueError with the reason.
    """
    # A write first: the row lock on PostgreSQL, the database's write lock on SQLite, before anything is read.
    s.execute(update(User).where(User.id == user_id).values(id=User.id).execution_options(synchronize_session=False))
    user = s.execute(select(User).where(User.id == user_id).with_for_update()).scalar_one_or_none()
    if user is None:
        raise NotFound(f"no user {user_id}")
    if changes.password is not None:
        problem = password_problem(changes.password, user.username)
        if problem:
            raise ValueError(problem)
    demoted = changes.role is not None and changes.role != Role.ADMIN
    if user.role == Role.ADMIN and not user.disabled and (demoted or changes.disabled):
        _require_another_admin(s, user)
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    new_values = {"role": changes.role.value if changes.role else None, "disabled": changes.disabled}
    new_values["full_name"] = changes.full_name
    for field, value in new_values.items():
        if value is not None and getattr(user, field) != value:
            before[field], after[field] = getattr(user, field), value
            setattr(user, field, value)
    changed = sorted(after)
    if changes.password is not None:
        user.password_hash = hash_password(changes.password)
        changed.append("password")
    if changes.password is not None or changes.unlock:
        login_throttle.clear_account(s, user.username)
        changed.append("unlock")
    ended = 0
    if after.get("disabled") or changes.password is not None:
        ended = revoke_user_sessions(s, user.id, "disabled" if after.get("disabled") else "password reset", now)
    params = {"changed": changed, "before": before, "after": after, "sessions_ended": ended}
    record(s, actor, "user.update", f"user:{user.id}", params, "ok" if changed else "no change")
    return user


def _require_another_admin(s: Session, user: User) -> None:
    """Refuse to leave no enabled admin (the rows are locked so two admins cannot demote each other at once)."""
    admins = s.execute(
        select(User.id).where(User.role == Role.ADMIN.value, User.disabled.is_(False)).with_for_update()
    ).scalars()
    if not [uid for uid in admins if uid != user.id]:
        raise Conflict(f"{user.username} is the last enabled admin: make another admin first")


def set_own_password(s: Session, actor: Actor, user: User, new_password: str, keep_session: str | None) -> int:
    """Store a new password the caller has already checked; ends the account's other sessions (returns how many)."""
    problem = password_problem(new_password, user.username)
    if problem:
        raise ValueError(problem)
    user.password_hash = hash_password(new_password)
    ended = revoke_user_sessions(s, user.id, "password changed", datetime.now(UTC), keep=keep_session)
    record(s, actor, "user.password", f"user:{user.id}", {"sessions_ended": ended})
    return ended
