"""One camera's analytics and recorder in their own process, consuming the camera's frame ring.

A process per camera keeps OpenCV and x264 work off the edge's event loop and lets a wedged camera be
restarted alone. It talks to the video service over a pipe: it sends ``("ready",)``, ``("finding", dict)``,
``("clip", ClipInfo JSON)``, ``("clip_error", clip_id, message, headroom)``, ``("clip_deleted", ClipInfo JSON,
why)`` and ``("health", dict)``; it obeys ``"stop"`` and ``"rebaseline"``.
"""

from __future__ import annotations

import base64
import logging
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from edge.contract.clips import ClipInfo
from edge.stack.procs import die_with_parent
from edge.video.analytics.findings import Finding
from edge.video.analytics.pipeline import AnalyticsPipeline
from edge.video.clip_store import ClipStore
from edge.video.consumer import FrameConsumer
from edge.video.errors import DiskHeadroomError, RecordingError
from edge.video.recorder import ClipRecorder
from edge.video.retention import RetentionPolicy
from edge.video.settings import VideoCamera, VideoSettings

log = logging.getLogger(__name__)
HEALTH_EVERY_S = 2.0


class _Pipe:
    """The child's end of the pipe; the recorder's writer thread sends too, hence the lock."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._lock = threading.Lock()

    def send(self, *message: Any) -> None:
        with self._lock:
            try:
                self.conn.send(message)
            except (BrokenPipeError, EOFError, OSError):
                pass  # the service is gone; the loop ends at the next poll


def finding_message(finding: Finding, clip_id: str | None) -> dict[str, Any]:
    """A finding as plain data for the pipe (snapshot as base64, ready for an Alert)."""
    snapshot = base64.b64encode(finding.snapshot_jpeg).decode() if finding.snapshot_jpeg else None
    return {
        "kind": finding.kind,
        "type": finding.type,
        "ts": finding.ts,
        "message": finding.message,
        "severity": finding.severity,
        "alert_id": finding.alert_id,
        "data": finding.data,
        "snapshot_b64": snapshot,
        "clip_id": clip_id,
    }


def run_worker(conn: Connection, camera_json: str, settings_json: str, clips_dir: str) -> None:
    """Process entry point: consume, analyse, record until told to stop."""
    die_with_parent()  # the edge killed outright must not leave workers behind
    camera = VideoCamera.model_validate_json(camera_json)
    settings = VideoSettings.model_validate_json(settings_json)
    pipe = _Pipe(conn)
    store = ClipStore(Path(clips_dir))
    retention = RetentionPolicy(
        settings.retention, store, on_delete=lambda info, why: pipe.send("clip_deleted", info.model_dump_json(), why)
    )
    recorder = None
    if camera.record:
        recorder = ClipRecorder(
            camera.id,
            settings.recorder,
            store,
            retention,
            on_clip=lambda info: pipe.send("clip", info.model_dump_json()),
            on_error=lambda clip_id, err: pipe.send(
                "clip_error", clip_id, str(err), isinstance(err, DiskHeadroomError)
            ),
        )
    try:
        _consume(camera, settings, pipe, recorder)
    finally:
        if recorder is not None:
            recorder.close()
        pipe.send("stopped")


def _consume(camera: VideoCamera, settings: VideoSettings, pipe: _Pipe, recorder: ClipRecorder | None) -> None:
    pipeline = AnalyticsPipeline(camera.id, camera.analytics)
    interval = 1.0 / camera.analysis_fps
    last_analysed = float("-inf")
    errors = overwritten = 0
    last_health = time.monotonic()
    with FrameConsumer(camera.id, settings.bus) as consumer:
        pipe.send("ready")
        while True:
            if pipe.conn.poll(0):
                try:
                    order = pipe.conn.recv()
                except (EOFError, OSError):
                    return  # the service is gone
                if order == "stop":
                    return
                if order == "rebaseline":
                    pipeline.tamper.rebaseline()
            view = consumer.next_frame(timeout=0.25)
            now = time.monotonic()
            if now - last_health >= HEALTH_EVERY_S:
                last_health = now
                pipe.send("health", _health(consumer, pipeline, recorder, errors, overwritten))
            if view is None:
                continue
            findings: list[Finding] = []
            if view.ts - last_analysed >= interval * 0.95:
                last_analysed = view.ts
                try:
                    findings = pipeline.process(view.image, view.ts)
                except (ValueError, RecordingError) as err:
                    errors += 1
                    log.error("camera %s: frame %d not analysed: %s", camera.id, view.seq, err)
            if recorder is not None:
                recorder.put(view.image, view.ts)
            if not view.intact():
                overwritten += 1  # the ring lapped us mid-frame: what we saw may mix two frames
            for finding in findings:
                clip_id = None
                if recorder is not None and finding.type in camera.record_on and finding.kind != "alert_cleared":
                    clip_id = recorder.trigger(
                        finding.ts,
                        {"type": finding.type, "alert_id": finding.alert_id, "message": finding.message},
                        finding.snapshot_jpeg,
                    )
                pipe.send("finding", finding_message(finding, clip_id))
            del view


def _health(
    consumer: FrameConsumer, pipeline: AnalyticsPipeline, recorder: ClipRecorder | None, errors: int, overwritten: int
) -> dict[str, Any]:
    return {
        "frames_seen": consumer.stats.delivered,
        "frames_skipped": consumer.stats.skipped,
        "frames_analysed": pipeline.frames,
        "analysis_errors": errors,
        "frames_overwritten_in_use": overwritten,
        "objects": len(pipeline.live_tracks()),
        "tamper": pipeline.tamper.active,
        "recording": recorder.recording() if recorder else [],
        "buffered_s": round(recorder.buffered_seconds, 1) if recorder else 0.0,
        "buffered_bytes": recorder.buffered_bytes if recorder else 0,
    }


def parse_clip(raw: str) -> ClipInfo:
    """A ClipInfo sent over the pipe."""
    return ClipInfo.model_validate_json(raw)
