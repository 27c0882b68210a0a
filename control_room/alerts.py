"""Alerts in the store: folding repeats into one alert with a count, clearing when the condition goes away."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from control_room.store.models import Alert
from edge.contract.payloads import Severity

CLOSED = "closed"


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
        return alert, True
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
    return alert


def device_alert_key(node: str, device: str, alert_id: str) -> str:
    """Key of a device alert."""
    return f"device:{node}/{device}/{alert_id}"
