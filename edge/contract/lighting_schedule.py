"""Lighting schedule documents: dimming profiles, calendars with exceptions, zones → calendars.

Part of the contract: the edge reads one from its TOML config, the control room validates one before sending it
to the edge (``set_schedules``). Close to TALQ's calendar model (programs of steps anchored on sunset/sunrise with
offsets, calendars choosing a program per day, exceptions first) so a TALQ adapter can map one to one. Pure.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

# Guildhall, the City of London Corporation's seat.
CITY_LATITUDE = 51.5155
CITY_LONGITUDE = -0.0922
CITY_TIMEZONE = "Europe/London"

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")
SUN_ANCHORS = ("sunset", "sunrise", "civil_dusk", "civil_dawn")
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[Weekday, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Step(_Model):
    """From this moment of the night on, the level is ``level``."""

    at: str = Field(
        description="'sunset', 'sunrise', 'civil_dusk', 'civil_dawn', or a local clock time 'HH:MM' or 'HH:MM:SS'."
    )
    offset_min: int = Field(default=0, ge=-240, le=240, description="Minutes after (negative: before) the anchor.")
    level: int = Field(ge=0, le=100, description="Light level in percent from this step on.")

    @field_validator("at")
    @classmethod
    def _known_anchor(cls, value: str) -> str:
        if value not in SUN_ANCHORS and not _CLOCK.match(value):
            raise ValueError(
                f"step time {value!r} is neither one of {', '.join(SUN_ANCHORS)} nor a clock time HH:MM[:SS]"
            )
        return value

    def clock(self) -> dt.time | None:
        """The clock time of a fixed step, ``None`` for a sun-anchored one."""
        m = _CLOCK.match(self.at)
        return dt.time(int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)) if m else None


class Profile(_Model):
    """One night's dimming program, steps in night order (e.g. 100 % at sunset, 60 % at 00:00, 0 at sunrise).

    A night starts on a date D: sunset and dusk are D's, sunrise and dawn are D+1's, clock times from 12:00 are
    on D and before 12:00 on D+1. A step that would come before the previous one takes effect with it.
    """

    steps: list[Step] = Field(min_length=1, description="Steps in the order they happen during the night.")


class CalendarException(_Model):
    """Nights (by the date they start) that use another profile, e.g. New Year's Eve or a street event."""

    start: dt.date = Field(description="First night (the date it starts).")
    end: dt.date | None = Field(default=None, description="Last night, inclusive; the start alone if omitted.")
    every_year: bool = Field(default=False, description="Match the month and day in every year.")
    profile: str = Field(description="Profile used on these nights.")
    reason: str = Field(default="", max_length=200, description="Why, for operators.")

    @model_validator(mode="after")
    def _ordered(self) -> CalendarException:
        if self.end is not None and self.end < self.start:
            raise ValueError(f"exception ends ({self.end}) before it starts ({self.start})")
        return self

    def covers(self, night: dt.date) -> bool:
        """Whether the night starting on ``night`` is covered."""
        end = self.end or self.start
        if not self.every_year:
            return self.start <= night <= end
        key = (night.month, night.day)
        first, last = (self.start.month, self.start.day), (end.month, end.day)
        return first <= key <= last if first <= last else (key >= first or key <= last)


class Calendar(_Model):
    """Which profile a night uses: the first matching exception, else its weekday's, else the default."""

    default: str = Field(description="Profile of an ordinary night.")
    weekdays: dict[Weekday, str] = Field(default_factory=dict, description="Profile by the weekday a night starts.")
    exceptions: list[CalendarException] = Field(default_factory=list, description="Special nights, first match wins.")

    def profile_for(self, night: dt.date) -> str:
        """The profile name for the night starting on ``night``."""
        for exception in self.exceptions:
            if exception.covers(night):
                return exception.profile
        return self.weekdays.get(WEEKDAYS[night.weekday()], self.default)


class ScheduleConfig(_Model):
    """Everything the edge needs to know what level each zone should have at any time, broker or not."""

    latitude: float = Field(default=CITY_LATITUDE, ge=-90, le=90, description="Latitude for sun times.")
    longitude: float = Field(default=CITY_LONGITUDE, ge=-180, le=180, description="Longitude for sun times.")
    timezone: str = Field(default=CITY_TIMEZONE, description="IANA time zone of clock-time steps.")
    profiles: dict[str, Profile] = Field(description="Dimming profiles by name.")
    calendars: dict[str, Calendar] = Field(description="Calendars by name.")
    zones: dict[str, str] = Field(default_factory=dict, description="Zone id → calendar name.")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as err:
            raise ValueError(f"unknown time zone {value!r}") from err
        return value

    @model_validator(mode="after")
    def _references_exist(self) -> ScheduleConfig:
        for name, cal in self.calendars.items():
            used = [cal.default, *cal.weekdays.values(), *(e.profile for e in cal.exceptions)]
            missing = sorted({p for p in used if p not in self.profiles})
            if missing:
                raise ValueError(f"calendar {name!r} uses unknown profile(s) {', '.join(missing)}")
        missing_cals = sorted({c for c in self.zones.values() if c not in self.calendars})
        if missing_cals:
            raise ValueError(f"zones use unknown calendar(s) {', '.join(missing_cals)}")
        return self
