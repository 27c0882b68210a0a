"""Pre/post-event clips from a bounded buffer of JPEG frames, written as H.264 MP4 by a writer thread.

The recorder is a frame consumer (``put(frame, ts)``, like the ring's sink). It keeps the last ``pre_s``
seconds as JPEGs thinned to ``fps`` (1080p raw would be ~150 MB per 10 s at 25 fps; JPEG is ~1/20 of it) and
never more than ``memory_bytes``. ``trigger(ts, event)`` asks for a clip from ``ts - pre_s`` to ``ts + post_s``;
events arriving while a clip is being recorded extend it, up to ``max_clip_s``.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
from uuid6 import uuid7

from edge.contract.clips import ClipInfo
from edge.video.bus_config import check_camera_id
from edge.video.clip_store import SNAPSHOTS, ClipStore, iso, sha256_file, write_atomic
from edge.video.errors import RecordingError
from edge.video.mp4 import write_mp4
from edge.video.recorder_config import RecorderConfig
from edge.video.retention import RetentionPolicy

log = logging.getLogger(__name__)


@dataclass
class _Recording:
    clip_id: str
    start_ts: float
    end_ts: float
    trigger_ts: float
    last_event_ts: float
    events: list[dict[str, Any]] = field(default_factory=list)
    snapshots: dict[str, bytes] = field(default_factory=dict)


@dataclass
class _Job:
    recording: _Recording
    frames: list[tuple[float, bytes]]


class ClipRecorder:
    """Records one camera's event clips into a :class:`ClipStore` under a :class:`RetentionPolicy`.

    ``on_clip(info)`` and ``on_error(clip_id, error)`` are called from the writer thread.
    """

    def __init__(
        self,
        camera: str,
        config: RecorderConfig,
        store: ClipStore,
        retention: RetentionPolicy,
        on_clip: Callable[[ClipInfo], None] | None = None,
        on_error: Callable[[str, RecordingError], None] | None = None,
    ) -> None:
        self.camera = check_camera_id(camera)
        self.config = config
        self.store = store
        self.retention = retention
        self.on_clip = on_clip
        self.on_error = on_error
        self.dropped_frames = 0
        self._frames: deque[tuple[float, bytes]] = deque()
        self._bytes = 0
        self._next_due: float | None = None
        self._active: list[_Recording] = []
        self._lock = threading.Lock()
        self._jobs: queue.Queue[_Job | None] = queue.Queue(maxsize=4)
        self._writer = threading.Thread(target=self._write_loop, name=f"clip-writer-{camera}", daemon=True)
        self._writer.start()
        self._closed = False

    @property
    def buffered_bytes(self) -> int:
        """JPEG bytes held in memory now."""
        return self._bytes

    @property
    def buffered_seconds(self) -> float:
        """Time span of the frames held in memory now."""
        return self._frames[-1][0] - self._frames[0][0] if len(self._frames) > 1 else 0.0

    def recording(self) -> list[str]:
        """Ids of clips still collecting frames."""
        with self._lock:
            return [r.clip_id for r in self._active]

    def put(self, frame: np.ndarray[Any, Any], ts: float) -> None:
        """Offer a frame taken at ``ts`` (kept if due under ``fps``; the frame itself is not retained)."""
        interval = 1.0 / self.config.fps
        if self._next_due is not None and ts < self._next_due - interval / 2:
            return
        self._next_due = (
            ts + interval if self._next_due is None or ts > self._next_due + interval else self._next_due + interval
        )
        jpeg = self._encode(frame)
        with self._lock:
            self._frames.append((ts, jpeg))
            self._bytes += len(jpeg)
            self._finish_due(ts)
            self._prune(ts)

    def trigger(self, ts: float, event: dict[str, Any], snapshot_jpeg: bytes | None = None) -> str:
        """Ask for a clip around an event at ``ts``; returns the id of the clip that will hold it."""
        cfg = self.config
        with self._lock:
            if self._closed:
                raise RecordingError(f"recorder of camera {self.camera} is closed")
            recording = next(
                (
                    r
                    for r in self._active
                    if ts - cfg.pre_s <= r.end_ts and ts + cfg.post_s - r.start_ts <= cfg.max_clip_s
                ),
                None,
            )
            if recording is None:
                recording = _Recording(str(uuid7()), ts - cfg.pre_s, ts + cfg.post_s, ts, ts)
                self._active.append(recording)
            else:
                recording.end_ts = max(recording.end_ts, ts + cfg.post_s)
                recording.last_event_ts = max(recording.last_event_ts, ts)
            recording.events.append({"ts": ts, **event})
            n = len(recording.events)
            if snapshot_jpeg:
                recording.snapshots[f"event-{n}.jpg"] = snapshot_jpeg
            nearest = min(self._frames, key=lambda f: abs(f[0] - ts), default=None)
            if nearest is not None and abs(nearest[0] - ts) <= 1.0:
                recording.snapshots[f"frame-{n}.jpg"] = nearest[1]
            return recording.clip_id

    def flush(self) -> None:
        """Finish every clip now with the frames it has (used on shutdown)."""
        with self._lock:
            self._finish_due(float("inf"))

    def close(self, timeout: float = 60.0) -> None:
        """Finish pending clips, wait for the writer, stop it."""
        self.flush()
        with self._lock:
            self._closed = True
        self._jobs.put(None)
        self._writer.join(timeout)

    def _encode(self, frame: np.ndarray[Any, Any]) -> bytes:
        h, w = frame.shape[:2]
        if w > self.config.max_width:
            frame = cv2.resize(
                frame, (self.config.max_width, round(h * self.config.max_width / w)), interpolation=cv2.INTER_AREA
            )
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, self.config.jpeg_quality])
        if not ok:
            raise RecordingError(f"camera {self.camera}: cannot JPEG-encode a frame of shape {frame.shape}")
        return bytes(buf)

    def _finish_due(self, now: float) -> None:
        for recording in [r for r in self._active if now >= r.end_ts]:
            self._active.remove(recording)
            frames = [f for f in self._frames if recording.start_ts <= f[0] <= recording.end_ts]
            try:
                self._jobs.put_nowait(_Job(recording, frames))
            except queue.Full:
                self._report(recording.clip_id, RecordingError("clip dropped: the writer is too far behind"))

    def _prune(self, now: float) -> None:
        keep_from = min([now - self.config.pre_s] + [r.start_ts for r in self._active])
        while self._frames and (self._frames[0][0] < keep_from or self._bytes > self.config.memory_bytes):
            if self._frames[0][0] >= keep_from:
                self.dropped_frames += 1
            self._bytes -= len(self._frames.popleft()[1])

    def _report(self, clip_id: str, error: RecordingError) -> None:
        log.error("camera %s: clip %s failed: %s", self.camera, clip_id, error)
        if self.on_error is not None:
            self.on_error(clip_id, error)

    def _write_loop(self) -> None:
        while True:
            job = self._jobs.get()
            if job is None:
                return
            try:
                info = self._write(job)
            except RecordingError as err:
                self.store.discard(self.camera, job.recording.clip_id)
                self._report(job.recording.clip_id, err)
                continue
            if self.on_clip is not None:
                self.on_clip(info)

    def _write(self, job: _Job) -> ClipInfo:
        recording, frames = job.recording, job.frames
        if not frames:
            raise RecordingError("no frames were buffered for the event's time span")
        estimate = int(sum(len(j) for _, j in frames) * self.config.size_estimate)
        self.retention.admit(estimate)
        folder = self.store.folder(self.camera, recording.clip_id)
        (folder / SNAPSHOTS).mkdir(parents=True, exist_ok=True)
        mp4 = folder / "clip.mp4"
        result = write_mp4(mp4, frames, crf=self.config.crf, preset=self.config.preset)
        for name, data in recording.snapshots.items():
            write_atomic(folder / SNAPSHOTS / name, data)
        start, end = frames[0][0], frames[-1][0]
        info = ClipInfo(
            clip_id=recording.clip_id,
            camera=self.camera,
            start_ts=start,
            end_ts=end,
            start=iso(start),
            end=iso(end),
            trigger_ts=recording.trigger_ts,
            pre_s=round(recording.trigger_ts - start, 3),
            post_s=round(end - recording.last_event_ts, 3),
            events=recording.events,
            frames=result.frames,
            width=result.width,
            height=result.height,
            bytes=result.bytes,
            sha256=sha256_file(mp4),
            snapshots=sorted(recording.snapshots),
            recorded_at=iso(time.time()),
        )
        self.store.save_meta(info)
        self.retention.enforce()
        return info
