"""Objects as tracked motion blobs: nearest-neighbour matching with a motion prediction and a gate."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field

from edge.video.analytics.config import ObjectKind
from edge.video.analytics.geometry import Point
from edge.video.analytics.motion import Blob

CONFIRM_HITS = 3


@dataclass
class Track:
    """One object followed across frames. ``foot`` is smoothed; coordinates are fractions of the frame."""

    id: int
    first_seen: float
    last_seen: float
    bbox: tuple[float, float, float, float]
    foot: Point
    hits: int = 1
    velocity: Point = (0.0, 0.0)
    votes: Counter[str] = field(default_factory=Counter)

    @property
    def confirmed(self) -> bool:
        """Seen often enough to be an object rather than noise."""
        return self.hits >= CONFIRM_HITS

    @property
    def kind(self) -> ObjectKind:
        """The kind most often given by the detector stage (``object`` without one)."""
        if not self.votes:
            return "object"
        kind = self.votes.most_common(1)[0][0]
        return kind if kind in ("person", "vehicle") else "object"  # type: ignore[return-value]

    def predicted(self, ts: float) -> Point:
        """Where the foot should be at ``ts`` if the object keeps its velocity."""
        dt = ts - self.last_seen
        return self.foot[0] + self.velocity[0] * dt, self.foot[1] + self.velocity[1] * dt


class Tracker:
    """Keeps tracks alive across frames; a track unseen for ``max_gap_s`` ends."""

    def __init__(self, max_gap_s: float, max_step: float, aspect: float = 16 / 9) -> None:
        self.max_gap_s = max_gap_s
        self.max_step = max_step
        self.aspect = aspect
        self.tracks: dict[int, Track] = {}
        self._next_id = 1

    def _distance(self, p: Point, q: Point) -> float:
        return math.hypot((p[0] - q[0]) * self.aspect, p[1] - q[1]) / self.aspect

    def update(self, blobs: Sequence[Blob], kinds: Sequence[ObjectKind | None], ts: float) -> list[Track]:
        """Match this frame's blobs to tracks; returns the tracks that ended (unseen too long)."""
        pairs = sorted(
            (self._distance(track.predicted(ts), blob.foot), tid, i)
            for tid, track in self.tracks.items()
            for i, blob in enumerate(blobs)
        )
        used_tracks: set[int] = set()
        used_blobs: set[int] = set()
        for distance, tid, i in pairs:
            if distance > self.max_step or tid in used_tracks or i in used_blobs:
                continue
            used_tracks.add(tid)
            used_blobs.add(i)
            self._follow(self.tracks[tid], blobs[i], kinds[i] if i < len(kinds) else None, ts)
        for i, blob in enumerate(blobs):
            if i not in used_blobs:
                track = Track(self._next_id, ts, ts, blob.bbox, blob.foot)
                kind = kinds[i] if i < len(kinds) else None
                if kind:
                    track.votes[kind] += 1
                self.tracks[track.id] = track
                self._next_id += 1
        ended = [t for t in self.tracks.values() if ts - t.last_seen > self.max_gap_s]
        for track in ended:
            del self.tracks[track.id]
        return ended

    def _follow(self, track: Track, blob: Blob, kind: ObjectKind | None, ts: float) -> None:
        dt = max(ts - track.last_seen, 1e-3)
        foot = (0.5 * track.foot[0] + 0.5 * blob.foot[0], 0.5 * track.foot[1] + 0.5 * blob.foot[1])
        measured = ((foot[0] - track.foot[0]) / dt, (foot[1] - track.foot[1]) / dt)
        track.velocity = (0.7 * track.velocity[0] + 0.3 * measured[0], 0.7 * track.velocity[1] + 0.3 * measured[1])
        track.foot, track.bbox, track.last_seen = foot, blob.bbox, ts
        track.hits += 1
        if kind:
            track.votes[kind] += 1

    def reset(self) -> list[Track]:
        """End every track (the picture can no longer be trusted); returns them."""
        ended = list(self.tracks.values())
        self.tracks.clear()
        return ended
