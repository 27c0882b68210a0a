"""The parent side of a camera worker: spawns the worker process, receives its reports and logs, judges the
camera's conditions against the clock, and restarts a process that hangs or dies.

One :class:`CameraWorker` per camera. Callbacks run on the worker's monitor thread; an asyncio service hands
them to its loop with ``loop.call_soon_threadsafe``.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from drivers.camera.redact import register_secret
from edge.video import worker_process
from edge.video.backoff import Backoff
from edge.video.camera_config import CameraConfig
from edge.video.sink import NullSink, SinkFactory
from edge.video.worker_health import (
    CameraHealth,
    Condition,
    ConditionChange,
    ConditionPolicy,
    ConditionTracker,
    WorkerReport,
)

log = logging.getLogger(__name__)
_SPAWN = multiprocessing.get_context("spawn")
HEALTH_INTERVAL_S = 1.0


class CameraWorker:
    """Runs one camera's capture in a child process and tracks its health."""

    def __init__(
        self,
        config: CameraConfig,
        sink_factory: SinkFactory = NullSink,
        *,
        on_condition: Callable[[ConditionChange], None] | None = None,
        on_health: Callable[[CameraHealth], None] | None = None,
        log_level: int | None = None,
        live: worker_process.LiveSpec | None = None,
    ) -> None:
        self.config = config
        if config.password is not None:
            register_secret(config.password.get_secret_value())
        self.sink_factory = sink_factory
        self.on_condition = on_condition
        self.on_health = on_health
        self.log_level = log_level if log_level is not None else logging.getLogger().getEffectiveLevel()
        self.tracker = ConditionTracker(
            config.id,
            ConditionPolicy(
                stall_timeout_s=config.stall_timeout_s,
                decode_error_threshold=config.decode_error_threshold,
                decode_error_window_s=config.decode_error_window_s,
                decode_error_clear_s=config.decode_error_clear_s,
            ),
        )
        self.live = live
        self.restarts = 0
        self.thumbnail: tuple[bytes, float] | None = None
        """The latest small JPEG from the worker and its wall-clock time (attached to alerts)."""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._child_stop = _SPAWN.Event()
        self._monitor: threading.Thread | None = None
        self._last_message = 0.0
        self._restart_backoff = Backoff(1.0, 30.0)

    @property
    def camera(self) -> str:
        """The camera id."""
        return self.config.id

    @property
    def pid(self) -> int | None:
        """PID of the worker process, while it runs."""
        return self._process.pid if self._process is not None else None

    @property
    def conditions(self) -> set[Condition]:
        """Conditions active now."""
        with self._lock:
            return set(self.tracker.active)

    def health(self) -> CameraHealth:
        """The health snapshot now."""
        with self._lock:
            return self.tracker.health(time.monotonic(), self.restarts)

    def start(self) -> None:
        """Spawn the worker process and the monitor thread."""
        if self._monitor is not None:
            return
        self._spawn()
        self._monitor = threading.Thread(target=self._watch, name=f"camera-{self.camera}", daemon=True)
        self._monitor.start()

    def stop(self, timeout: float = 3.0) -> None:
        """Ask the process to stop, then terminate/kill it if it does not; join the monitor thread."""
        self._stop.set()
        if self._monitor is not None:
            self._monitor.join(timeout + 10)
            self._monitor = None
        self._end_process(timeout)

    def __enter__(self) -> CameraWorker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _spawn(self) -> None:
        last = self.tracker.report
        spec = worker_process.WorkerSpec(
            config=self.config,
            sink_factory=self.sink_factory,
            log_level=self.log_level,
            live=self.live,
            frames=last.frames if last else 0,
            decode_errors=last.decode_errors if last else 0,
            connects=last.connects if last else 0,
        )
        parent_conn, child_conn = _SPAWN.Pipe(duplex=False)
        self._child_stop = _SPAWN.Event()
        process = _SPAWN.Process(
            target=worker_process.main,
            args=(spec, child_conn, self._child_stop),
            name=f"camera-{self.camera}",
            daemon=True,
        )
        process.start()
        child_conn.close()
        self._process, self._conn = process, parent_conn
        self._last_message = time.monotonic()

    def _end_process(self, timeout: float) -> None:
        process, conn = self._process, self._conn
        if process is None:
            return
        self._child_stop.set()
        process.join(timeout)
        if process.is_alive():
            log.warning("camera %s: worker did not stop in %g s; terminating it", self.camera, timeout)
            process.terminate()
            process.join(2.0)
        if process.is_alive():
            process.kill()
            process.join()
        process.close()
        if conn is not None:
            conn.close()
        self._process, self._conn = None, None

    def _emit(self, changes: list[ConditionChange]) -> None:
        for change in changes:
            if change.active:
                log.warning("camera %s: %s raised: %s", self.camera, change.condition.value, change.message)
            else:
                log.info("camera %s: %s cleared: %s", self.camera, change.condition.value, change.message)
            if self.on_condition is not None:
                self.on_condition(change)

    def _handle(self, message: object) -> None:
        if not isinstance(message, tuple) or not message:
            return
        if message[0] == "log":
            _, level, name, text = message
            logging.getLogger(name).log(level, text)
        elif message[0] == "thumbnail" and isinstance(message[1], bytes):
            self.thumbnail = (message[1], float(message[2]))
        elif message[0] == "report" and isinstance(message[1], WorkerReport):
            with self._lock:
                changes = self.tracker.update(message[1], time.monotonic())
            self._emit(changes)

    def _watch(self) -> None:
        next_health = 0.0
        while not self._stop.is_set():
            conn, process = self._conn, self._process
            if conn is None or process is None:
                return
            try:
                if conn.poll(0.1):
                    self._handle(conn.recv())
                    self._last_message = time.monotonic()
                    continue
            except (EOFError, OSError):
                pass  # the process ended; judged below
            now = time.monotonic()
            with self._lock:
                changes = self.tracker.check(now)
            self._emit(changes)
            if self.on_health is not None and now >= next_health:
                next_health = now + HEALTH_INTERVAL_S
                self.on_health(self.health())
            silent = now - self._last_message
            if not process.is_alive() or silent > self.config.effective_hang_timeout_s():
                self._restart(process.exitcode, silent)

    def _restart(self, exitcode: int | None, silent: float) -> None:
        if exitcode is None:
            log.error(
                "camera %s: worker silent for %.0f s (hung decoder?); killing and restarting it", self.camera, silent
            )
        else:
            log.error("camera %s: worker exited with code %s; restarting it", self.camera, exitcode)
        self._end_process(timeout=1.0)
        self.restarts += 1
        if self._stop.wait(self._restart_backoff.next_delay()):
            return
        self._spawn()
