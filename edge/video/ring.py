"""The producer side of a camera's frame ring: one copy into shared memory, one notice on ZeroMQ.

:class:`FrameRing` is the ``FrameSink`` a camera worker hands its decoded frames to (``put(frame, ts)``).
"""

from __future__ import annotations

import functools
import logging
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from edge.video import ring_layout as layout
from edge.video.bus_config import BusConfig, check_camera_id
from edge.video.errors import FrameBusError, FrameTooLarge, RingLayoutError
from edge.video.notify import Notice, NoticePublisher
from edge.video.sink import NullSink, SinkFactory

log = logging.getLogger(__name__)


def pid_alive(pid: int) -> bool:
    """Whether a process with this id exists on this host."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale_segments(config: BusConfig, camera: str) -> int:
    """Unlink ``camera``'s segments whose producer has died; refuse if a live producer still owns one."""
    removed = 0
    for path in sorted(config.shm_dir.glob(config.segment_glob(camera))):
        try:
            mapping = layout.attach(path)
        except (RingLayoutError, OSError):
            path.unlink(missing_ok=True)
            removed += 1
            continue
        pid = int(mapping.ring["pid"][0])
        mapping.close()
        if pid != os.getpid() and pid_alive(pid):
            raise FrameBusError(f"camera {camera!r} already has a running frame producer (pid {pid})")
        path.unlink(missing_ok=True)
        removed += 1
    if removed:
        log.info("removed %d stale frame ring segment(s) of camera %s", removed, camera)
    return removed


class FrameRing:
    """A camera's ring of ``config.slots`` frames in shared memory, announced on a ZeroMQ PUB.

    ``put`` announces the next slot, copies the frame once into it (seqlock-protected) and publishes it as the
    newest. The segment is created on the first frame, sized to it, and replaced by a larger generation
    when a bigger frame arrives (unless ``grow`` is False). ``close`` unlinks the segment.
    """

    def __init__(self, camera: str, config: BusConfig | None = None, *, grow: bool = True) -> None:
        self.camera = check_camera_id(camera)
        self.config = config or BusConfig()
        self.grow = grow
        self._mapping: layout.Mapping | None = None
        self._capacity = 0
        self._generation = 0
        self._slot = -1
        self._seq = 0
        self._copies_before = 0
        self._closed = False
        self.config.shm_dir.mkdir(parents=True, exist_ok=True)
        remove_stale_segments(self.config, camera)
        self._publisher = NoticePublisher(self.config.endpoint(camera))

    @property
    def seq(self) -> int:
        """Sequence number of the newest frame put (0 before the first)."""
        return self._seq

    @property
    def path(self) -> Path | None:
        """The current segment file, or None before the first frame."""
        return self._mapping.path if self._mapping else None

    @property
    def copies(self) -> int:
        """Frames copied into shared memory so far (one per ``put``), across generations."""
        return self._copies_before + (int(self._mapping.ring["copies"][0]) if self._mapping else 0)

    def put(self, frame: np.ndarray[Any, Any], ts: float) -> None:
        """Publish ``frame`` (H x W or H x W x C, uint8/uint16/float32) taken at ``ts``."""
        if self._closed:
            raise FrameBusError(f"frame ring of camera {self.camera!r} is closed")
        if not isinstance(frame, np.ndarray) or frame.ndim not in (2, 3) or (frame.ndim == 3 and frame.shape[2] > 4):
            raise FrameBusError(f"a frame must be an H x W or H x W x C (C <= 4) array, got {_describe(frame)}")
        if frame.dtype not in layout.ALLOWED_DTYPES:
            raise FrameBusError(f"frame dtype {frame.dtype} is not one of uint8, uint16, float32")
        if self._mapping is None or frame.nbytes > self._capacity:
            self._new_generation(frame.nbytes)
        mapping = self._mapping
        assert mapping is not None
        slots = mapping.slots
        slot = (self._slot + 1) % len(slots)
        lock = int(slots["lock"][slot])
        slots["lock"][slot] = lock + 1  # odd: being written
        self._seq += 1
        # Announce first, then copy: the consumer's wake-up overlaps the copy, and the seqlock tells it when the
        # slot holds the whole frame.
        self._publisher.publish(Notice(self.camera, self._generation, slot, self._seq, ts))
        offset = layout.slot_offset(slot, self._capacity)
        np.copyto(np.ndarray(frame.shape, frame.dtype, buffer=mapping.mm, offset=offset), frame)
        header = slots[slot]
        header["frame_seq"] = self._seq
        header["ts"] = ts
        header["height"], header["width"] = frame.shape[0], frame.shape[1]
        header["channels"] = frame.shape[2] if frame.ndim == 3 else 0
        header["dtype"] = frame.dtype.str.encode()
        header["nbytes"] = frame.nbytes
        header["written_ns"] = time.monotonic_ns()
        slots["lock"][slot] = lock + 2  # even: whole frame
        ring = mapping.ring
        ring["latest"] = layout.pack_latest(self._seq, slot)
        ring["copies"] += 1
        ring["bytes_copied"] += frame.nbytes
        self._slot = slot

    def _new_generation(self, nbytes: int) -> None:
        if self._mapping is not None and not self.grow:
            raise FrameTooLarge(f"frame of {nbytes} B exceeds the ring's {self._capacity} B slots")
        old = self._mapping
        generation = max(time.time_ns(), self._generation + 1)
        path = self.config.shm_dir / self.config.segment_name(self.camera, generation)
        self._mapping = layout.create(path, self.config.slots, nbytes, generation)
        self._capacity, self._generation, self._slot = nbytes, generation, -1
        if old is not None:
            self._copies_before += int(old.ring["copies"][0])
            old.path.unlink(missing_ok=True)
            old.close()
        log.info("camera %s: frame ring %s, %d slots of %d B", self.camera, path.name, self.config.slots, nbytes)

    def close(self) -> None:
        """Unlink the segment and close the notice socket. Consumers' existing views stay readable."""
        if self._closed:
            return
        self._closed = True
        self._publisher.close()
        if self._mapping is not None:
            self._copies_before += int(self._mapping.ring["copies"][0])
            self._mapping.path.unlink(missing_ok=True)
            self._mapping.close()
            self._mapping = None

    def __enter__(self) -> FrameRing:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def ring_sink_factory(camera: str, config: BusConfig | None = None) -> Callable[[], FrameRing]:
    """A picklable factory of ``camera``'s ring, for a camera worker that builds its sink in its own process."""
    return functools.partial(FrameRing, check_camera_id(camera), config or BusConfig())


class RingSinks:
    """For the camera service: the ring of each camera the video service analyses, a null sink for the rest."""

    def __init__(self, cameras: set[str], config: BusConfig) -> None:
        self.cameras = frozenset(cameras)
        self.config = config

    def __call__(self, camera: str) -> SinkFactory:
        """The sink factory of ``camera`` (built in the camera's worker process)."""
        if camera in self.cameras:
            return ring_sink_factory(camera, self.config)
        return NullSink


def _describe(value: object) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape} and dtype {value.dtype}"
    return type(value).__name__
