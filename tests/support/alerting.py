"""Helpers for alert and audit tests: personal accounts, conditions raised and cleared through the store's code."""

from __future__ import annotations

from datetime import UTC, datetime

import httpx

from control_room import alerts
from control_room.store.models import Alert
from edge.contract.payloads import Severity
from tests.support.stack import ControlRoom

PASSWORD = "lantern-harbour-77"


def add_users(cr: ControlRoom, roles: dict[str, str]) -> None:
    """Create one account per name with the given role (admin creates them)."""
    with cr.client() as admin:
        for name, role in roles.items():
            r = admin.post("/api/v1/users", json={"username": name, "password": PASSWORD, "role": role})
            assert r.status_code == 201, r.text


def client(cr: ControlRoom, username: str) -> httpx.Client:
    """A client logged in as ``username`` (created by :func:`add_users`)."""
    return cr.client(username, PASSWORD)


def raise_condition(
    cr: ControlRoom,
    key: str,
    severity: Severity = Severity.MAJOR,
    message: str = "lamp failure on sl-03",
    raised_at: datetime | None = None,
    snapshot_jpeg: str | None = None,
) -> int:
    """Raise (or raise again) condition ``key`` the way ingest does; the open alert's id."""
    with cr.ctx.store.session() as s:
        alert, _ = alerts.raise_alert(
            s,
            key,
            "device",
            "lamp_failure",
            severity,
            message,
            node_id="edge-1",
            device_id="sl-03",
            location="Cheapside EC2",
            raised_at=raised_at or datetime.now(UTC),
            snapshot_jpeg=snapshot_jpeg,
        )
        return alert.id


def clear_condition(cr: ControlRoom, key: str) -> None:
    """The condition went away."""
    with cr.ctx.store.session() as s:
        assert alerts.clear_alert(s, key) is not None


def stored_alert(cr: ControlRoom, alert_id: int) -> Alert:
    """The alert row as stored now."""
    with cr.ctx.store.session() as s:
        alert = s.get(Alert, alert_id)
        assert alert is not None
        return alert
