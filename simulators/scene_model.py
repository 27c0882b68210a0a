"""What a synthetic camera scene holds: actors on known paths, lighting over time, scripted image faults.

Coordinates are fractions of the frame (x right, y down, 0..1), so one scene renders at any resolution.
An actor's position is its foot point (bottom centre), which is what zone rules test.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field
from typing import Literal

Point = tuple[float, float]
Polygon = tuple[Point, ...]
ActorKind = Literal["person", "vehicle", "boat"]
FaultKind = Literal["covered", "defocus", "knocked", "frozen"]

# The alert an analytic should raise for each scripted fault.
FAULT_ALERTS: dict[FaultKind, str] = {
    "covered": "covered",
    "defocus": "defocused",
    "knocked": "moved",
    "frozen": "frozen",
}


@dataclass(frozen=True)
class Actor:
    """Something that moves through the scene along straight legs between timed waypoints.

    ``path`` holds ``(t, x, y)`` foot points; the actor is in view from the first waypoint's time to the last.
    ``sway`` makes a standing person fidget (people who loiter are never perfectly still).
    """

    id: str
    kind: ActorKind
    size: tuple[float, float]
    color: tuple[int, int, int]
    path: tuple[tuple[float, float, float], ...]
    sway: float = 0.0

    def __post_init__(self) -> None:
        times = [p[0] for p in self.path]
        if len(times) < 2 or times != sorted(times):
            raise ValueError(f"actor {self.id}: path needs two or more waypoints in time order")

    @property
    def start(self) -> float:
        """When the actor appears."""
        return self.path[0][0]

    @property
    def end(self) -> float:
        """When the actor leaves."""
        return self.path[-1][0]

    def position(self, t: float) -> Point | None:
        """Foot point at ``t``, or None when not in view."""
        if not self.start <= t <= self.end:
            return None
        for (t0, x0, y0), (t1, x1, y1) in zip(self.path, self.path[1:], strict=False):
            if t0 <= t <= t1:
                f = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
                x, y = x0 + (x1 - x0) * f, y0 + (y1 - y0) * f
                break
        else:  # pragma: no cover - the range check above makes this unreachable
            return None
        if self.sway:
            x += self.sway * math.sin(2 * math.pi * t / 3.1)
            y += 0.3 * self.sway * math.sin(2 * math.pi * t / 4.7)
        return x, y

    def bbox(self, t: float) -> tuple[float, float, float, float] | None:
        """``(x0, y0, x1, y1)`` at ``t`` (fractions of the frame), or None when not in view."""
        p = self.position(t)
        if p is None:
            return None
        w, h = self.size
        return p[0] - w / 2, p[1] - h, p[0] + w / 2, p[1]


@dataclass(frozen=True)
class Fault:
    """An image-level fault active on ``[start, end)``."""

    kind: FaultKind
    start: float
    end: float
    shift: Point = (0.08, 0.04)
    blur: float = 0.012

    @property
    def alert(self) -> str:
        """The tamper alert this fault should raise."""
        return FAULT_ALERTS[self.kind]


@dataclass(frozen=True)
class Line:
    """A counting line from ``a`` to ``b``. Left and right are as seen walking from ``a`` towards ``b`` on screen."""

    a: Point
    b: Point

    def side(self, p: Point) -> float:
        """Negative on the left of a→b, positive on the right (image coordinates, y down)."""
        (ax, ay), (bx, by) = self.a, self.b
        return (bx - ax) * (p[1] - ay) - (by - ay) * (p[0] - ax)

    def crossed_by(self, p0: Point, p1: Point) -> str | None:
        """``left_to_right``/``right_to_left`` when the step p0→p1 crosses the segment a-b, else None.

        A point exactly on the line counts as right, so touching the line and stepping back is not a crossing.
        """
        left0, left1 = self.side(p0) < 0, self.side(p1) < 0
        if left0 == left1:
            return None
        step = Line(p0, p1)
        if step.side(self.a) * step.side(self.b) > 0:
            return None  # crosses the infinite line beyond the segment's ends
        return "left_to_right" if left0 else "right_to_left"


def inside(polygon: Polygon, p: Point) -> bool:
    """Whether ``p`` lies inside ``polygon`` (even-odd rule)."""
    x, y = p
    result = False
    for (x0, y0), (x1, y1) in zip(polygon, polygon[1:] + polygon[:1], strict=False):
        if (y0 > y) != (y1 > y) and x < x0 + (y - y0) * (x1 - x0) / (y1 - y0):
            result = not result
    return result


@dataclass(frozen=True)
class SceneSpec:
    """A whole scene: who moves where, how the light changes, which faults happen, and the named regions."""

    name: str
    duration: float
    actors: tuple[Actor, ...] = ()
    faults: tuple[Fault, ...] = ()
    lighting: tuple[tuple[float, float], ...] = ((0.0, 1.0),)
    zones: dict[str, Polygon] = field(default_factory=dict)
    lines: dict[str, Line] = field(default_factory=dict)
    flag: Polygon | None = None
    description: str = ""

    def light(self, t: float) -> float:
        """Daylight level at ``t``: 1 is day, 0 is night (street lamps on), linear between the given points."""
        points = self.lighting
        if t <= points[0][0]:
            return points[0][1]
        for (t0, v0), (t1, v1) in itertools.pairwise(points):
            if t0 <= t <= t1:
                return v0 + (v1 - v0) * (t - t0) / (t1 - t0) if t1 > t0 else v1
        return points[-1][1]

    def fault_at(self, t: float) -> Fault | None:
        """The fault active at ``t`` (the first listed, if they overlap)."""
        return next((f for f in self.faults if f.start <= t < f.end), None)
