"""Integrator API keys in the store: created and revoked by an admin (audited), checked on every use."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from control_room.audit import Actor, record
from control_room.errors import Conflict, NotFound
from control_room.security.api_scopes import Scope, new_key, parse_key
from control_room.sessions import token_digest
from control_room.store.models import ApiKey

# last_used_at is written at most this often per key, so a busy integrator does not write on every read.
LAST_USED_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class KeyCaller:
    """A valid, unrevoked key presented by a caller."""

    id: int
    name: str
    scopes: frozenset[Scope]


class KeyInvalid(Exception):
    """The key is malformed, unknown, wrong or revoked."""


def create_key(s: Session, actor: Actor, name: str, scopes: list[Scope], now: datetime) -> tuple[ApiKey, str]:
    """A new key row and the key itself (to show once; only its hash is stored)."""
    if s.execute(select(ApiKey.id).where(ApiKey.name == name)).first():
        raise Conflict(f"an API key named {name} exists")
    row = ApiKey(name=name, secret_hash="", scopes=sorted({sc.value for sc in scopes}), created_at=now)
    row.created_by = actor.username
    s.add(row)
    try:
        s.flush()
    except IntegrityError as err:  # created by someone else meanwhile
        raise Conflict(f"an API key named {name} exists") from err
    key, secret = new_key(row.id)
    row.secret_hash = token_digest(secret)
    record(s, actor, "apikey.create", f"apikey:{row.id}", {"name": name, "scopes": row.scopes})
    return row, key


def revoke_key(s: Session, actor: Actor, key_id: int, now: datetime) -> ApiKey:
    """Revoke a key (idempotent: a revoked key stays revoked at its first time)."""
    row = s.get(ApiKey, key_id)
    if row is None:
        raise NotFound(f"no API key {key_id}")
    if row.revoked_at is None:
        row.revoked_at = now
        row.revoked_by = actor.username
        record(s, actor, "apikey.revoke", f"apikey:{row.id}", {"name": row.name})
    return row


def check_key(s: Session, key: str, now: datetime) -> KeyCaller:
    """The caller behind ``key``; records its use (at most once a minute). Raises KeyInvalid."""
    parsed = parse_key(key)
    if parsed is None:
        raise KeyInvalid("malformed API key")
    key_id, secret = parsed
    row = s.get(ApiKey, key_id)
    if row is None or not hmac.compare_digest(row.secret_hash, token_digest(secret)):
        raise KeyInvalid("unknown API key")
    if row.revoked_at is not None:
        raise KeyInvalid("revoked API key")
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        row.last_used_at = now
    return KeyCaller(row.id, row.name, frozenset(sc for sc in Scope if sc.value in row.scopes))
