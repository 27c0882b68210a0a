"""Public representations (API responses and WebSocket messages) of stored rows — one definition for both."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from control_room.store import models


class Public(BaseModel):
    """Base of response models: built from ORM rows."""

    model_config = ConfigDict(from_attributes=True)


class NodePublic(Public):
    """An edge node."""

    id: str = Field(description="Node id.")
    online: bool = Field(description="Connected to the broker.")
    birth_seq: int = Field(description="Current connection counter.")
    version: str | None = Field(description="cityedge version on the node.")
    started_at: datetime | None = Field(description="When the node process started.")
    last_change_at: datetime = Field(description="When online/offline last changed.")
    last_seq: int = Field(description="Highest event sequence number stored.")


class DevicePublic(Public):
    """A device on a node."""

    node_id: str = Field(description="Owning node.")
    id: str = Field(description="Device id (unique on its node).")
    kind: str = Field(description="Device kind.")
    label: str = Field(description="Human-readable name.")
    location: str | None = Field(description="Location label.")
    commands: list[Any] = Field(description="Accepted actions.")
    capabilities: dict[str, Any] = Field(description="Kind-specific description.")
    state: dict[str, Any] | None = Field(description="Latest reported state.")
    state_ts: datetime | None = Field(description="When the state was observed.")


class EventPublic(Public):
    """A stored device event."""

    id: int = Field(description="Store id (increasing).")
    event_id: str = Field(description="UUIDv7 from the edge.")
    node_id: str = Field(description="Node.")
    device_id: str = Field(description="Device.")
    seq: int = Field(description="Per-node sequence number.")
    ts: datetime = Field(description="When it happened.")
    type: str = Field(description="Event type.")
    severity: str = Field(description="Severity.")
    replayed: bool = Field(description="Published after a reconnect or on request.")
    data: dict[str, Any] = Field(description="Content.")
    received_at: datetime = Field(description="When the control room stored it.")


class CommandStagePublic(Public):
    """One stage of a command."""

    stage: str = Field(description="Stage.")
    code: str | None = Field(description="Machine-readable reason.")
    message: str | None = Field(description="Sentence for the operator.")
    progress: str | None = Field(description="Domain step while accepted.")
    ts: datetime = Field(description="When the edge reached the stage.")


class CommandPublic(Public):
    """A command and where it stands."""

    id: str = Field(description="command_id.")
    node_id: str = Field(description="Target node.")
    device_id: str | None = Field(description="Target device.")
    action: str = Field(description="Action.")
    args: dict[str, Any] = Field(description="Arguments.")
    mode: str = Field(description="live or test.")
    issued_by: str = Field(description="Who issued it.")
    issued_at: datetime = Field(description="When.")
    expires_at: datetime = Field(description="Not executed after this.")
    stage: str = Field(
        description="pending, sent, accepted, succeeded, failed, rejected, expired, or unknown (no terminal answer)."
    )
    terminal: bool = Field(description="True once the stage cannot change.")
    code: str | None = Field(description="Reason code of the latest stage.")
    message: str | None = Field(description="Sentence of the latest stage.")
    progress: str | None = Field(description="Domain step while accepted.")
    state_after: dict[str, Any] | None = Field(description="Device state after a terminal stage.")
    approval: dict[str, Any] | None = Field(description="Second person's approval, for sensitive actions.")
    updated_at: datetime = Field(description="Last change.")


class CommandDetail(CommandPublic):
    """A command with its stage history."""

    stages: list[CommandStagePublic] = Field(default_factory=list, description="Every stage in arrival order.")


class AlertPublic(Public):
    """An operator alert."""

    id: int = Field(description="Alert id.")
    key: str = Field(description="The condition: repeated raises of one key fold into one open alert.")
    source: str = Field(description="device or control_room.")
    node_id: str | None = Field(description="Node concerned.")
    device_id: str | None = Field(description="Device concerned.")
    type: str = Field(description="Condition type.")
    severity: str = Field(description="Severity.")
    priority: int = Field(description="1 (most urgent) to 5.")
    message: str = Field(description="Sentence for the operator.")
    location: str | None = Field(description="Location label.")
    data: dict[str, Any] = Field(description="Detail.")
    active: bool = Field(description="The condition is still present.")
    state: str = Field(description="new, acknowledged, in_progress, closed.")
    owner: str | None = Field(description="Who owns it.")
    count: int = Field(description="How many times the condition was raised.")
    first_raised_at: datetime = Field(description="First raised.")
    last_raised_at: datetime = Field(description="Last raised.")
    cleared_at: datetime | None = Field(description="When the condition went away.")
    acknowledged_by: str | None = Field(description="Who acknowledged it first.")
    acknowledged_at: datetime | None = Field(description="When it was first acknowledged.")
    escalated_at: datetime | None = Field(description="When it was escalated to supervisors (unacknowledged).")
    closed_by: str | None = Field(description="Who closed it.")
    closed_at: datetime | None = Field(description="When it was closed.")
    has_snapshot: bool = Field(description="A picture came with it: GET /api/v1/alerts/{id}/snapshot.jpg.")


class AlertTimelineEntry(Public):
    """One entry in an alert's history."""

    id: int = Field(description="Entry id (increasing).")
    ts: datetime = Field(description="When.")
    actor: str = Field(description="Who: a username, node:<id> for the device's node, or system.")
    kind: str = Field(
        description="raised, re_raised, cleared, acknowledged, assigned, note, in_progress, closed, escalated, "
        "reopened."
    )
    text: str = Field(description="Sentence for the operator (the note itself for a note).")
    data: dict[str, Any] = Field(description="Detail (count, owner, previous alert …).")


class AlertDetail(AlertPublic):
    """An alert with its timeline and notes."""

    timeline: list[AlertTimelineEntry] = Field(description="Every entry, oldest first.")
    notes: list[AlertTimelineEntry] = Field(description="The note entries of the timeline, oldest first.")


def node_view(row: models.Node) -> dict[str, Any]:
    """JSON-ready node."""
    return NodePublic.model_validate(row).model_dump(mode="json")


def device_view(row: models.Device) -> dict[str, Any]:
    """JSON-ready device."""
    return DevicePublic.model_validate(row).model_dump(mode="json")


def event_view(row: models.Event) -> dict[str, Any]:
    """JSON-ready event."""
    return EventPublic.model_validate(row).model_dump(mode="json")


def command_view(row: models.Command) -> dict[str, Any]:
    """JSON-ready command."""
    return CommandPublic.model_validate(row).model_dump(mode="json")


def alert_view(row: models.Alert) -> dict[str, Any]:
    """JSON-ready alert."""
    return AlertPublic.model_validate(row).model_dump(mode="json")
