"""The camera worker process: open, read, hand frames to the sink, report health; reconnect with backoff.

Runs in its own process (spawned by :class:`edge.video.worker.CameraWorker`) so that a decoder that hangs or
crashes takes nobody else with it. Everything it logs, including what FFmpeg prints, goes to the parent over
the pipe, redacted.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.synchronize import Event
from typing import Any

from drivers.camera.capture import Capture, Frame
from drivers.camera.errors import CameraAuthFailed, CameraError, CameraTimeout, CameraUnreachable
from drivers.camera.redact import redact, register_secret
from edge.video.backoff import Backoff
from edge.video.camera_config import CameraConfig
from edge.video.live_publisher import LivePublisher, scaled_jpeg
from edge.video.sink import SinkFactory, close_sink
from edge.video.stderr_tap import StderrTap
from edge.video.worker_health import FailureKind, LinkState, WorkerReport

REPORT_INTERVAL_S = 0.5
THUMBNAIL_WIDTH = 640
FPS_WINDOW_S = 2.0
log = logging.getLogger("edge.video.worker")


@dataclass(frozen=True)
class LiveSpec:
    """Where and how the worker publishes live-view JPEGs (see :mod:`edge.video.live_publisher`)."""

    endpoint: str
    max_fps: float = 10.0
    max_width: int = 1280
    quality: int = 80


@dataclass(frozen=True)
class WorkerSpec:
    """Everything the child needs, pickled across the spawn."""

    config: CameraConfig
    sink_factory: SinkFactory
    log_level: int = logging.INFO
    live: LiveSpec | None = None
    thumbnail_interval_s: float = 10.0
    """How often a small JPEG of the latest frame goes to the parent (the picture attached to alerts)."""
    frames: int = 0
    decode_errors: int = 0
    connects: int = 0


class _PipeLogHandler(logging.Handler):
    """Sends log records to the parent as ``("log", level, name, message)``."""

    def __init__(self, send: Any) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = redact(self.format(record))
            self._send(("log", record.levelno, record.name, message))
        except Exception:  # the parent is gone; nothing useful to do
            self.handleError(record)


def _failure_kind(err: CameraError) -> FailureKind:
    if isinstance(err, CameraAuthFailed):
        return FailureKind.AUTH
    if isinstance(err, CameraTimeout):
        return FailureKind.TIMEOUT
    if isinstance(err, CameraUnreachable):
        return FailureKind.UNREACHABLE
    return FailureKind.STREAM


class _Loop:
    """The capture loop with its counters."""

    def __init__(self, spec: WorkerSpec, conn: Connection, stop: Event) -> None:
        self.spec, self.conn, self.stop = spec, conn, stop
        cfg = spec.config
        self.camera = cfg.id
        self._send_lock = threading.Lock()
        self.frames = spec.frames
        self.decode_errors = spec.decode_errors
        self.connects = spec.connects
        self.state = LinkState.STARTING
        self.last_frame: float | None = None
        self.streaming_since: float | None = None
        self.frame_times: deque[float] = deque()
        self.info: tuple[int, int, str, float | None] | None = None
        self.failure: tuple[FailureKind, str, str] | None = None
        self.backoff = Backoff(cfg.backoff_initial_s, cfg.backoff_max_s)
        self._last_report = 0.0
        self._decoder_log_at = 0.0
        self._last_thumbnail = 0.0

    def send(self, message: object) -> None:
        with self._send_lock:
            self.conn.send(message)

    def on_native_line(self, line: str, decode_error: bool) -> None:
        if decode_error:
            self.decode_errors += 1
            now = time.monotonic()
            if now - self._decoder_log_at >= 5.0:  # one line per 5 s at most: the count is in the health
                self._decoder_log_at = now
                log.warning("camera %s: decoder reports damaged frames (%s)", self.camera, line)
        else:  # demuxer/OpenCV chatter around failed opens: our own classification is logged instead
            log.debug("camera %s: %s", self.camera, line)

    def report(self) -> None:
        now = time.monotonic()
        self._last_report = now
        while self.frame_times and self.frame_times[0] < now - FPS_WINDOW_S:
            self.frame_times.popleft()
        fps = None
        if len(self.frame_times) >= 2 and self.frame_times[-1] > self.frame_times[0]:
            fps = (len(self.frame_times) - 1) / (self.frame_times[-1] - self.frame_times[0])
        width, height, codec, nominal = self.info or (None, None, None, None)
        kind, phase, error = self.failure or (None, None, None)
        self.send(
            (
                "report",
                WorkerReport(
                    state=self.state,
                    frames=self.frames,
                    decode_errors=self.decode_errors,
                    connects=self.connects,
                    fps=fps,
                    last_frame_mono=self.last_frame,
                    streaming_since_mono=self.streaming_since,
                    width=width,
                    height=height,
                    codec=codec,
                    nominal_fps=nominal,
                    failure=kind,
                    failure_phase=phase,
                    error=redact(error) if error else None,
                ),
            )
        )

    def wait(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` (reporting meanwhile); True when asked to stop."""
        deadline = time.monotonic() + seconds
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                return self.stop.is_set()
            if self.stop.wait(min(left, REPORT_INTERVAL_S)):
                return True
            self.report()

    def fail(self, err: CameraError, phase: str) -> None:
        kind = _failure_kind(err)
        message = str(err)
        if self.failure is None or self.failure[:2] != (kind, phase):
            log.warning("camera %s: %s failed (%s): %s", self.camera, phase, kind.value, message)
        self.failure = (kind, phase, message)
        self.state = LinkState.BACKOFF
        self.streaming_since = None
        self.report()

    def run(self) -> None:
        cfg = self.spec.config
        sink = self.spec.sink_factory()
        capture = Capture(
            cfg.source(),
            open_timeout_s=cfg.open_timeout_s,
            read_timeout_s=cfg.read_timeout_s,
            decoder_threads=cfg.decoder_threads,
        )
        buffer: Frame | None = None
        live = None
        if self.spec.live is not None:
            ls = self.spec.live
            live = LivePublisher(cfg.id, ls.endpoint, ls.max_fps, ls.max_width, ls.quality)
        try:
            while not self.stop.is_set():
                self.state = LinkState.CONNECTING
                self.connects += 1
                self.report()
                try:
                    info = capture.open()
                except CameraError as err:
                    self.fail(err, "open")
                    if self.wait(self.backoff.next_delay()):
                        break
                    continue
                self.info = (info.width, info.height, info.codec, info.fps)
                if self.failure is not None:
                    log.info(
                        "camera %s: stream open again (%dx%d %s)", self.camera, info.width, info.height, info.codec
                    )
                self.failure = None
                self.state = LinkState.STREAMING
                self.streaming_since = time.monotonic()
                self._last_thumbnail = 0.0  # a fresh picture after every (re)connection
                self.report()
                while not self.stop.is_set():
                    try:
                        buffer = capture.read(buffer)
                    except CameraError as err:
                        capture.close()
                        self.fail(err, "read")
                        break
                    ts = time.time()
                    now = time.monotonic()
                    sink.put(buffer, ts)
                    if live is not None:
                        live.offer(buffer, ts)
                    if now - self._last_thumbnail >= self.spec.thumbnail_interval_s:
                        self._last_thumbnail = now
                        self.send(("thumbnail", scaled_jpeg(buffer, THUMBNAIL_WIDTH, 70)[0], ts))
                    self.frames += 1
                    self.last_frame = now
                    self.frame_times.append(now)
                    if self.backoff.attempt:
                        self.backoff.reset()
                    if now - self._last_report >= REPORT_INTERVAL_S:
                        self.report()
                else:  # asked to stop while streaming
                    break
                if self.wait(self.backoff.next_delay()):
                    break
        finally:
            capture.close()
            close_sink(sink)
            if live is not None:
                live.close()
            self.state = LinkState.STOPPED
            self.report()


def main(spec: WorkerSpec, conn: Connection, stop: Event) -> None:
    """Entry point of the worker process."""
    if spec.config.password is not None:
        register_secret(spec.config.password.get_secret_value())
    loop = _Loop(spec, conn, stop)
    root = logging.getLogger()
    root.handlers[:] = [_PipeLogHandler(loop.send)]
    root.setLevel(spec.log_level)
    tap = StderrTap(loop.on_native_line)
    tap.start()
    try:
        loop.run()
    except Exception:
        log.exception("camera %s: worker failed", spec.config.id)
        raise
    finally:
        tap.stop()
        conn.close()
