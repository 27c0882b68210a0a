"""The audit log: append-only rows chained by SHA-256, so an edited or deleted row is detectable."""

from __future__ import annotations

import hashlib
import json
from contextvars import ContextVar, Token
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import event, select, text
from sqlalchemy.orm import Session

from control_room.store.models import AuditRow
from edge.contract.redact import redact

GENESIS = "0" * 64
_ADVISORY_KEY = 0x63697479  # "city"


def row_hash(
    prev_hash: str,
    ts: datetime,
    actor: str,
    role: str | None,
    action: str,
    target: str | None,
    params: dict[str, Any],
    result: str,
    source_ip: str | None,
) -> str:
    """SHA-256 over the previous hash and a canonical JSON of the row's fields."""
    body = json.dumps(
        {
            "ts": ts.astimezone(UTC).isoformat(timespec="microseconds"),
            "actor": actor,
            "role": role,
            "action": action,
            "target": target,
            "params": params,
            "result": result,
            "source_ip": source_ip,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256((prev_hash + body).encode()).hexdigest()


@dataclass(frozen=True)
class Actor:
    """Who is acting and from where."""

    username: str
    role: str | None = None
    source_ip: str | None = None


@dataclass
class RequestAudit:
    """What the audit middleware learns while one HTTP request is served: who called, and how many audit rows the
    handlers committed (when none, the middleware writes one itself)."""

    caller: Actor | None = None
    committed: int = 0


_REQUEST: ContextVar[RequestAudit | None] = ContextVar("cityedge_request_audit", default=None)


def begin_request() -> tuple[RequestAudit, Token[RequestAudit | None]]:
    """Start tracking the current request (the middleware; threads the handler runs on inherit it)."""
    marker = RequestAudit()
    return marker, _REQUEST.set(marker)


def end_request(token: Token[RequestAudit | None]) -> None:
    """Stop tracking the current request."""
    _REQUEST.reset(token)


def note_caller(actor: Actor) -> None:
    """Remember who is calling, for the row the middleware may write (called by the authentication dependency)."""
    marker = _REQUEST.get()
    if marker is not None:
        marker.caller = actor


def record(
    session: Session,
    actor: Actor,
    action: str,
    target: str | None = None,
    params: dict[str, Any] | None = None,
    result: str = "ok",
) -> AuditRow:
    """Append one audit row (secrets in ``params`` masked) in the caller's transaction."""
    clean = redact(params or {})
    ts = datetime.now(UTC)
    _lock_chain(session)
    last = session.execute(select(AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)).scalar()
    prev = last or GENESIS
    digest = row_hash(prev, ts, actor.username, actor.role, action, target, clean, result, actor.source_ip)
    row = AuditRow(
        ts=ts,
        actor=actor.username,
        role=actor.role,
        action=action,
        target=target,
        params=clean,
        result=result,
        source_ip=actor.source_ip,
        prev_hash=prev,
        hash=digest,
    )
    session.add(row)
    session.flush()
    marker = _REQUEST.get()
    if marker is not None:
        session.info.setdefault("audit_markers", []).append(marker)
    return row


def _lock_chain(session: Session) -> None:
    """Hold the chain's head until this transaction ends, so two writers can never fork the chain.

    PostgreSQL: a transaction-scoped advisory lock (works across API replicas). SQLite: the database's own write
    lock, taken now by a write that changes nothing. (A process lock taken here deadlocked with SQLite's: the
    ingest thread, holding the write lock of its batch, waited for the process lock while a request holding the
    process lock waited for the write lock.)
    """
    if session.info.get("audit_chain_locked"):
        return
    session.info["audit_chain_locked"] = True
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_KEY})
    else:
        session.execute(text("UPDATE audit_log SET id = id WHERE 0 = 1"))
    event.listen(session, "after_commit", _committed, once=True)
    event.listen(session, "after_rollback", _forget, once=True)


def _committed(session: Session) -> None:
    for marker in session.info.pop("audit_markers", []):
        marker.committed += 1
    _forget(session)


def _forget(session: Session) -> None:
    session.info.pop("audit_markers", None)
    session.info.pop("audit_chain_locked", None)


def verify_chain(session: Session, anchor: tuple[int, str] | None = None) -> dict[str, Any]:
    """Walk the chain: ``{"ok", "rows", "first_bad"}``; first_bad is the id of the first row that does not fit.

    ``anchor`` — ``(id, hash)`` of a row known to have been written (kept outside the store, see
    :mod:`control_room.audit_anchor`) — catches what the chain alone cannot: deleting the newest rows. If that row
    is missing or altered, first_bad is its id.
    """
    prev = GENESIS
    n = 0
    anchored = anchor is None
    for row in session.execute(select(AuditRow).order_by(AuditRow.id)).scalars():
        n += 1
        expected = row_hash(
            prev, row.ts, row.actor, row.role, row.action, row.target, row.params, row.result, row.source_ip
        )
        if row.prev_hash != prev or row.hash != expected:
            return {"ok": False, "rows": n, "first_bad": row.id}
        if anchor is not None and row.id == anchor[0]:
            if row.hash != anchor[1]:
                return {"ok": False, "rows": n, "first_bad": row.id}
            anchored = True
        prev = row.hash
    if not anchored:
        assert anchor is not None
        return {"ok": False, "rows": n, "first_bad": anchor[0]}
    return {"ok": True, "rows": n, "first_bad": None}
