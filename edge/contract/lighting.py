"""Lighting actions and state carried on the contract.

Device kinds: ``lighting_zone`` (commands ``set_level``, ``override``, ``clear_override``), ``luminaire`` (MQTT
street-light node or DALI control gear; no commands), ``dali_gateway`` (a LUBA gateway and its lines; no
commands) and ``lighting_controller`` (device ``lighting``: the node's schedules, command ``set_schedules``).
"""

from __future__ import annotations

from typing import Literal

from pydantic import AwareDatetime, Field

from edge.contract.lighting_schedule import ScheduleConfig
from edge.contract.payloads import Approval, ContractModel

LIGHTING_ZONE = "lighting_zone"
LUMINAIRE = "luminaire"
DALI_GATEWAY = "dali_gateway"
LIGHTING_CONTROLLER = "lighting_controller"
CONTROLLER_DEVICE = "lighting"
ENERGY_EVENT = "lighting.energy"

MANUAL_PRIORITY = 50
INCIDENT_PRIORITY = 100
MAX_HOLD_S = 7 * 24 * 3600


class SetLevelArgs(ContractModel):
    """``set_level``: the zone's desired level (desired state, not a step).

    Without ``duration_s`` the level holds until the zone's schedule next changes (or, for a zone without a
    schedule, until another level is set); with it, the zone returns to its schedule afterwards.
    """

    level: int = Field(ge=0, le=100, description="Desired light level in percent.")
    duration_s: int | None = Field(
        default=None,
        ge=1,
        le=MAX_HOLD_S,
        description="Hold for this long, then return to the schedule (or the previous level).",
    )
    fade_ms: int = Field(default=0, ge=0, le=60_000, description="Fade time requested of the luminaires.")


class OverrideArgs(ContractModel):
    """``override``: hold a zone at a level for a while (an incident); stacks by priority, expires by itself."""

    level: int = Field(ge=0, le=100, description="Level in percent while the override is in force.")
    duration_s: int = Field(ge=1, le=MAX_HOLD_S, description="How long the override lasts.")
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the incident reference.")
    priority: int = Field(
        default=INCIDENT_PRIORITY, ge=0, le=255, description="Higher wins when overrides overlap (manual levels: 50)."
    )
    fade_ms: int = Field(default=0, ge=0, le=60_000, description="Fade time requested of the luminaires.")


class ClearOverrideArgs(ContractModel):
    """``clear_override``: end an override early; without an id, the override in force now."""

    override_id: str | None = Field(default=None, min_length=1, max_length=64, description="Which override.")


class SetSchedulesArgs(ContractModel):
    """``set_schedules`` (device ``lighting``): replace the node's schedule document (kept on the node's disk)."""

    schedule: ScheduleConfig = Field(description="The new schedule document; its zones must be this node's.")


class OverrideView(ContractModel):
    """An override as shown in a zone's state."""

    id: str = Field(description="Override id (the command id that created it).")
    level: int = Field(ge=0, le=100, description="Level in percent.")
    priority: int = Field(ge=0, le=255, description="Higher wins.")
    kind: Literal["incident", "manual"] = Field(description="An incident override or a manual level.")
    reason: str = Field(default="", description="Why.")
    issued_by: str = Field(default="", description="Who asked for it.")
    starts_at: AwareDatetime = Field(description="When it took effect.")
    expires_at: AwareDatetime = Field(description="When it ends by itself.")
    approval: Approval | None = Field(
        default=None, description="All-zones override: the supervisor's approval it carried (two-person rule)."
    )


class ScheduleView(ContractModel):
    """Where a zone's schedule stands."""

    calendar: str = Field(description="Calendar the zone follows.")
    level: int = Field(ge=0, le=100, description="Scheduled level now.")
    profile: str | None = Field(default=None, description="Profile of the step in force.")
    step: str | None = Field(default=None, description="Step in force, e.g. 'sunset' or 'sunrise-15min'.")
    next_change: AwareDatetime | None = Field(default=None, description="When the scheduled level next changes.")


class LuminaireState(ContractModel):
    """State of one luminaire as reported by its controller (MQTT) or read from its control gear (DALI)."""

    online: bool = Field(description="Controller reachable / gear answering.")
    level: int | None = Field(default=None, ge=0, le=100, description="Reported level in percent.")
    power_w: float | None = Field(default=None, ge=0, description="Power draw in watts (DALI: estimated).")
    energy_wh: float | None = Field(default=None, ge=0, description="Energy in watt-hours (DALI: estimated).")
    faults: list[str] = Field(default_factory=list, description="Active fault codes.")
    zone: str | None = Field(default=None, description="Lighting zone the luminaire belongs to.")
    hardware: Literal["mqtt", "dali"] = Field(default="mqtt", description="How the luminaire is reached.")
    arc_level: int | None = Field(default=None, ge=0, le=255, description="DALI: actual arc power level.")


class LightingZoneState(ContractModel):
    """State of a lighting zone: what was commanded, why, and what its luminaires report."""

    commanded: int | None = Field(default=None, ge=0, le=100, description="Level the zone was last driven to.")
    reported: int | None = Field(
        default=None,
        ge=0,
        le=100,
        description="Level reported by the zone's luminaires (the minimum of those online).",
    )
    luminaires: int = Field(ge=0, description="Number of luminaires in the zone.")
    online: int = Field(ge=0, description="Luminaires currently online.")
    at_level: int = Field(ge=0, description="Online luminaires that report the commanded level.")
    faults: list[str] = Field(default_factory=list, description="Luminaire ids with an active fault.")
    revert_at: str | None = Field(default=None, description="When the override in force ends (ISO 8601).")
    source: Literal["schedule", "override", "manual"] | None = Field(
        default=None, description="What sets the level now; null when nothing has yet."
    )
    override: OverrideView | None = Field(default=None, description="The override in force; null when none.")
    overrides: list[OverrideView] = Field(default_factory=list, description="Every override held, highest first.")
    schedule: ScheduleView | None = Field(default=None, description="The zone's schedule; null when it has none.")
    hardware: dict[str, int] = Field(default_factory=dict, description="Luminaires by hardware kind (mqtt, dali).")
    not_at_level: list[str] = Field(
        default_factory=list, description="Online luminaires that did not reach the commanded level after retries."
    )
    energy_today_kwh: float | None = Field(default=None, ge=0, description="Energy used today (local day).")


class DaliLineState(ContractModel):
    """One DALI line of a gateway."""

    line: int = Field(ge=0, description="Line number on the gateway.")
    powered: bool | None = Field(default=None, description="Bus power present; null until known.")
    gear: int = Field(ge=0, description="Configured control gear on the line.")
    answering: int = Field(ge=0, description="Gear that answered their last poll.")
    groups_known: bool = Field(default=False, description="Group memberships read from the gear.")


class DaliGatewayState(ContractModel):
    """A LUBA DALI gateway."""

    connected: bool = Field(description="The gateway's port is open and answering.")
    lines: list[DaliLineState] = Field(default_factory=list, description="Its lines.")


class LightingControllerState(ContractModel):
    """The node's lighting schedules (device ``lighting``)."""

    schedule: ScheduleConfig | None = Field(default=None, description="The schedule document in force.")
    source: Literal["config", "control_room", "none"] = Field(description="Where the document came from.")
    updated_at: AwareDatetime | None = Field(default=None, description="When the control room last replaced it.")
    updated_by: str | None = Field(default=None, description="Who replaced it.")
    zones: list[str] = Field(default_factory=list, description="Zones of this node.")


class EnergyReport(ContractModel):
    """Data of a ``lighting.energy`` event: one zone's energy on one local day (the latest report wins)."""

    zone: str = Field(description="Zone id.")
    day: str = Field(pattern=r"^\d{4}-\d{2}-\d{2}$", description="Local date (the schedule's time zone).")
    kwh: float = Field(ge=0, description="Measured plus estimated energy.")
    measured_kwh: float = Field(ge=0, description="From street-light node meters.")
    estimated_kwh: float = Field(ge=0, description="DALI gear: level x rated power over time.")
    final: bool = Field(default=False, description="The day is over: no later report for it will follow.")
