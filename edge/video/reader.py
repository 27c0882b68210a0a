"""The consumer side of a frame ring: zero-copy, read-only numpy views checked with the slot's seqlock."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edge.video import ring_layout as layout
from edge.video.errors import FrameOverwritten

_READ_ATTEMPTS = 4


@dataclass
class FrameView:
    """A frame as it lies in shared memory: ``image`` is a read-only view, not a copy.

    The producer reuses the slot after ``slots - 1`` newer frames. Call :meth:`intact` after using ``image``
    (or :meth:`copy` to keep it): a False answer means the pixels may be a mix of two frames.
    """

    camera: str
    generation: int
    slot: int
    seq: int
    ts: float
    written_ns: int
    image: np.ndarray[Any, Any]
    _lock_value: int = field(repr=False)
    _locks: np.ndarray[Any, Any] = field(repr=False)

    def intact(self) -> bool:
        """True while the producer has not started rewriting this frame's slot."""
        return int(self._locks[self.slot]) == self._lock_value

    def check(self) -> None:
        """Raise :class:`FrameOverwritten` unless :meth:`intact`."""
        if not self.intact():
            raise FrameOverwritten(f"camera {self.camera}: frame {self.seq} was overwritten while in use")

    def copy(self) -> np.ndarray[Any, Any]:
        """A private copy of the pixels, checked to be a whole frame."""
        out = self.image.copy()
        self.check()
        return out


class RingReader:
    """One mapped generation of a camera's ring, read-only."""

    def __init__(self, camera: str, path: Path) -> None:
        self.camera = camera
        self.mapping = layout.attach(path)
        ring = self.mapping.ring
        self.generation = int(ring["generation"][0])
        self.capacity = int(ring["slot_capacity"][0])
        self._locks = self.mapping.slots["lock"]

    @property
    def producer_pid(self) -> int:
        """Process id of the producer that created this generation."""
        return int(self.mapping.ring["pid"][0])

    @property
    def copies(self) -> int:
        """Frames the producer has copied into this generation (its copy counter, read from shared memory)."""
        return int(self.mapping.ring["copies"][0])

    def latest_seq(self) -> int:
        """Sequence number of the newest complete frame (0 when none yet)."""
        return layout.unpack_latest(int(self.mapping.ring["latest"][0]))[0]

    def read(self, slot: int) -> FrameView | None:
        """The frame in ``slot``, or None when the slot is empty or being written."""
        if not 0 <= slot < len(self._locks):
            return None
        before = int(self._locks[slot])
        if before == 0 or before & 1:
            return None
        header = self.mapping.slots[slot]
        seq, ts, written_ns = int(header["frame_seq"]), float(header["ts"]), int(header["written_ns"])
        height, width, channels = int(header["height"]), int(header["width"]), int(header["channels"])
        dtype = np.dtype(bytes(header["dtype"]).decode())
        shape: tuple[int, ...] = (height, width, channels) if channels else (height, width)
        if int(header["nbytes"]) > self.capacity or dtype not in layout.ALLOWED_DTYPES:
            return None
        image: np.ndarray[Any, Any] = np.ndarray(
            shape, dtype, buffer=self.mapping.mm, offset=layout.slot_offset(slot, self.capacity)
        )
        if int(self._locks[slot]) != before:
            return None
        return FrameView(self.camera, self.generation, slot, seq, ts, written_ns, image, before, self._locks)

    def latest(self) -> FrameView | None:
        """The newest complete frame, retrying if the producer laps the reader meanwhile."""
        for _ in range(_READ_ATTEMPTS):
            seq, slot = layout.unpack_latest(int(self.mapping.ring["latest"][0]))
            if seq == 0:
                return None
            view = self.read(slot)
            if view is not None and view.seq == seq:
                return view
            if view is not None and view.seq > seq:
                return view
        return None

    def close(self) -> None:
        """Unmap (deferred to the garbage collector while views are still held)."""
        self.mapping.close()
