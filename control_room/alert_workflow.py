"""What people do with an alert: acknowledge, take or assign, add notes, close.

States: ``new`` → ``acknowledged`` → ``in_progress`` (it has an owner) → ``closed``. Each change is audited
(``alert.<verb>``, target ``alert:<id>``) and written to the alert's timeline in the caller's transaction; the route
publishes the result on the WebSocket stream after the commit.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from control_room.alerts import CLOSED, add_entry
from control_room.audit import Actor, record
from control_room.errors import Conflict, ControlRoomError, NotFound
from control_room.security.roles import Perm, allowed
from control_room.store.models import Alert, User

NEW, ACKNOWLEDGED, IN_PROGRESS = "new", "acknowledged", "in_progress"
STATES = (NEW, ACKNOWLEDGED, IN_PROGRESS, CLOSED)


class NotAllowed(ControlRoomError):
    """The caller's role allows the verb, but not on this alert (someone else's, for example)."""


class BadOwner(ControlRoomError):
    """The named owner is no account that can handle alerts."""


def target(alert_id: int) -> str:
    """Audit target of an alert."""
    return f"alert:{alert_id}"


def get_alert(s: Session, alert_id: int) -> Alert:
    """The alert, locked for this transaction (two people acting on it at once take turns), or NotFound.

    A no-op UPDATE takes the row lock on PostgreSQL and the write lock on SQLite before the row is read, so the
    state checks below see what the other transaction committed.
    """
    s.execute(update(Alert).where(Alert.id == alert_id).values(id=Alert.id))
    alert = s.get(Alert, alert_id, populate_existing=True)
    if alert is None:
        raise NotFound(f"no alert {alert_id}")
    return alert


def _not_closed(alert: Alert, verb: str) -> None:
    if alert.state == CLOSED:
        raise Conflict(f"alert {alert.id} is closed; it cannot be {verb}")


def _note(s: Session, alert: Alert, actor: Actor, note: str | None) -> None:
    if note:
        add_entry(s, alert, actor.username, "note", note)


def _acknowledge(alert: Alert, actor: Actor, now: datetime) -> None:
    alert.acknowledged_by, alert.acknowledged_at = actor.username, now


def acknowledge(s: Session, actor: Actor, alert_id: int, note: str | None = None) -> Alert:
    """``new`` → ``acknowledged``. Acknowledging again changes nothing (audited as ``unchanged``)."""
    alert = get_alert(s, alert_id)
    _not_closed(alert, "acknowledged")
    now = datetime.now(UTC)
    params: dict[str, Any] = {"note": note} if note else {}
    if alert.state != NEW:
        _note(s, alert, actor, note)
        record(s, actor, "alert.ack", target(alert.id), {**params, "state": alert.state}, "unchanged")
        return alert
    alert.state, alert.updated_at = ACKNOWLEDGED, now
    _acknowledge(alert, actor, now)
    add_entry(s, alert, actor.username, "acknowledged", f"acknowledged by {actor.username}")
    _note(s, alert, actor, note)
    record(s, actor, "alert.ack", target(alert.id), params)
    return alert


def _check_owner(s: Session, username: str) -> str:
    user = s.execute(select(User).where(func.lower(User.username) == username.lower())).scalar_one_or_none()
    if user is None:
        raise BadOwner(f"owner {username!r}: no such account")
    if user.disabled:
        raise BadOwner(f"owner {username!r}: the account is disabled")
    if not allowed(user.role, Perm.ALERTS_ACK):
        raise BadOwner(f"owner {username!r}: role {user.role} may not handle alerts")
    return user.username


def assign(s: Session, actor: Actor, alert_id: int, owner: str | None) -> Alert:
    """Give the alert an owner (``in_progress``) or take it back (``acknowledged``).

    Anyone who may acknowledge may take an unowned alert, or their own; assigning it to someone else, taking over
    someone else's or releasing someone else's needs ``alerts.manage`` (supervisors).
    """
    alert = get_alert(s, alert_id)
    manager = allowed(actor.role or "", Perm.ALERTS_MANAGE)
    if owner is not None:
        if owner.lower() != actor.username.lower() and not manager:
            raise NotAllowed(f"only a supervisor may assign alert {alert.id} to someone else")
        owner = _check_owner(s, owner)
    previous = alert.owner
    if previous is not None and previous != actor.username and not manager:
        raise NotAllowed(f"alert {alert.id} belongs to {previous}; only a supervisor may take it over or release it")
    _not_closed(alert, "assigned")
    if owner == previous:
        record(s, actor, "alert.assign", target(alert.id), {"owner": owner}, "unchanged")
        return alert
    now = datetime.now(UTC)
    alert.owner, alert.updated_at = owner, now
    if owner is None:
        alert.state = ACKNOWLEDGED
        text = f"released by {actor.username}" + (f" (was {previous})" if previous != actor.username else "")
    else:
        alert.state = IN_PROGRESS
        if alert.acknowledged_at is None:
            _acknowledge(alert, actor, now)
        text = f"taken by {owner}" if owner == actor.username else f"assigned to {owner} by {actor.username}"
    add_entry(s, alert, actor.username, "assigned", text, {"owner": owner, "previous_owner": previous})
    record(s, actor, "alert.assign", target(alert.id), {"owner": owner, "previous_owner": previous})
    return alert


def add_note(s: Session, actor: Actor, alert_id: int, text: str) -> Alert:
    """Append a note (closed alerts too: findings often come after)."""
    alert = get_alert(s, alert_id)
    add_entry(s, alert, actor.username, "note", text)
    alert.updated_at = datetime.now(UTC)
    record(s, actor, "alert.note", target(alert.id), {"text": text})
    return alert


def close(s: Session, actor: Actor, alert_id: int, note: str | None = None) -> Alert:
    """Close the alert: its owner or a supervisor, and only once its condition has cleared."""
    alert = get_alert(s, alert_id)
    if alert.owner != actor.username and not allowed(actor.role or "", Perm.ALERTS_MANAGE):
        who = f"its owner ({alert.owner})" if alert.owner else "whoever takes it (assign it to yourself)"
        raise NotAllowed(f"alert {alert.id} can be closed by {who} or a supervisor")
    _not_closed(alert, "closed again")
    if alert.active:
        raise Conflict(
            f"alert {alert.id}: the condition is still active ({alert.message}); "
            "it can be acknowledged, but closed only once it has cleared"
        )
    now = datetime.now(UTC)
    alert.state, alert.closed_by, alert.closed_at, alert.updated_at = CLOSED, actor.username, now, now
    _note(s, alert, actor, note)
    add_entry(s, alert, actor.username, "closed", f"closed by {actor.username}")
    record(s, actor, "alert.close", target(alert.id), {"note": note} if note else {})
    return alert
