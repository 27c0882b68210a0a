"""Response and request models of the PA API."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from edge.contract.pa import AnnounceArgs


class AnnouncementRequest(AnnounceArgs):
    """``POST /api/v1/pa/announcements``: the announce arguments plus mode and (with several PA systems) which."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mode: Literal["live", "test"] = Field(default="live", description="test: checked and planned, nothing played.")
    system: str | None = Field(
        default=None, max_length=130, description="PA system as 'node/device' or device id; needed if several."
    )


class AnnouncementAccepted(BaseModel):
    """The announcement is on its way to the edge; follow it at ``/api/v1/pa/announcements/{id}``."""

    id: str = Field(description="Announcement id (also the command_id).")
    state: str = Field(description="queued.")
    mode: str = Field(description="live or test.")
    node_id: str = Field(description="Edge node of the PA system.")
    system: str = Field(description="PA device id.")
    zones: list[int] = Field(description="Zones addressed.")
    expires_at: datetime = Field(description="Not started by the edge after this.")
    sensitive: bool = Field(description="All zones of the system (false here: such a request awaits approval).")


class ZoneOutcomePublic(BaseModel):
    """One zone of an announcement."""

    zone: int = Field(description="Zone number.")
    state: str = Field(description="queued, playing, completed, preempted, failed, cancelled, expired (or unknown).")
    reason: str = Field(default="", description="Why it failed, was pre-empted or cancelled.")
    plays: int = Field(default=0, description="Plays completed.")
    history: list[dict[str, Any]] = Field(default_factory=list, description="[{state, at, reason}] in order.")


class CommandBrief(BaseModel):
    """Where the command carrying the announcement stands."""

    stage: str = Field(description="pending, sent, accepted, succeeded, failed, rejected, expired, unknown.")
    code: str | None = Field(description="Reason code.")
    message: str | None = Field(description="Sentence for the operator.")
    progress: str | None = Field(description="Latest progress step.")


class AnnouncementPublic(BaseModel):
    """An announcement with its per-zone outcomes."""

    id: str = Field(description="Announcement id (the announce command's id).")
    state: str = Field(
        description="queued, playing, completed, preempted, failed, cancelled, expired; unknown when the edge "
        "never gave a final answer."
    )
    mode: str = Field(description="live or test (test: nothing was played).")
    node_id: str = Field(description="Edge node.")
    system: str | None = Field(description="PA device.")
    issued_by: str = Field(description="Who asked for it.")
    issued_at: datetime = Field(description="When.")
    priority: int | None = Field(description="Controller priority 0-255, once the edge took it.")
    priority_class: str | None = Field(description="evacuate, alert, announcement, routine or background.")
    content: str | None = Field(description="What is played.")
    reason: str = Field(default="", description="Summary of the reasons behind the state.")
    zones: dict[str, ZoneOutcomePublic] = Field(description="Outcome per zone number.")
    history: list[dict[str, Any]] = Field(default_factory=list, description="Overall states with times.")
    command: CommandBrief = Field(description="The carrying command.")
    calls: list[str] = Field(default_factory=list, description="Controller call ids used (for engineers).")
    plan: dict[str, Any] | None = Field(default=None, description="Test mode: what would have happened.")
    sensitive: bool = Field(description="All zones of the system.")
    approval: dict[str, Any] | None = Field(
        default=None, description="All zones: the supervisor's approval it carried {request_id, approved_by, …}."
    )


class PaZonePublic(BaseModel):
    """A loudspeaker zone."""

    node_id: str = Field(description="Edge node.")
    system: str = Field(description="PA device.")
    id: str = Field(description="Zone device id.")
    zone: int = Field(description="Zone number on the controller.")
    name: str = Field(description="Name.")
    state: str = Field(description="idle, busy, fault or unknown.")
    busy_with: str | None = Field(description="Announcement playing there.")
    priority: int | None = Field(description="Its priority.")
    queued: list[str] = Field(description="Announcements waiting for it.")
    faults: list[str] = Field(description="Active faults.")
    state_ts: datetime | None = Field(description="When observed.")


class PaMessagePublic(BaseModel):
    """A pre-recorded message in a controller."""

    node_id: str = Field(description="Edge node.")
    system: str = Field(description="PA device.")
    id: int = Field(description="Message slot.")
    name: str = Field(description="What it says.")
    duration_s: float = Field(description="Length in seconds.")


class PaSystemPublic(BaseModel):
    """A PA head-end and its controller link."""

    node_id: str = Field(description="Edge node.")
    id: str = Field(description="PA device id.")
    label: str = Field(description="Name.")
    connection: str | None = Field(description="connected, unreachable or disconnected (null before any report).")
    reason: str = Field(default="", description="Why not connected.")
    mode: str | None = Field(description="N normal, E emergency, F fault.")
    groups: dict[str, list[int]] = Field(description="Zone groups.")
    faults: list[dict[str, Any]] = Field(description="Faults listed by the controller.")
    active: list[str] = Field(description="Announcements in progress.")
    next_system_test: str | None = Field(description="Earliest next system test.")
    schedules: dict[str, str] = Field(description="Next occurrence of each schedule.")


class ActionRequest(BaseModel):
    """Body of cancel / all-clear."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=200, description="Why, for the record.")
    system: str | None = Field(default=None, max_length=130, description="All-clear: only this PA system.")
    mode: Literal["live", "test"] = Field(default="live", description="test: nothing is changed.")


class SystemTestRequest(BaseModel):
    """Body of a system test."""

    model_config = ConfigDict(extra="forbid")
    audible: bool | None = Field(default=None, description="Play the test message (default: the edge's setting).")
    system: str | None = Field(default=None, max_length=130, description="PA system, if several.")
    mode: Literal["live", "test"] = Field(default="live", description="test: nothing runs.")


class CommandsIssued(BaseModel):
    """Commands on their way; follow them at ``/api/v1/commands/{id}``."""

    command_ids: list[str] = Field(description="One per PA system addressed.")
    announcement_id: str | None = Field(default=None, description="Cancel: the announcement concerned.")


class TextCheckRequest(BaseModel):
    """Text to check before announcing it."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(max_length=10_000, description="The text an operator typed.")


class TextCheckResult(BaseModel):
    """Whether the text would be accepted."""

    ok: bool = Field(description="True when it can be spoken.")
    text: str | None = Field(default=None, description="The text as it would be spoken (spaces tidied).")
    problem: str | None = Field(default=None, description="What is wrong, naming the character or limit.")
    max_chars: int = Field(description="Length limit.")
