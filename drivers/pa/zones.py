"""Zone bitmaps, call ids and priority bands of the PA protocol. No I/O."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum

from drivers.pa.errors import BadField

MAX_ZONES = 32
EMERGENCY_MIN = 224
GENERAL_MIN = 32

_HEX8 = re.compile(r"^[0-9A-F]{8}$")
_HEX4 = re.compile(r"^[0-9A-F]{4}$")


class Band(Enum):
    """Priority bands (voice-alarm practice): background 0-31, general 32-223, emergency 224-255."""

    BACKGROUND = "background"
    GENERAL = "general"
    EMERGENCY = "emergency"


def band_of(priority: int) -> Band:
    """The band a priority 0-255 falls in."""
    check_priority(priority)
    if priority >= EMERGENCY_MIN:
        return Band.EMERGENCY
    return Band.GENERAL if priority >= GENERAL_MIN else Band.BACKGROUND


def check_priority(priority: int) -> int:
    """``priority`` if it is 0-255, else :class:`BadField`."""
    if not 0 <= priority <= 255:
        raise BadField(f"priority {priority} is outside 0-255")
    return priority


def encode_zones(zones: Iterable[int]) -> str:
    """Zone numbers 1-32 as the 8-hex-digit bitmap (zone n is bit n-1): zones 2, 4, 8 → ``0000008A``."""
    bits = 0
    for zone in zones:
        if not 1 <= zone <= MAX_ZONES:
            raise BadField(f"zone {zone} is outside 1-{MAX_ZONES}")
        bits |= 1 << (zone - 1)
    return f"{bits:08X}"


def decode_zones(text: str) -> frozenset[int]:
    """The zone numbers of an 8-hex-digit bitmap."""
    if not _HEX8.match(text):
        raise BadField(f"zone bitmap {text!r} is not 8 uppercase hex digits")
    bits = int(text, 16)
    return frozenset(n + 1 for n in range(MAX_ZONES) if bits >> n & 1)


def encode_call_id(call_id: int) -> str:
    """A call id 0-0xFFFF as 4 hex digits."""
    if not 0 <= call_id <= 0xFFFF:
        raise BadField(f"call id {call_id} is outside 0000-FFFF")
    return f"{call_id:04X}"


def decode_call_id(text: str) -> int:
    """A call id from its 4 hex digits."""
    if not _HEX4.match(text):
        raise BadField(f"call id {text!r} is not 4 uppercase hex digits")
    return int(text, 16)


def describe_zones(zones: Iterable[int]) -> str:
    """``zones 2, 4 and 8`` for operator sentences."""
    items = sorted(zones)
    if not items:
        return "no zones"
    if len(items) == 1:
        return f"zone {items[0]}"
    return "zones " + ", ".join(map(str, items[:-1])) + f" and {items[-1]}"
