"""Public-address actions, state and events carried on the contract (device kinds ``pa`` and ``pa_zone``).

A node with a PA head-end has one ``pa`` device (the controller: commands, announcements, faults) and one
``pa_zone`` device per loudspeaker zone (``{pa}-zone-NN``). An announcement's id is the ``command_id`` of the
``announce`` command that made it. Free text is checked here, with the same rules the edge applies before
speaking it, so the control room can refuse bad text at once.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from drivers.pa.errors import TextRejected
from drivers.pa.text import DEFAULT_MAX_CHARS, check_text
from edge.contract.payloads import Approval, ContractModel

PA = "pa"
PA_ZONE = "pa_zone"
ACTIONS = ["announce", "cancel", "all_clear", "system_test"]
PRIORITY_NAMES = ("evacuate", "alert", "announcement", "routine", "background")
ANNOUNCEMENT_STATES = ("queued", "playing", "completed", "preempted", "failed", "cancelled", "expired")
PaPriority = Literal["evacuate", "alert", "announcement", "routine", "background"] | int


def zone_device_id(pa_device: str, zone: int) -> str:
    """Device id of a zone: ``pa-zone-03``."""
    return f"{pa_device}-zone-{zone:02d}"


def check_announcement_text(text: str, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The cleaned text, or ValueError naming the problem (empty, too long, control characters, markup)."""
    try:
        return check_text(text, max_chars)
    except TextRejected as err:
        raise ValueError(err.sentence) from err


class AnnounceArgs(ContractModel):
    """``announce``: what to play, where, how urgently."""

    zones: list[int] | None = Field(default=None, description="Zone numbers (or give 'group').")
    group: str | None = Field(default=None, max_length=64, description="A zone group, e.g. 'Bridges', 'All City'.")
    message_id: int | None = Field(default=None, ge=1, le=255, description="Pre-recorded message slot (or 'text').")
    text: str | None = Field(default=None, description="Text to speak with the edge's offline TTS (or 'message_id').")
    priority: PaPriority = Field(
        default="announcement",
        description="evacuate > alert > announcement > routine > background, or a number 0-255.",
    )
    repeat: int = Field(default=0, ge=0, le=9, description="Repeats after the first play.")
    interval_s: float = Field(default=0.0, ge=0, le=3600, description="Pause between plays (each play chimes).")
    chime: int | None = Field(default=None, ge=0, le=255, description="Chime id; default by priority, 0 for none.")
    on_preempt: Literal["resume", "drop"] | None = Field(
        default=None, description="A zone lost to a higher priority replays later or is dropped (default by priority)."
    )
    max_wait_s: float | None = Field(
        default=None, gt=0, le=86400, description="Queued zones expire after this long (default: the edge's)."
    )
    label: str = Field(default="", max_length=120, description="Operator's note shown with the announcement.")

    @field_validator("zones")
    @classmethod
    def _zones(cls, zones: list[int] | None) -> list[int] | None:
        if zones is not None:
            if not zones:
                raise ValueError("give at least one zone")
            if any(not 1 <= z <= 32 for z in zones):
                raise ValueError("zone numbers are 1-32")
            if len(set(zones)) != len(zones):
                raise ValueError("a zone is listed twice")
        return zones

    @field_validator("priority")
    @classmethod
    def _priority(cls, value: str | int) -> str | int:
        if isinstance(value, int) and not 0 <= value <= 255:
            raise ValueError("a numeric priority is 0-255")
        return value

    @field_validator("text")
    @classmethod
    def _text(cls, text: str | None) -> str | None:
        return None if text is None else check_announcement_text(text)

    @model_validator(mode="after")
    def _one_of_each(self) -> AnnounceArgs:
        if (self.zones is None) == (self.group is None):
            raise ValueError("give either 'zones' or 'group'")
        if (self.message_id is None) == (self.text is None):
            raise ValueError("give either 'message_id' or 'text'")
        return self


class CancelArgs(ContractModel):
    """``cancel``: stop one announcement now (queued zones dropped, playing zones aborted)."""

    announcement_id: str = Field(min_length=1, max_length=64, description="The announcement (its command_id).")
    reason: str = Field(default="", max_length=200, description="Why, for the record.")


class AllClearArgs(ContractModel):
    """``all_clear``: cancel every announcement and reset the controller's emergency state."""

    reason: str = Field(default="all clear", max_length=200, description="Why, for the record.")


class SystemTestArgs(ContractModel):
    """``system_test``: a line-supervision check (and, if asked or configured, a test message)."""

    audible: bool | None = Field(default=None, description="Play the test message (default: the edge's setting).")


class TransitionPayload(ContractModel):
    """One step of a lifecycle."""

    state: str = Field(description="State entered.")
    at: str = Field(description="When (UTC, ISO 8601).")
    reason: str = Field(default="", description="Why, when not obvious.")


class ZoneOutcomePayload(ContractModel):
    """One zone of an announcement."""

    zone: int = Field(description="Zone number.")
    state: str = Field(description="queued, playing, completed, preempted, failed, cancelled or expired.")
    reason: str = Field(default="", description="Sentence explaining a failure, pre-emption or cancellation.")
    plays: int = Field(default=0, description="Plays completed in this zone.")
    history: list[TransitionPayload] = Field(default_factory=list, description="Every state with its time.")


class AnnouncementPayload(ContractModel):
    """An announcement and its per-zone outcomes (in ``pa`` state and ``pa.announcement`` events)."""

    id: str = Field(description="Announcement id (the command_id that made it).")
    state: str = Field(description="Overall state (see ZoneOutcomePayload.state).")
    priority: int = Field(description="Controller priority 0-255.")
    priority_class: str = Field(description="evacuate, alert, announcement, routine or background.")
    content: str = Field(description="What is played: message slot and name, or the text spoken.")
    zones: dict[str, ZoneOutcomePayload] = Field(description="Outcome per zone number.")
    created_at: str = Field(description="When the edge took it (UTC, ISO 8601).")
    history: list[TransitionPayload] = Field(default_factory=list, description="Overall state changes.")
    label: str = Field(default="", description="Operator's note.")
    origin: str = Field(default="operator", description="operator, schedule:<id> or system-test.")
    reason: str = Field(default="", description="Summary of zone reasons for the current state.")
    mode: Literal["live", "test"] = Field(default="live", description="test: nothing was played.")
    calls: list[str] = Field(default_factory=list, description="Controller call ids used (4 hex digits each).")
    approval: Approval | None = Field(
        default=None, description="All zones: the supervisor's approval the announce command carried."
    )


class PaZoneState(ContractModel):
    """State of a ``pa_zone`` device."""

    zone: int = Field(description="Zone number on the controller.")
    name: str = Field(description="Zone name.")
    state: Literal["idle", "busy", "fault", "unknown"] = Field(description="What the zone is doing.")
    busy_with: str | None = Field(default=None, description="Announcement holding the zone.")
    priority: int | None = Field(default=None, description="Its priority.")
    queued: list[str] = Field(default_factory=list, description="Announcements waiting for the zone.")
    faults: list[str] = Field(default_factory=list, description="Active faults on the zone.")
    controller: str = Field(description="Controller's zone status: I idle, F fault, B<call><prio> busy, ? unknown.")


class PaFaultPayload(ContractModel):
    """A fault the controller reported."""

    fault_id: int = Field(description="Controller's fault id.")
    kind: str = Field(description="LINE_OPEN, LINE_SHORT, EARTH, AMP, MAINS, BATTERY, CHARGER, MSG_STORE, COMMS.")
    where: str = Field(description="Znn zone line, Ann amplifier, SYS controller.")
    description: str = Field(description="Sentence for the operator.")
    active: bool = Field(description="Still present.")
    zones: list[int] = Field(default_factory=list, description="Zones it takes out of service.")


class PaSystemState(ContractModel):
    """State of the ``pa`` device: the controller link, its mode, faults and announcements."""

    connection: Literal["connected", "unreachable", "disconnected"] = Field(description="Controller link.")
    reason: str = Field(default="", description="Why the link is not connected.")
    mode: str | None = Field(default=None, description="Controller mode: N normal, E emergency, F fault.")
    faults: list[PaFaultPayload] = Field(default_factory=list, description="Faults listed by the controller.")
    active: list[AnnouncementPayload] = Field(default_factory=list, description="Announcements not finished.")
    recent: list[AnnouncementPayload] = Field(default_factory=list, description="The last finished ones.")
    next_system_test: str | None = Field(default=None, description="Earliest time the next system test may run.")
    schedules: dict[str, str] = Field(default_factory=dict, description="Next occurrence of each schedule.")


def announcement_outcome_message(payload: AnnouncementPayload) -> str:
    """One sentence summarising an announcement's zones, e.g. 'completed in zones 1, 2; zone 3 failed: …'."""
    by_state: dict[str, list[int]] = {}
    for zone in payload.zones.values():
        by_state.setdefault(zone.state, []).append(zone.zone)
    parts = []
    for state, zones in sorted(by_state.items(), key=lambda kv: ANNOUNCEMENT_STATES.index(kv[0])):
        where = "zone " + str(zones[0]) if len(zones) == 1 else "zones " + ", ".join(map(str, sorted(zones)))
        reasons = {payload.zones[str(z)].reason for z in zones if payload.zones[str(z)].reason}
        parts.append(f"{state} in {where}" + (f" ({'; '.join(sorted(reasons))})" if reasons else ""))
    return "; ".join(parts)


def as_payload(data: dict[str, Any]) -> AnnouncementPayload:
    """Validate an announcement dict (from state or an event)."""
    return AnnouncementPayload.model_validate(data)
