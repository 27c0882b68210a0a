"""DALI backward-frame meanings used by the driver: the QUERY STATUS bits and group bitmaps. No I/O."""

from __future__ import annotations

from dataclasses import dataclass

_GEAR_FAILURE = 0x01
_LAMP_FAILURE = 0x02
_ARC_POWER_ON = 0x04
_LIMIT_ERROR = 0x08
_FADE_RUNNING = 0x10
_RESET_STATE = 0x20
_MISSING_SHORT_ADDRESS = 0x40
_POWER_FAILURE = 0x80


@dataclass(frozen=True, slots=True)
class GearStatus:
    """The answer to QUERY STATUS (IEC 62386-102 §9.16)."""

    gear_failure: bool = False
    lamp_failure: bool = False
    arc_power_on: bool = False
    limit_error: bool = False
    fade_running: bool = False
    reset_state: bool = False
    missing_short_address: bool = False
    power_failure: bool = False

    @classmethod
    def from_byte(cls, value: int) -> GearStatus:
        """Decode the status byte."""
        if not 0 <= value <= 0xFF:
            raise ValueError(f"status byte {value} out of range")
        return cls(
            gear_failure=bool(value & _GEAR_FAILURE),
            lamp_failure=bool(value & _LAMP_FAILURE),
            arc_power_on=bool(value & _ARC_POWER_ON),
            limit_error=bool(value & _LIMIT_ERROR),
            fade_running=bool(value & _FADE_RUNNING),
            reset_state=bool(value & _RESET_STATE),
            missing_short_address=bool(value & _MISSING_SHORT_ADDRESS),
            power_failure=bool(value & _POWER_FAILURE),
        )

    def to_byte(self) -> int:
        """Encode the status byte (used by the simulator)."""
        bits = (
            (self.gear_failure, _GEAR_FAILURE),
            (self.lamp_failure, _LAMP_FAILURE),
            (self.arc_power_on, _ARC_POWER_ON),
            (self.limit_error, _LIMIT_ERROR),
            (self.fade_running, _FADE_RUNNING),
            (self.reset_state, _RESET_STATE),
            (self.missing_short_address, _MISSING_SHORT_ADDRESS),
            (self.power_failure, _POWER_FAILURE),
        )
        return sum(mask for flag, mask in bits if flag)

    @property
    def faults(self) -> list[str]:
        """Fault codes for alerts: ``GEAR_FAILURE`` and/or ``LAMP_FAILURE``."""
        return [code for code, on in (("GEAR_FAILURE", self.gear_failure), ("LAMP_FAILURE", self.lamp_failure)) if on]


def groups_from_bytes(low: int, high: int) -> frozenset[int]:
    """Group numbers from the answers to QUERY GROUPS 0-7 and QUERY GROUPS 8-15."""
    mask = (high << 8) | low
    return frozenset(g for g in range(16) if mask >> g & 1)


def groups_to_bytes(groups: frozenset[int] | set[int]) -> tuple[int, int]:
    """The (0-7, 8-15) answer bytes for a set of groups."""
    mask = sum(1 << g for g in groups)
    return mask & 0xFF, mask >> 8
