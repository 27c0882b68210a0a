"""Incident overrides: a zone held at a level for a while, stacking by priority, expiring on their own. Pure.

The highest-priority override active at t wins; among equal priorities the most recently started one. When it
expires the next one down (or the schedule) takes over without anyone having to cancel anything.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.contract.payloads import Approval
from edge.lighting.schedule import ScheduledLevel

MAX_DURATION = dt.timedelta(days=7)


class Override(BaseModel):
    """Hold ``zone`` at ``level`` from ``starts_at`` until ``expires_at``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=64, description="Override id (unique on the edge).")
    zone: str = Field(min_length=1, max_length=64, description="Zone the override holds.")
    level: int = Field(ge=0, le=100, description="Level in percent while the override is in force.")
    priority: int = Field(default=100, ge=0, le=255, description="Higher wins when overrides overlap.")
    starts_at: dt.datetime = Field(description="When it takes effect (aware).")
    expires_at: dt.datetime = Field(description="When it ends by itself (aware).")
    reason: str = Field(default="", max_length=500, description="Why, e.g. the incident reference.")
    issued_by: str = Field(default="", max_length=128, description="Who asked for it.")
    kind: Literal["incident", "manual"] = Field(
        default="incident", description="An incident override, or an operator's manual level held for a while."
    )
    approval: Approval | None = Field(
        default=None, description="All-zones override: the supervisor's approval its command carried."
    )

    @model_validator(mode="after")
    def _sane_window(self) -> Override:
        if self.starts_at.tzinfo is None or self.expires_at.tzinfo is None:
            raise ValueError("override times need a time zone")
        if self.expires_at <= self.starts_at:
            raise ValueError(f"override {self.id!r} expires ({self.expires_at}) before it starts ({self.starts_at})")
        if self.expires_at - self.starts_at > MAX_DURATION:
            raise ValueError(f"override {self.id!r} lasts more than {MAX_DURATION.days} days")
        return self

    def active(self, t: dt.datetime) -> bool:
        """In force at ``t``."""
        return self.starts_at <= t < self.expires_at


@dataclass(frozen=True, slots=True)
class ZoneTarget:
    """What a zone should be at now, why, and until when that answer holds."""

    level: int
    source: Literal["override", "schedule"]
    override: Override | None
    until: dt.datetime | None


def winning(overrides: Iterable[Override], zone: str, t: dt.datetime) -> Override | None:
    """The override in force for ``zone`` at ``t``, if any."""
    live = [o for o in overrides if o.zone == zone and o.active(t)]
    return max(live, key=lambda o: (o.priority, o.starts_at), default=None)


def resolve(zone: str, t: dt.datetime, scheduled: ScheduledLevel, overrides: Iterable[Override]) -> ZoneTarget:
    """Combine the schedule and the override stack into the level ``zone`` should have at ``t``."""
    mine = [o for o in overrides if o.zone == zone]
    top = winning(mine, zone, t)
    edges = [o.starts_at for o in mine if o.starts_at > t] + [o.expires_at for o in mine if o.expires_at > t]
    if scheduled.next_change is not None:
        edges.append(scheduled.next_change)
    until = min(edges, default=None)
    if top is not None:
        return ZoneTarget(top.level, "override", top, until)
    return ZoneTarget(scheduled.level, "schedule", None, until)


def expired(overrides: Iterable[Override], t: dt.datetime) -> list[Override]:
    """Overrides that have ended by ``t`` (for the service to drop and report)."""
    return [o for o in overrides if o.expires_at <= t]
