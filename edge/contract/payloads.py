"""Payload models of the contract. JSON on the wire, UTF-8, timestamps in UTC ISO 8601.

Every model forbids unknown keys, so a producer that drifts from the contract is caught at the first message.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal, TypeVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationError

from edge.contract.errors import PayloadError

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


def utcnow() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)


class ContractModel(BaseModel):
    """Base of every payload: strict keys, immutable."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Severity(StrEnum):
    """Event and alert severity (ITU-T X.733 order); ``priority`` maps it onto the operators' 1-5 scale."""

    CRITICAL = "critical"
    MAJOR = "major"
    MINOR = "minor"
    WARNING = "warning"
    INFO = "info"

    @property
    def priority(self) -> int:
        """1 (most urgent) .. 5."""
        return list(Severity).index(self) + 1


class CommandStage(StrEnum):
    """Stages an edge reports for a command. ``accepted`` may repeat with progress; the rest are terminal."""

    ACCEPTED = "accepted"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    REJECTED = "rejected"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        """True for every stage except ``accepted``."""
        return self is not CommandStage.ACCEPTED


class ControlState(ContractModel):
    """Retained on ``control/{host}/state``; the last-will sets ``online: false``."""

    host: Id = Field(description="Control-room host id.")
    online: bool = Field(description="Whether the control room is connected.")
    ts: AwareDatetime = Field(default_factory=utcnow, description="When this state was published.")


class NodeState(ContractModel):
    """Retained on ``nodes/{node}/state``; the last-will carries ``online: false`` and the same ``birth_seq``."""

    online: bool = Field(description="Whether the node is connected.")
    birth_seq: int = Field(ge=0, description="Connection counter; a will whose birth_seq is not current is stale.")
    version: str | None = Field(default=None, description="cityedge version of the node.")
    started_at: AwareDatetime | None = Field(default=None, description="When the node process started.")
    ts: AwareDatetime | None = Field(default=None, description="When this state was published (absent in wills).")


class DeviceDescription(ContractModel):
    """One device in a node's birth message."""

    id: Id = Field(description="Device id, unique on its node.")
    kind: str = Field(min_length=1, max_length=64, description="Device kind, e.g. lighting_zone, pa_zone, camera.")
    label: str = Field(default="", max_length=200, description="Human-readable name.")
    location: str | None = Field(default=None, max_length=200, description="Location label shown to operators.")
    commands: list[str] = Field(default_factory=list, description="Actions this device accepts.")
    capabilities: dict[str, Any] = Field(default_factory=dict, description="Kind-specific description.")


class NodeBirth(ContractModel):
    """Retained on ``nodes/{node}/birth``: what the node is and what it accepts."""

    node: Id = Field(description="Node id.")
    birth_seq: int = Field(ge=0, description="Connection counter this birth belongs to.")
    version: str = Field(description="cityedge version of the node.")
    started_at: AwareDatetime = Field(description="When the node process started.")
    devices: list[DeviceDescription] = Field(default_factory=list, description="Devices on this node.")
    node_commands: list[str] = Field(
        default_factory=lambda: ["rebirth", "replay_from"], description="Node-level actions accepted."
    )
    ts: AwareDatetime = Field(default_factory=utcnow, description="When this birth was published.")


class DeviceState(ContractModel):
    """Retained on ``devices/{device}/state``: the device's current snapshot."""

    kind: str = Field(description="Device kind, as in the birth message.")
    seq: int = Field(ge=0, description="Per-device state counter, increasing with every change.")
    birth_seq: int = Field(ge=0, description="Connection counter of the node when published.")
    ts: AwareDatetime = Field(default_factory=utcnow, description="When the state was observed.")
    state: dict[str, Any] = Field(default_factory=dict, description="Kind-specific state.")


class Event(ContractModel):
    """QoS 1 on ``devices/{device}/events``; written to the edge's outbox before it is published."""

    event_id: str = Field(min_length=1, max_length=64, description="UUIDv7, unique; the control room dedupes on it.")
    seq: int = Field(ge=1, description="Per-node monotonic sequence number, for gap detection.")
    birth_seq: int = Field(ge=0, description="Connection counter of the node when the event was created.")
    ts: AwareDatetime = Field(description="When the event happened.")
    type: str = Field(min_length=1, max_length=100, description="Dotted event type, e.g. lighting.level_changed.")
    severity: Severity = Field(default=Severity.INFO, description="Severity of the event.")
    replayed: bool = Field(default=False, description="True when published after a reconnect or on request.")
    data: dict[str, Any] = Field(default_factory=dict, description="Type-specific content.")


class Alert(ContractModel):
    """Retained on ``devices/{device}/alerts/{alert_id}`` while the condition is active."""

    alert_id: Id = Field(description="Stable id of the condition on this device, e.g. lamp_failure.lamp-12.")
    type: str = Field(min_length=1, max_length=100, description="Condition type, e.g. lamp_failure, camera_stall.")
    severity: Severity = Field(description="Severity; priority 1-5 follows from it.")
    message: str = Field(min_length=1, max_length=500, description="One sentence for the operator.")
    raised_at: AwareDatetime = Field(description="When the condition was first seen.")
    location: str | None = Field(default=None, max_length=200, description="Location label of what is affected.")
    data: dict[str, Any] = Field(default_factory=dict, description="Condition-specific detail.")
    snapshot_jpeg: str | None = Field(
        default=None, max_length=350_000, description="Base64 JPEG snapshot (CCTV alerts), at most ~256 KiB."
    )


class Approval(ContractModel):
    """The second person's approval carried in a sensitive command."""

    request_id: str = Field(min_length=1, max_length=64, description="Approval request id in the control room.")
    requested_by: str = Field(min_length=1, max_length=64, description="Who asked for the action.")
    approved_by: str = Field(min_length=1, max_length=64, description="The supervisor who approved it.")
    approved_at: AwareDatetime = Field(description="When it was approved.")


class Command(ContractModel):
    """QoS 1 on ``devices/{device}/commands``; MQTT 5 message-expiry, response topic and correlation data set."""

    command_id: str = Field(min_length=1, max_length=64, description="Unique id; executed at most once.")
    issued_by: str = Field(min_length=1, max_length=64, description="Username of the person who issued it.")
    issued_at: AwareDatetime = Field(description="When the control room issued it.")
    expires_at: AwareDatetime = Field(description="After this instant the edge must not execute it.")
    mode: Literal["live", "test"] = Field(default="live", description="Test commands are executed as tests.")
    action: str = Field(min_length=1, max_length=64, description="Action name, e.g. set_level.")
    args: dict[str, Any] = Field(default_factory=dict, description="Action arguments, validated by the device.")
    approval: Approval | None = Field(default=None, description="Present when the action needed two people.")


class NodeCommand(ContractModel):
    """QoS 1 on ``nodes/{node}/commands``."""

    command_id: str = Field(min_length=1, max_length=64, description="Unique id; executed at most once.")
    issued_by: str = Field(min_length=1, max_length=64, description="Who or what issued it.")
    issued_at: AwareDatetime = Field(description="When it was issued.")
    expires_at: AwareDatetime = Field(description="After this instant the edge must not execute it.")
    action: Literal["rebirth", "replay_from"] = Field(description="Node-level action.")
    args: dict[str, Any] = Field(default_factory=dict, description="replay_from: {seq: int}.")


class CommandResponse(ContractModel):
    """QoS 1 on ``control/{host}/responses``: one stage of a command."""

    command_id: str = Field(min_length=1, max_length=64, description="The command answered.")
    node: Id = Field(description="Node that answers.")
    device: Id | None = Field(default=None, description="Device addressed; null for node commands.")
    stage: CommandStage = Field(description="accepted, then succeeded | failed; or rejected | expired.")
    code: str = Field(default="ok", min_length=1, max_length=64, description="Machine-readable reason.")
    message: str = Field(default="", max_length=1000, description="One sentence for the operator.")
    progress: str | None = Field(
        default=None, max_length=64, description="Domain step while accepted, e.g. PA queued/playing."
    )
    state_after: dict[str, Any] | None = Field(default=None, description="Device state after a terminal stage.")
    ts: AwareDatetime = Field(default_factory=utcnow, description="When the edge reached this stage.")


M = TypeVar("M", bound=BaseModel)


def encode(model: BaseModel) -> bytes:
    """Serialise a payload to compact UTF-8 JSON."""
    return model.model_dump_json(exclude_none=False).encode()


def decode(model: type[M], payload: bytes | str) -> M:
    """Parse and validate a payload, raising :class:`PayloadError` with a message that names the problem."""
    try:
        raw = json.loads(payload)
    except (UnicodeDecodeError, json.JSONDecodeError) as err:
        raise PayloadError(f"{model.__name__}: payload is not valid JSON ({err})") from err
    if not isinstance(raw, dict):
        raise PayloadError(f"{model.__name__}: payload must be a JSON object, got {type(raw).__name__}")
    try:
        return model.model_validate(raw)
    except ValidationError as err:
        raise PayloadError(f"{model.__name__}: {describe_validation_error(err)}") from err


def describe_validation_error(err: ValidationError) -> str:
    """One line per problem, each naming the offending field: ``field.sub: message``."""
    parts = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(root)"
        parts.append(f"{loc}: {e['msg']}")
    return "; ".join(parts)
