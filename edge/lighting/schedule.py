"""What level a zone should have at time t, from its calendar, profiles and the sun. Pure: no clock, no I/O.

The edge's lighting service calls :func:`level_at` (and :func:`next_change` to know when to look again) on its
own clock, so the schedule keeps running when the broker or the control room is unreachable.

Clock changes (Europe/London): a clock-time step is placed on its local date with ``fold=0``. A time in the
skipped spring hour (01:00-01:59 on the last Sunday of March) therefore happens at the instant it names in GMT,
which the clock shows one hour later; a time in the repeated autumn hour happens at its first (BST) occurrence.
All instants are computed and returned in UTC: Python compares and adds datetimes that share a ``ZoneInfo`` by
wall clock, which is wrong across a clock change.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from edge.contract.lighting_schedule import ScheduleConfig, Step
from edge.lighting.astro import SunEvent, sun_time

_AFTER_MIDNIGHT = frozenset({"sunrise", "civil_dawn"})
_NOON = dt.time(12, 0)


class ScheduleError(ValueError):
    """The schedule cannot answer (unknown zone, naive time)."""


@dataclass(frozen=True, slots=True)
class StepInstant:
    """A step placed in time for one night."""

    at: dt.datetime
    level: int
    night: dt.date
    profile: str
    step: str


@dataclass(frozen=True, slots=True)
class ScheduledLevel:
    """The scheduled level at a moment, the step that set it, and when the schedule next changes."""

    level: int
    since: dt.datetime | None
    profile: str | None
    step: str | None
    next_change: dt.datetime | None


def _step_time(step: Step, night: dt.date, config: ScheduleConfig) -> dt.datetime:
    tz = ZoneInfo(config.timezone)
    clock = step.clock()
    if clock is None:
        event: SunEvent = step.at  # type: ignore[assignment]
        day = night + dt.timedelta(days=1) if step.at in _AFTER_MIDNIGHT else night
        base = sun_time(event, day, config.latitude, config.longitude, config.timezone)
    else:
        day = night if clock >= _NOON else night + dt.timedelta(days=1)
        base = dt.datetime.combine(day, clock, tzinfo=tz)
    return base.astimezone(dt.UTC) + dt.timedelta(minutes=step.offset_min)


def night_steps(config: ScheduleConfig, calendar: str, night: dt.date) -> list[StepInstant]:
    """The steps of the night starting on ``night``, placed in time (monotonic: a late step is clamped)."""
    name = config.calendars[calendar].profile_for(night)
    placed: list[StepInstant] = []
    for step in config.profiles[name].steps:
        at = _step_time(step, night, config)
        if placed and at < placed[-1].at:
            at = placed[-1].at
        label = step.at if not step.offset_min else f"{step.at}{step.offset_min:+d}min"
        placed.append(StepInstant(at, step.level, night, name, label))
    return placed


def _calendar_of(config: ScheduleConfig, zone: str) -> str:
    try:
        return config.zones[zone]
    except KeyError as err:
        raise ScheduleError(
            f"zone {zone!r} has no schedule (known: {', '.join(sorted(config.zones)) or 'none'})"
        ) from err


def _local_date(config: ScheduleConfig, t: dt.datetime) -> dt.date:
    if t.tzinfo is None or t.utcoffset() is None:
        raise ScheduleError(f"time {t.isoformat()} has no time zone; pass an aware datetime")
    return t.astimezone(ZoneInfo(config.timezone)).date()


def level_at(config: ScheduleConfig, zone: str, t: dt.datetime) -> ScheduledLevel:
    """The level ``zone`` should have at ``t`` by its schedule (0 if no step has happened in the last two nights)."""
    calendar = _calendar_of(config, zone)
    today = _local_date(config, t)
    t = t.astimezone(dt.UTC)
    instants: list[StepInstant] = []
    for back in (3, 2, 1, 0, -1):
        instants += night_steps(config, calendar, today - dt.timedelta(days=back))
    past = [i for i in instants if i.at <= t]
    future = [i.at for i in instants if i.at > t]
    upcoming = min(future) if future else None
    if not past:
        return ScheduledLevel(0, None, None, None, upcoming)
    current = max(enumerate(past), key=lambda p: (p[1].at, p[0]))[1]  # of equal instants, the later step
    changes = [i.at for i in instants if i.at > t and i.level != current.level]
    return ScheduledLevel(current.level, current.at, current.profile, current.step, min(changes, default=upcoming))


def next_change(config: ScheduleConfig, zone: str, t: dt.datetime) -> dt.datetime | None:
    """When the scheduled level of ``zone`` next differs from its level at ``t``."""
    return level_at(config, zone, t).next_change
