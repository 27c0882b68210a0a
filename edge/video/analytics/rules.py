"""Zone rules for the bridges: loitering in a zone, and a line crossed in a given direction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from edge.video.analytics.config import LineConfig, ZoneConfig
from edge.video.analytics.findings import Finding
from edge.video.analytics.geometry import CountingLine, Point, inside
from edge.video.analytics.tracker import Track

LEAVE_GRACE_S = 1.0
LINE_DEADBAND = 0.004


class LoiterRule:
    """Raise ``loitering.<zone>.<track>`` when a tracked object of a listed kind stays in the zone too long.

    The alert clears when the object leaves (outside for ``LEAVE_GRACE_S``) or its track ends.
    """

    def __init__(self, zone: ZoneConfig) -> None:
        if zone.loiter_after_s is None:
            raise ValueError(f"zone {zone.name!r} has no loiter_after_s")
        self.zone = zone
        self.limit = zone.loiter_after_s
        self._entered: dict[int, float] = {}
        self._last_inside: dict[int, float] = {}
        self._raised: set[int] = set()

    def alert_id(self, track_id: int) -> str:
        """Alert id of one object's loitering in this zone."""
        return f"loitering.{self.zone.name}.{track_id}"

    def update(self, tracks: Iterable[Track], ended: Sequence[Track], ts: float) -> list[Finding]:
        """Findings of this frame."""
        out: list[Finding] = []
        for track in tracks:
            if not track.confirmed or track.kind not in self.zone.kinds:
                continue
            if inside(self.zone.polygon, track.foot):
                entered = self._entered.setdefault(track.id, ts)
                self._last_inside[track.id] = ts
                if ts - entered >= self.limit and track.id not in self._raised:
                    self._raised.add(track.id)
                    out.append(self._raise(track, entered, ts))
            elif track.id in self._entered and ts - self._last_inside[track.id] > LEAVE_GRACE_S:
                out.extend(self._leave(track, ts))
        for track in ended:
            out.extend(self._leave(track, ts))
        return out

    def _raise(self, track: Track, entered: float, ts: float) -> Finding:
        return Finding(
            kind="alert_raised",
            type="loitering",
            ts=ts,
            severity="major",
            alert_id=self.alert_id(track.id),
            message=f"A {track.kind} has stayed in zone {self.zone.name} for {ts - entered:.0f} s",
            data={
                "zone": self.zone.name,
                "track": track.id,
                "kind": track.kind,
                "entered_ts": entered,
                "bbox": [round(v, 4) for v in track.bbox],
            },
        )

    def _leave(self, track: Track, ts: float) -> list[Finding]:
        entered = self._entered.pop(track.id, None)
        self._last_inside.pop(track.id, None)
        if entered is None or track.id not in self._raised:
            return []
        self._raised.discard(track.id)
        return [
            Finding(
                kind="alert_cleared",
                type="loitering",
                ts=ts,
                severity="major",
                alert_id=self.alert_id(track.id),
                message=f"The {track.kind} left zone {self.zone.name} after {ts - entered:.0f} s",
                data={"zone": self.zone.name, "track": track.id, "entered_ts": entered, "left_ts": ts},
            )
        ]


class LineRule:
    """Report ``line_crossed`` when a tracked object goes from one side of the line to the other.

    A dead band either side of the line keeps an object that dithers on it from counting again and again.
    """

    def __init__(self, line: LineConfig, aspect: float = 16 / 9) -> None:
        self.line = line
        self.geometry = CountingLine(line.a, line.b, aspect)
        self._side: dict[int, tuple[bool, Point]] = {}

    def update(self, tracks: Iterable[Track], ended: Sequence[Track], ts: float) -> list[Finding]:
        """Findings of this frame."""
        out: list[Finding] = []
        for track in tracks:
            if not track.confirmed:
                continue
            distance = self.geometry.signed_distance(track.foot)
            if abs(distance) < LINE_DEADBAND:
                continue
            left = distance < 0
            previous = self._side.get(track.id)
            self._side[track.id] = (left, track.foot)
            if previous is None or previous[0] == left or not self.geometry.within_extent(previous[1], track.foot):
                continue
            direction = "left_to_right" if previous[0] else "right_to_left"
            if self.line.direction in ("any", direction) and track.kind in self.line.kinds:
                out.append(
                    Finding(
                        kind="event",
                        type="line_crossed",
                        ts=ts,
                        severity="info",
                        message=f"A {track.kind} crossed line {self.line.name} {direction.replace('_', ' ')}",
                        data={
                            "line": self.line.name,
                            "direction": direction,
                            "track": track.id,
                            "kind": track.kind,
                            "bbox": [round(v, 4) for v in track.bbox],
                        },
                    )
                )
        for track in ended:
            self._side.pop(track.id, None)
        return out
