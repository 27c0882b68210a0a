"""Response models of the lighting API, built from the devices' latest retained states."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from control_room.store.models import Device
from edge.contract.lighting import OverrideView, ScheduleView


class ZonePublic(BaseModel):
    """A lighting zone: commanded vs reported, the override in force, its schedule and faults."""

    id: str = Field(description="Zone id.")
    node_id: str = Field(description="Edge node that controls it.")
    label: str = Field(description="Name.")
    location: str | None = Field(description="Location label.")
    commanded: int | None = Field(description="Level the zone was last driven to, percent.")
    reported: int | None = Field(description="Level reported by its luminaires (minimum of those online).")
    luminaires: int | None = Field(description="Luminaires in the zone.")
    online: int | None = Field(description="Luminaires online.")
    at_level: int | None = Field(description="Online luminaires at the commanded level.")
    faults: list[str] = Field(description="Luminaires with an active fault.")
    revert_at: str | None = Field(description="When the override in force ends.")
    source: Literal["schedule", "override", "manual"] | None = Field(description="What sets the level now.")
    override: OverrideView | None = Field(description="The override in force; null when none.")
    overrides: list[OverrideView] = Field(description="Every override held, highest priority first.")
    schedule: ScheduleView | None = Field(description="The zone's schedule; null when it follows none.")
    hardware: dict[str, int] = Field(description="Luminaires by hardware kind (mqtt, dali).")
    not_at_level: list[str] = Field(description="Online luminaires that did not reach the commanded level.")
    energy_today_kwh: float | None = Field(description="Energy used today (local day), kWh.")
    state_ts: datetime | None = Field(description="When the state was observed.")


class LuminairePublic(BaseModel):
    """A luminaire: a street-light node or a DALI control gear."""

    id: str = Field(description="Luminaire id.")
    node_id: str = Field(description="Edge node.")
    label: str = Field(description="Name.")
    location: str | None = Field(description="Location label.")
    zone: str | None = Field(description="Zone.")
    hardware: str | None = Field(description="mqtt or dali.")
    online: bool | None = Field(description="Reachable.")
    level: int | None = Field(description="Reported level, percent.")
    power_w: float | None = Field(description="Power in watts (DALI: estimated).")
    energy_wh: float | None = Field(description="Energy in watt-hours (DALI: estimated).")
    faults: list[str] = Field(description="Active fault codes; OFFLINE when it does not answer.")
    state_ts: datetime | None = Field(description="When the state was observed.")


class CommandAccepted(BaseModel):
    """A command on its way; follow it at /api/v1/commands/{command_id} or on the stream."""

    command_id: str = Field(description="Id of the command.")
    stage: str = Field(description="Current stage.")
    node_id: str = Field(description="Target node.")
    expires_at: datetime = Field(description="Not executed after this.")


class OverrideAccepted(CommandAccepted):
    """An override on its way; its id is the command id."""

    override_id: str = Field(description="Id of the override (for DELETE ...?override_id=).")


class OverridesCleared(BaseModel):
    """The overrides of an all-zones override being ended, one ``clear_override`` per zone."""

    commands: list[CommandAccepted] = Field(description="One command per zone.")
    zones: list[str] = Field(description="Zones whose override is being ended, in the order of commands.")


class NodeSchedule(BaseModel):
    """The schedule document in force on one edge node."""

    node_id: str = Field(description="Edge node.")
    schedule: dict[str, Any] | None = Field(description="The document (profiles, calendars, zones).")
    source: str | None = Field(description="config (the node's TOML), control_room, or none.")
    updated_at: datetime | None = Field(description="When the control room last replaced it.")
    updated_by: str | None = Field(description="Who replaced it.")
    zones: list[str] = Field(description="The node's zones.")
    state_ts: datetime | None = Field(description="When the node reported it.")


class SchedulesReplaced(BaseModel):
    """One ``set_schedules`` command per lighting node."""

    model_config = ConfigDict(from_attributes=True)
    commands: list[CommandAccepted] = Field(description="The commands sent, one per node.")


def _override(raw: Any) -> OverrideView | None:
    if not isinstance(raw, dict):
        return None
    try:
        return OverrideView.model_validate(raw)
    except ValidationError:
        return None


def zone_view(dev: Device) -> ZonePublic:
    """A zone from its device row."""
    st: dict[str, Any] = dev.state or {}
    schedule = None
    if isinstance(st.get("schedule"), dict):
        try:
            schedule = ScheduleView.model_validate(st["schedule"])
        except ValidationError:
            schedule = None
    return ZonePublic(
        id=dev.id,
        node_id=dev.node_id,
        label=dev.label,
        location=dev.location,
        commanded=st.get("commanded"),
        reported=st.get("reported"),
        luminaires=st.get("luminaires"),
        online=st.get("online"),
        at_level=st.get("at_level"),
        faults=list(st.get("faults", [])),
        revert_at=st.get("revert_at"),
        source=st.get("source"),
        override=_override(st.get("override")),
        overrides=[o for raw in st.get("overrides", []) if (o := _override(raw)) is not None],
        schedule=schedule,
        hardware=dict(st.get("hardware", {})),
        not_at_level=list(st.get("not_at_level", [])),
        energy_today_kwh=st.get("energy_today_kwh"),
        state_ts=dev.state_ts,
    )


def luminaire_view(dev: Device) -> LuminairePublic:
    """A luminaire from its device row (offline shows as the fault OFFLINE)."""
    st: dict[str, Any] = dev.state or {}
    faults = list(st.get("faults", []))
    if st.get("online") is False and "OFFLINE" not in faults:
        faults.append("OFFLINE")
    return LuminairePublic(
        id=dev.id,
        node_id=dev.node_id,
        label=dev.label,
        location=dev.location,
        zone=st.get("zone") or dev.capabilities.get("zone"),
        hardware=st.get("hardware") or dev.capabilities.get("hardware"),
        online=st.get("online"),
        level=st.get("level"),
        power_w=st.get("power_w"),
        energy_wh=st.get("energy_wh"),
        faults=faults,
        state_ts=dev.state_ts,
    )


def schedule_view(dev: Device) -> NodeSchedule:
    """A node's schedule from its lighting controller device."""
    st: dict[str, Any] = dev.state or {}
    updated = st.get("updated_at")
    return NodeSchedule(
        node_id=dev.node_id,
        schedule=st.get("schedule"),
        source=st.get("source"),
        updated_at=datetime.fromisoformat(updated) if isinstance(updated, str) else None,
        updated_by=st.get("updated_by"),
        zones=list(st.get("zones", dev.capabilities.get("zones", []))),
        state_ts=dev.state_ts,
    )
