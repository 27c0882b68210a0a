"""The schedule document lives in the contract (:mod:`edge.contract.lighting_schedule`); re-exported here."""

from edge.contract.lighting_schedule import (
    SUN_ANCHORS,
    WEEKDAYS,
    Calendar,
    CalendarException,
    Profile,
    ScheduleConfig,
    Step,
    Weekday,
)

__all__ = ["SUN_ANCHORS", "WEEKDAYS", "Calendar", "CalendarException", "Profile", "ScheduleConfig", "Step", "Weekday"]
