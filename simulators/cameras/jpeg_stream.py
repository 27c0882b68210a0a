"""JPEG pictures from a frame source at the camera's frame rate, encoded once and shared by every viewer."""

from __future__ import annotations

import logging
import threading
import time

import cv2

from simulators.cameras.frames import FrameSource

log = logging.getLogger(__name__)


class JpegStream:
    """Keeps the latest JPEG of ``source`` while anyone watches (``acquire``/``release``)."""

    def __init__(self, source: FrameSource, fps: float = 10.0, quality: int = 80, name: str = "mjpeg") -> None:
        self.source, self.fps, self.quality, self.name = source, fps, quality, name
        self._origin = time.monotonic()
        self._cond = threading.Condition()
        self._viewers = 0
        self._latest: tuple[int, bytes] = (-1, b"")
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"jpeg-{name}", daemon=True)

    def start(self) -> None:
        """Start the encoding thread."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the encoding thread."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join(10)

    def acquire(self) -> None:
        """A viewer arrives."""
        with self._cond:
            self._viewers += 1
            self._cond.notify_all()

    def release(self) -> None:
        """A viewer leaves."""
        with self._cond:
            self._viewers = max(0, self._viewers - 1)

    def latest(self) -> tuple[int, bytes]:
        """``(frame number, JPEG bytes)`` of the newest picture (number -1 before the first)."""
        with self._cond:
            return self._latest

    def snapshot(self) -> bytes:
        """A JPEG of the picture due now (encoded on the spot)."""
        index = int((time.monotonic() - self._origin) * self.fps)
        return self._encode(index)

    def _encode(self, index: int) -> bytes:
        ok, buf = cv2.imencode(".jpg", self.source(index / self.fps), [cv2.IMWRITE_JPEG_QUALITY, self.quality])
        if not ok:
            raise RuntimeError("JPEG encoding failed")
        return buf.tobytes()

    def _run(self) -> None:
        period = 1.0 / self.fps
        index = -1
        while not self._stop.is_set():
            with self._cond:
                while self._viewers == 0 and not self._stop.is_set():
                    self._cond.wait(0.5)
            now = time.monotonic()
            current = int((now - self._origin) / period)
            index = index + 1 if 0 <= current - index < 5 else current + 1  # catch up, unless far behind
            if self._stop.wait(max(0.0, self._origin + index * period - now)):
                return
            try:
                jpeg = self._encode(index)
            except Exception:
                log.exception("camera %s: frame source failed at frame %d", self.name, index)
                continue
            with self._cond:
                self._latest = (index, jpeg)
                self._cond.notify_all()

    def wait_newer(self, than: int, timeout: float) -> tuple[int, bytes]:
        """Block (in a worker thread) until a picture newer than ``than`` exists, or ``timeout``."""
        with self._cond:
            self._cond.wait_for(lambda: self._latest[0] > than or self._stop.is_set(), timeout)
            return self._latest
