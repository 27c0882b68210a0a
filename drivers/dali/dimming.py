"""The standard logarithmic dimming curve of IEC 62386-102 between arc power level and percent.

``X(n) = 10 ** ((n - 1) / (253 / 3) - 1)`` percent for arc levels n = 1..254 (0.1 % at 1, 100 % at 254);
level 0 is off. Each step is about 2.8 % brighter than the one below, so the curve matches the eye.
"""

from __future__ import annotations

import math

MIN_ARC = 1
MAX_ARC = 254
MASK = 255
_STEPS_PER_DECADE = 253 / 3


def arc_to_percent(level: int) -> float:
    """Light output in percent for arc power level ``level`` (0-254)."""
    if not 0 <= level <= MAX_ARC:
        raise ValueError(f"arc power level {level} out of range 0-{MAX_ARC} (255 is MASK, not a level)")
    if level == 0:
        return 0.0
    return float(10 ** ((level - 1) / _STEPS_PER_DECADE - 1))


def percent_to_arc(percent: float) -> int:
    """The arc power level whose output is nearest (on the log scale) to ``percent`` (0-100); 0 is off.

    Any positive percent gives at least level 1 (0.1 %), so "on, very dim" never becomes "off".
    """
    if not 0 <= percent <= 100 or math.isnan(percent):
        raise ValueError(f"percent {percent} out of range 0-100")
    if percent == 0:
        return 0
    level = round(1 + _STEPS_PER_DECADE * (math.log10(percent) + 1))
    return max(MIN_ARC, min(MAX_ARC, level))


def arc_to_whole_percent(level: int) -> int:
    """The arc level as the integer percent the edge reports (rounded; any lit level is at least 1 %)."""
    if level == 0:
        return 0
    return max(1, round(arc_to_percent(level)))
