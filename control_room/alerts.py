"""Alerts in the store: folding repeats into one alert with a count, clearing when the condition goes away.

Every raise bumps the count; the timeline gets a ``raised`` (or ``reopened``) entry for a new alert and at most one
``re_raised`` and one ``cleared`` entry per :data:`TIMELINE_FOLD_S` for a condition that comes and goes, so a
flapping device cannot flood it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from control_room.store.models import Alert, AlertTimelineRow
from edge.contract.payloads import Severity

CLOSED = "closed"
TIMELINE_FOLD_S = 60.0
"""A condition that comes and goes records at most one re_raised and one cleared entry per this many seconds."""
SYSTEM = "system"


def open_alert(session: Session, key: str) -> Alert | None:
    """The alert for ``key`` that is not closed, if any."""
    return session.execute(
        select(Alert).where(Alert.key == key, Alert.state != CLOSED).order_by(Alert.id.desc()).limit(1)
    ).scalar_one_or_none()


def raise_alert(
    session: Session,
    key: str,
    source: str,
    type_: str,
    severity: Severity,
    message: str,
    node_id: str | None = None,
    device_id: str | None = None,
    location: str | None = None,
    data: dict[str, Any] | None = None,
    snapshot_jpeg: str | None = None,
    raised_at: datetime | None = None,
) -> tuple[Alert, bool]:
    """Raise (or re-raise) the condition ``key``. Returns the alert and whether anything changed.

    A condition already active with the same ``raised_at`` is the same raise delivered again (a retained message
    after a reconnect): nothing changes. A condition raised again while its alert is open adds to its count.
    """
    now = datetime.now(UTC)
    raised_at = raised_at or now
    alert = open_alert(session, key)
    if alert is not None:
        if alert.active and abs((alert.last_raised_at - raised_at).total_seconds()) < 0.001:
            return alert, False
        if alert.active and raised_at < alert.last_raised_at:
            return alert, False
        was_active = alert.active
        alert.count += 1
        alert.active = True
        alert.cleared_at = None
        alert.last_raised_at = raised_at
        alert.message = message
        alert.severity = severity.value
        alert.priority = min(alert.priority, severity.priority)
        alert.data = data or {}
        if snapshot_jpeg:
            alert.snapshot_jpeg = snapshot_jpeg
        alert.updated_at = now
        if _due(session, alert.id, "re_raised", now):
            text = f"raised again ({alert.count} times in all)" + ("" if was_active else " after it had cleared")
            add_entry(session, alert, condition_actor(alert), "re_raised", text, {"count": alert.count})
        return alert, True
    previous = session.execute(
        select(Alert.id).where(Alert.key == key, Alert.state == CLOSED).order_by(Alert.id.desc()).limit(1)
    ).scalar()
    alert = Alert(
        key=key,
        source=source,
        node_id=node_id,
        device_id=device_id,
        type=type_,
        severity=severity.value,
        priority=severity.priority,
        message=message,
        location=location,
        data=data or {},
        snapshot_jpeg=snapshot_jpeg,
        active=True,
        state="new",
        count=1,
        first_raised_at=raised_at,
        last_raised_at=raised_at,
        updated_at=now,
    )
    session.add(alert)
    session.flush()
    if previous is None:
        add_entry(session, alert, condition_actor(alert), "raised", message, {"raised_at": raised_at.isoformat()})
    else:
        text = f"raised again after alert {previous} was closed: {message}"
        add_entry(session, alert, condition_actor(alert), "reopened", text, {"previous_alert_id": previous})
    return alert, True


def clear_alert(session: Session, key: str) -> Alert | None:
    """The condition ``key`` went away: mark its open alert inactive (operators still close it). None if none."""
    alert = open_alert(session, key)
    if alert is None or not alert.active:
        return None
    now = datetime.now(UTC)
    alert.active = False
    alert.cleared_at = now
    alert.updated_at = now
    if _due(session, alert.id, "cleared", now):
        add_entry(session, alert, condition_actor(alert), "cleared", "the condition went away", {"count": alert.count})
    return alert


def condition_actor(alert: Alert) -> str:
    """Who speaks for an alert's condition in its timeline: the node for a device alert, else the control room."""
    return f"node:{alert.node_id}" if alert.source == "device" and alert.node_id else SYSTEM


def add_entry(
    session: Session, alert: Alert, actor: str, kind: str, text: str, data: dict[str, Any] | None = None
) -> AlertTimelineRow:
    """Append one timeline entry to ``alert`` (in the caller's transaction)."""
    row = AlertTimelineRow(
        alert_id=alert.id, ts=datetime.now(UTC), actor=actor[:64], kind=kind, text=text, data=data or {}
    )
    session.add(row)
    return row


def _due(session: Session, alert_id: int, kind: str, now: datetime) -> bool:
    """Whether an entry of ``kind`` may be added: none of that kind in the last :data:`TIMELINE_FOLD_S` seconds."""
    last = session.execute(
        select(AlertTimelineRow.ts)
        .where(AlertTimelineRow.alert_id == alert_id, AlertTimelineRow.kind == kind)
        .order_by(AlertTimelineRow.id.desc())
        .limit(1)
    ).scalar()
    return last is None or (now - last).total_seconds() >= TIMELINE_FOLD_S


def device_alert_key(node: str, device: str, alert_id: str) -> str:
    """Key of a device alert."""
    return f"device:{node}/{device}/{alert_id}"
