"""Override requests, and the override of every lighting zone at once (a sensitive action: two-person rule).

An all-zones override becomes one ``override`` command per zone, on whichever node holds it. The plan is built
when the request arrives and again when a supervisor approves it; the zones must be the same both times.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from control_room.sensitive import (
    LIGHTING_OVERRIDE_ALL,
    CommandSpec,
    PlanInvalid,
    SensitivePlan,
    duration_words,
    mode_word,
    quoted,
)
from control_room.store.models import Device
from edge.contract.lighting import INCIDENT_PRIORITY, LIGHTING_ZONE, MAX_HOLD_S, OverrideArgs
from edge.contract.payloads import describe_validation_error

LIGHTING_TTL_S = 30
ALL_ZONES = ("all", "*")


class OverrideRequest(BaseModel):
    """An incident override: a level for a while, then back to the schedule."""

    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=0, le=100, description="Level in percent.")
    duration_s: int = Field(ge=1, le=MAX_HOLD_S, description="How long, in seconds (at most 7 days).")
    reason: str = Field(min_length=1, max_length=500, description="Why, e.g. the incident reference.")
    priority: int = Field(default=INCIDENT_PRIORITY, ge=0, le=255, description="Higher wins when overrides overlap.")
    fade_ms: int = Field(default=0, ge=0, le=60_000, description="Fade time.")
    mode: Literal["live", "test"] = Field(default="live", description="test: the edge validates but changes nothing.")

    def args(self) -> OverrideArgs:
        """The ``override`` command's arguments."""
        return OverrideArgs(
            level=self.level,
            duration_s=self.duration_s,
            reason=self.reason,
            priority=self.priority,
            fade_ms=self.fade_ms,
        )


def plan_override_all(s: Session, body: OverrideRequest) -> SensitivePlan:
    """One override per lighting zone known now. PlanInvalid when there is none or a zone id is ambiguous."""
    zones = list(s.execute(select(Device).where(Device.kind == LIGHTING_ZONE).order_by(Device.id)).scalars())
    if not zones:
        raise PlanInvalid("no lighting zone is known yet")
    ids = [z.id for z in zones]
    twice = sorted({z for z in ids if ids.count(z) > 1})
    if twice:
        raise PlanInvalid(f"zone id(s) {', '.join(twice)} are claimed by several nodes")
    args: dict[str, Any] = body.args().model_dump()
    shown = ", ".join(ids[:6]) + (f" and {len(ids) - 6} more" if len(ids) > 6 else "")
    summary = (
        f"{mode_word(body.mode)} override of all {len(ids)} lighting zones ({shown}) to {body.level}% for "
        f"{duration_words(body.duration_s)}: {quoted(body.reason)}"
    )
    return SensitivePlan(
        action=LIGHTING_OVERRIDE_ALL,
        summary=summary,
        params=body.model_dump(mode="json"),
        mode=body.mode,
        targets={"zones": [{"node_id": z.node_id, "zone": z.id} for z in zones]},
        commands=[CommandSpec(z.node_id, z.id, "override", args, LIGHTING_TTL_S) for z in zones],
    )


def replan_override_all(s: Session, params: dict[str, Any]) -> SensitivePlan:
    """A stored all-zones override, checked again now."""
    try:
        body = OverrideRequest.model_validate(params)
    except ValidationError as err:
        raise PlanInvalid(describe_validation_error(err)) from err
    return plan_override_all(s, body)
