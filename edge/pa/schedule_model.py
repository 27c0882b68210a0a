"""Settings of scheduled announcements and of the system test."""

from __future__ import annotations

from datetime import time

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, model_validator


class ScheduleSettings(BaseModel):
    """An announcement made at set times: once (``at``), daily at ``times`` on ``weekdays``, or ``every_s``."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Schedule id.")
    zones: list[int] | None = Field(default=None, description="Zone numbers (or give 'group').")
    group: str | None = Field(default=None, description="A zone group name (or give 'zones').")
    message_id: int | None = Field(default=None, ge=1, le=255, description="Pre-recorded message (or 'text').")
    text: str | None = Field(default=None, description="Text to speak (or 'message_id').")
    priority: str | int = Field(default="routine", description="Priority name or number 0-255.")
    at: AwareDatetime | None = Field(default=None, description="One-off: when.")
    times: list[time] = Field(default_factory=list, description="Recurring: local times of day.")
    weekdays: list[int] = Field(
        default_factory=lambda: list(range(7)), description="Recurring: days (0 = Monday … 6 = Sunday)."
    )
    every_s: int | None = Field(default=None, ge=60, description="Recurring: period in seconds (from 'start').")
    start: AwareDatetime | None = Field(default=None, description="First occurrence of an 'every_s' schedule.")
    until: AwareDatetime | None = Field(default=None, description="No occurrences after this.")
    timezone: str = Field(default="Europe/London", description="Time zone of 'times'.")

    @model_validator(mode="after")
    def _one_kind(self) -> ScheduleSettings:
        kinds = [self.at is not None, bool(self.times), self.every_s is not None]
        if sum(kinds) != 1:
            raise ValueError("give exactly one of 'at', 'times' or 'every_s'")
        if (self.zones is None) == (self.group is None):
            raise ValueError("give exactly one of 'zones' or 'group'")
        if (self.message_id is None) == (self.text is None):
            raise ValueError("give exactly one of 'message_id' or 'text'")
        if any(not 0 <= d <= 6 for d in self.weekdays):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        if self.every_s is not None and self.start is None:
            raise ValueError("'every_s' needs 'start'")
        return self


class SystemTestSettings(BaseModel):
    """The system test: quiet (line supervision, no sound) unless made audible; never more often than allowed."""

    model_config = ConfigDict(extra="forbid")

    audible: bool = Field(default=False, description="Play a test message (otherwise a silent supervision check).")
    message_id: int | None = Field(default=None, ge=1, le=255, description="Message an audible test plays.")
    zones: list[int] | None = Field(default=None, description="Zones an audible test plays in (default: all).")
    priority: str | int = Field(default="background", description="Priority of an audible test.")
    min_interval_s: float = Field(
        default=7 * 24 * 3600, ge=60, description="A test never runs sooner than this after the previous one."
    )
    times: list[time] = Field(default_factory=list, description="Local times to try a test (empty: on request only).")
    weekdays: list[int] = Field(default_factory=lambda: [0], description="Days to try (0 = Monday … 6 = Sunday).")
    timezone: str = Field(default="Europe/London", description="Time zone of 'times'.")

    @model_validator(mode="after")
    def _audible_needs_message(self) -> SystemTestSettings:
        if self.audible and self.message_id is None:
            raise ValueError("an audible system test needs 'message_id'")
        return self
