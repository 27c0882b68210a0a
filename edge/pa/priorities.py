"""Announcement priorities in voice-alarm order (EN 54-16 / BS 5839-8) mapped onto the controller's bands.

evacuate > alert (both in the emergency band 224-255, alert below evacuate) > operator announcement > scheduled /
routine (general band 32-223) > background (0-31). A number 0-255 may be given instead of a name.
"""

from __future__ import annotations

from enum import StrEnum

from drivers.pa.zones import EMERGENCY_MIN, GENERAL_MIN


class PriorityName(StrEnum):
    """Named priorities an operator picks."""

    EVACUATE = "evacuate"
    ALERT = "alert"
    ANNOUNCEMENT = "announcement"
    ROUTINE = "routine"
    BACKGROUND = "background"


PRIORITY_VALUES: dict[PriorityName, int] = {
    PriorityName.EVACUATE: 250,
    PriorityName.ALERT: 230,
    PriorityName.ANNOUNCEMENT: 160,
    PriorityName.ROUTINE: 80,
    PriorityName.BACKGROUND: 16,
}


def resolve_priority(value: str | int) -> int:
    """The controller priority 0-255 for a name or a number; ValueError naming the accepted values."""
    if isinstance(value, int) and not isinstance(value, bool):
        if not 0 <= value <= 255:
            raise ValueError(f"priority {value} is outside 0-255")
        return value
    try:
        return PRIORITY_VALUES[PriorityName(str(value))]
    except ValueError as err:
        names = ", ".join(p.value for p in PriorityName)
        raise ValueError(f"priority {value!r} is not one of {names} or a number 0-255") from err


def priority_class(priority: int) -> PriorityName:
    """The named class a number falls in: evacuate ≥ 250 > alert ≥ 224 > announcement ≥ 160 > routine ≥ 32."""
    if priority >= PRIORITY_VALUES[PriorityName.EVACUATE]:
        return PriorityName.EVACUATE
    if priority >= EMERGENCY_MIN:
        return PriorityName.ALERT
    if priority >= PRIORITY_VALUES[PriorityName.ANNOUNCEMENT]:
        return PriorityName.ANNOUNCEMENT
    return PriorityName.ROUTINE if priority >= GENERAL_MIN else PriorityName.BACKGROUND


def is_emergency(priority: int) -> bool:
    """Emergency band: the controller resumes such calls itself after another emergency pre-empts them."""
    return priority >= EMERGENCY_MIN
