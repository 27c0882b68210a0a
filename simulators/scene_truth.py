"""Ground truth of a scene: what a correct analytic reports, and when.

Everything is computed from the scene's specification (paths, faults), sampled finely in time, never from
rendered pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

from simulators.scene_model import Line, Point, SceneSpec, inside

STEP = 0.01


@dataclass(frozen=True)
class ObjectTruth:
    """An actor in view at some instant."""

    id: str
    kind: str
    foot: Point
    bbox: tuple[float, float, float, float]


@dataclass(frozen=True)
class ExpectedAlert:
    """A tamper condition that should be raised once at ``start`` and cleared once at ``end``."""

    type: str
    start: float
    end: float


@dataclass(frozen=True)
class Dwell:
    """One continuous stay of an actor's foot point in a zone; ``loiter_at`` is when it passed the limit."""

    actor: str
    kind: str
    entered: float
    left: float
    loiter_at: float | None


@dataclass(frozen=True)
class Crossing:
    """An actor crossing a line at ``t`` in ``direction`` (``left_to_right`` or ``right_to_left``)."""

    actor: str
    kind: str
    t: float
    direction: str


class GroundTruth:
    """Queries about a :class:`SceneSpec`'s truth."""

    def __init__(self, spec: SceneSpec) -> None:
        self.spec = spec

    def objects_at(self, t: float) -> list[ObjectTruth]:
        """Actors in view at ``t``."""
        out = []
        for actor in self.spec.actors:
            foot, box = actor.position(t), actor.bbox(t)
            if foot is not None and box is not None:
                out.append(ObjectTruth(actor.id, actor.kind, foot, box))
        return out

    def expected_alerts(self) -> list[ExpectedAlert]:
        """One raise and one clear per scripted fault, in time order."""
        return [ExpectedAlert(f.alert, f.start, f.end) for f in sorted(self.spec.faults, key=lambda f: f.start)]

    def dwells(self, zone: str, loiter_after: float) -> list[Dwell]:
        """Every stay in ``zone``, with when it became loitering (longer than ``loiter_after`` seconds)."""
        polygon = self.spec.zones[zone]
        out: list[Dwell] = []
        for actor in self.spec.actors:
            entered: float | None = None
            for t in _times(actor.start, actor.end):
                p = actor.position(t)
                now_in = p is not None and inside(polygon, p)
                if now_in and entered is None:
                    entered = t
                elif not now_in and entered is not None:
                    out.append(_dwell(actor.id, actor.kind, entered, t, loiter_after))
                    entered = None
            if entered is not None:
                out.append(_dwell(actor.id, actor.kind, entered, actor.end, loiter_after))
        return sorted(out, key=lambda d: d.entered)

    def loiterers(self, zone: str, loiter_after: float) -> list[Dwell]:
        """The stays that should raise a loitering event."""
        return [d for d in self.dwells(zone, loiter_after) if d.loiter_at is not None]

    def crossings(self, line: str | Line) -> list[Crossing]:
        """Every crossing of ``line`` (a named line of the scene, or any line), in time order."""
        segment = self.spec.lines[line] if isinstance(line, str) else line
        out: list[Crossing] = []
        for actor in self.spec.actors:
            previous: Point | None = None
            for t in _times(actor.start, actor.end):
                p = actor.position(t)
                if p is not None and previous is not None:
                    direction = segment.crossed_by(previous, p)
                    if direction:
                        out.append(Crossing(actor.id, actor.kind, round(t, 3), direction))
                previous = p
        return sorted(out, key=lambda c: c.t)


def _dwell(actor: str, kind: str, entered: float, left: float, loiter_after: float) -> Dwell:
    at = entered + loiter_after if left - entered > loiter_after else None
    return Dwell(actor, kind, round(entered, 3), round(left, 3), None if at is None else round(at, 3))


def _times(start: float, end: float) -> list[float]:
    n = int((end - start) / STEP)
    return [start + i * STEP for i in range(n + 1)]
