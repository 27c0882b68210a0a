"""An H.264 stream paced at the camera's frame rate and fanned out to every session watching it.

Pictures come from a frame source at ``t = frame_number / fps`` (scene time runs with the wall clock, watched or
not). Two modes: *live* encodes each picture as it is due (what a camera does); *prerendered* encodes N seconds
once at start and loops them, so serving costs no encoding CPU (benchmarks use it to keep the simulator out of
the measurement). Encoding runs only while someone watches.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

from drivers.camera.h264 import ParameterSets
from drivers.camera.rtp import H264_CLOCK_HZ
from simulators.cameras.encoder import AccessUnit, H264Encoder
from simulators.cameras.frames import FrameSource

log = logging.getLogger(__name__)

Subscriber = Callable[[AccessUnit], None]
MAX_LAG_FRAMES = 12


class H264Stream:
    """Produces access units at ``fps`` for its subscribers; :meth:`subscribe` asks for a keyframe."""

    def __init__(
        self,
        source: FrameSource,
        width: int,
        height: int,
        fps: float = 25.0,
        *,
        name: str = "stream",
        bitrate: int | None = None,
        preset: str = "ultrafast",
        profile: str | None = None,
        gop: int | None = None,
        prerender_s: float | None = None,
    ) -> None:
        self.source, self.width, self.height, self.fps, self.name = source, width, height, fps, name
        self.encoder = H264Encoder(width, height, fps, bitrate=bitrate, gop=gop, preset=preset, profile=profile)
        self._subscribers: list[Subscriber] = []
        self._lock = threading.Condition()
        self._keyframe_wanted = True
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._origin = time.monotonic()
        self._loop: list[AccessUnit] = []
        if prerender_s:
            gop_frames = self.encoder.gop
            count = max(gop_frames, round(prerender_s * fps / gop_frames) * gop_frames)
            for i in range(count):
                self._loop.extend(self.encoder.encode(source(i / fps), i, force_keyframe=i % gop_frames == 0))
        else:
            self.encoder.encode(source(0.0), 0, force_keyframe=True)
        if self.encoder.parameter_sets is None:
            raise RuntimeError("libx264 produced no SPS/PPS")
        self.parameter_sets: ParameterSets = self.encoder.parameter_sets

    def start(self) -> None:
        """Start the pacing thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"h264-{self.name}", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop the pacing thread and release the encoder."""
        self._stop.set()
        with self._lock:
            self._lock.notify_all()
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None
        self.encoder.close()

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Deliver every access unit to ``subscriber`` (from the stream thread); returns the unsubscribe call."""
        with self._lock:
            self._subscribers.append(subscriber)
            self._keyframe_wanted = True
            self._lock.notify_all()

        def unsubscribe() -> None:
            with self._lock:
                if subscriber in self._subscribers:
                    self._subscribers.remove(subscriber)

        return unsubscribe

    def request_keyframe(self) -> None:
        """Make the next live picture an IDR (a prerendered loop has one every GOP anyway)."""
        self._keyframe_wanted = True

    @property
    def watched(self) -> bool:
        """Whether anyone is subscribed."""
        with self._lock:
            return bool(self._subscribers)

    def _run(self) -> None:
        period = 1.0 / self.fps
        index = -1
        while not self._stop.is_set():
            with self._lock:
                while not self._subscribers and not self._stop.is_set():
                    self._lock.wait(0.5)
            if self._stop.is_set():
                return
            now = time.monotonic()
            current = int((now - self._origin) / period)
            # the next frame in turn; skip ahead only when far behind (idle, or the machine stalled us)
            index = index + 1 if 0 <= current - index < MAX_LAG_FRAMES else current + 1
            due = self._origin + index * period
            if self._stop.wait(max(0.0, due - now)):
                return
            try:
                units = self._produce(index)
            except Exception:  # a broken frame source must not kill the camera
                log.exception("camera %s: frame source failed at frame %d", self.name, index)
                continue
            with self._lock:
                targets = list(self._subscribers)
            for unit in units:
                for deliver in targets:
                    deliver(unit)

    def _produce(self, index: int) -> list[AccessUnit]:
        if self._loop:
            unit = self._loop[index % len(self._loop)]
            return [AccessUnit(nals=unit.nals, pts=round(index * H264_CLOCK_HZ / self.fps), keyframe=unit.keyframe)]
        force, self._keyframe_wanted = self._keyframe_wanted, False
        return self.encoder.encode(self.source(index / self.fps), index, force_keyframe=force)
