"""Accounts: one per person, created by an admin; the first account, ``admin``, is created at first start."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from control_room.audit import Actor, record
from control_room.errors import Conflict
from control_room.security.passwords import generate_password, hash_password, password_problem
from control_room.security.roles import Role
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
