"""Incident overrides stack by priority, expire on their own, and hand back to the schedule."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from edge.lighting.overrides import Override, expired, resolve, winning
from edge.lighting.schedule import ScheduledLevel

T0 = dt.datetime(2024, 12, 19, 22, 0, tzinfo=dt.UTC)
MIN = dt.timedelta(minutes=1)
SCHEDULE = ScheduledLevel(60, T0 - 60 * MIN, "standard", "00:00", T0 + 480 * MIN)


def override(oid: str, level: int, start_min: int, end_min: int, priority: int = 100, zone: str = "z") -> Override:
    return Override(
        id=oid, zone=zone, level=level, priority=priority, starts_at=T0 + start_min * MIN, expires_at=T0 + end_min * MIN
    )


def test_override_raises_then_returns_to_schedule_at_expiry() -> None:
    stack = [override("incident", 100, 0, 30)]
    during = resolve("z", T0 + 10 * MIN, SCHEDULE, stack)
    assert (during.level, during.source, during.until) == (100, "override", T0 + 30 * MIN)
    after = resolve("z", T0 + 30 * MIN, SCHEDULE, stack)
    assert (after.level, after.source, after.override) == (60, "schedule", None)
    assert expired(stack, T0 + 30 * MIN) == stack


def test_overrides_stack_by_priority_and_unwind_as_they_expire() -> None:
    stack = [
        override("police-cordon", 100, 0, 60, priority=200),
        override("event", 80, 0, 120, priority=100),
        override("lower-first", 30, 10, 20, priority=50),
    ]
    assert resolve("z", T0 + 15 * MIN, SCHEDULE, stack).level == 100
    assert resolve("z", T0 + 15 * MIN, SCHEDULE, stack).until == T0 + 20 * MIN  # next edge in the stack
    assert resolve("z", T0 + 60 * MIN, SCHEDULE, stack).level == 80
    assert resolve("z", T0 + 120 * MIN, SCHEDULE, stack).level == 60


def test_equal_priority_the_newest_wins_and_other_zones_are_untouched() -> None:
    stack = [override("a", 40, 0, 60), override("b", 90, 5, 60), override("c", 10, 0, 60, zone="other")]
    assert winning(stack, "z", T0 + 10 * MIN) == stack[1]
    assert winning(stack, "z", T0 + 1 * MIN) == stack[0]
    assert resolve("elsewhere", T0 + 10 * MIN, SCHEDULE, stack).source == "schedule"


def test_an_override_may_dim_below_the_schedule() -> None:
    assert resolve("z", T0, SCHEDULE, [override("dark-sky", 0, 0, 5)]).level == 0


@pytest.mark.parametrize(
    ("start", "end", "needle"),
    [(10, 10, "expires"), (0, 8 * 24 * 60, "more than 7 days")],
)
def test_bad_overrides_are_refused(start: int, end: int, needle: str) -> None:
    with pytest.raises(ValidationError, match=needle):
        override("x", 50, start, end)


def test_naive_times_are_refused() -> None:
    with pytest.raises(ValidationError, match="time zone"):
        Override(id="x", zone="z", level=1, starts_at=dt.datetime(2024, 1, 1), expires_at=dt.datetime(2024, 1, 2))
