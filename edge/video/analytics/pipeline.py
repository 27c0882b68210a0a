"""One camera's analytics: tamper, motion, tracked objects and zone rules, frame by frame."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import cv2
import numpy as np

from edge.video.analytics.config import AnalyticsConfig
from edge.video.analytics.detector import DetectorStage, ShapeClassifier
from edge.video.analytics.findings import Finding, snapshot
from edge.video.analytics.hysteresis import Debounce
from edge.video.analytics.motion import MotionDetector
from edge.video.analytics.rules import LineRule, LoiterRule
from edge.video.analytics.tamper import TamperChange, TamperMonitor
from edge.video.analytics.tracker import Track, Tracker

SAMPLE_WIDTH = 480
# While one of these is raised the picture does not show the scene the zones were drawn on.
BLINDING = ("covered", "moved", "frozen")
_MESSAGES = {
    ("covered", "raised"): "Camera view is covered or blacked out",
    ("covered", "cleared"): "Camera view is no longer covered",
    ("defocused", "raised"): "Camera picture is out of focus",
    ("defocused", "cleared"): "Camera picture is in focus again",
    ("moved", "raised"): "Camera no longer points at its reference view",
    ("moved", "cleared"): "Camera is back on its reference view",
    ("frozen", "raised"): "Camera picture is frozen: identical frames while the stream runs",
    ("frozen", "cleared"): "Camera picture is live again",
}


class AnalyticsPipeline:
    """Feed frames in time order with :meth:`process`; it returns what it found in each.

    The frame may be a zero-copy view of the frame ring: the pipeline keeps only small copies (the analysis
    image, a strided sample), never the frame itself.
    """

    def __init__(self, camera: str, config: AnalyticsConfig, detector: DetectorStage | None = None) -> None:
        self.camera = camera
        self.config = config
        self.detector: DetectorStage = detector or ShapeClassifier()
        self.tamper = TamperMonitor(config.tamper)
        self.motion = MotionDetector(config.motion, {z.name: z.polygon for z in config.zones if z.motion})
        self.tracker = Tracker(config.track_max_gap_s, config.track_max_step)
        self.loiter_rules = [LoiterRule(z) for z in config.zones if z.loiter_after_s is not None]
        self.line_rules = [LineRule(line) for line in config.lines]
        timing = config.zone_motion
        self.zone_motion = {
            z.name: Debounce(timing.raise_after_s, timing.clear_after_s) for z in config.zones if z.motion
        }
        self.frames = 0

    def process(self, frame: np.ndarray[Any, Any], ts: float) -> list[Finding]:
        """Analyse one frame (BGR or grey, any size) taken at ``ts`` seconds."""
        if frame.ndim not in (2, 3) or frame.dtype != np.uint8:
            raise ValueError(f"analytics need an 8-bit grey or BGR frame, got {frame.dtype} of shape {frame.shape}")
        self.frames += 1
        height, width = frame.shape[:2]
        aspect = width / height
        for rule in self.line_rules:
            if abs(rule.geometry.aspect - aspect) > 1e-3:
                self.line_rules = [LineRule(line, aspect) for line in self.config.lines]
                break
        self.tracker.aspect = aspect
        gray = self._analysis_gray(frame)
        step = max(1, width // SAMPLE_WIDTH)
        changes = self.tamper.process(gray, frame[::step, ::step], ts)
        findings: list[Finding] = [self._tamper_finding(change, ts) for change in changes]
        if any(name in BLINDING for name in self.tamper.active):
            findings += self._suspend(ts)
        else:
            findings += self._scene(frame, gray, ts)
        return self._with_snapshots(frame, findings)

    def _analysis_gray(self, frame: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        height, width = frame.shape[:2]
        target = self.config.motion.analysis_width
        small = frame
        if width > target:
            small = cv2.resize(frame, (target, max(1, round(height * target / width))), interpolation=cv2.INTER_AREA)
        return cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small.copy()

    def _scene(self, frame: np.ndarray[Any, Any], gray: np.ndarray[Any, Any], ts: float) -> list[Finding]:
        result = self.motion.process(gray, ts)
        findings: list[Finding] = []
        for name, fraction in result.zones.items():
            evident = None if result.relearned else fraction >= self.config.motion.zone_fraction
            transition = self.zone_motion[name].update(evident, ts)
            if transition:
                started = transition == "raised"
                findings.append(
                    Finding(
                        kind="event",
                        type="motion_started" if started else "motion_stopped",
                        ts=ts,
                        severity="info",
                        message=f"Motion {'started' if started else 'stopped'} in zone {name}",
                        data={"zone": name, "changed": round(fraction, 4)},
                    )
                )
        kinds = self.detector.classify(frame, result.blobs) if result.blobs else []
        ended = self.tracker.update(result.blobs, kinds, ts)
        tracks = list(self.tracker.tracks.values())
        for loiter in self.loiter_rules:
            findings += loiter.update(tracks, ended, ts)
        for line in self.line_rules:
            findings += line.update(tracks, ended, ts)
        return findings

    def _suspend(self, ts: float) -> list[Finding]:
        """End every track (clearing their loitering) and forget the background until the picture is back."""
        ended = self.tracker.reset()
        self.motion.reset()
        findings: list[Finding] = []
        for loiter in self.loiter_rules:
            findings += loiter.update([], ended, ts)
        for line in self.line_rules:
            line.update([], ended, ts)
        return findings

    def _tamper_finding(self, change: TamperChange, ts: float) -> Finding:
        raised = change.transition == "raised"
        return Finding(
            kind="alert_raised" if raised else "alert_cleared",
            type=change.condition,
            ts=ts,
            severity="major",
            alert_id=f"tamper.{change.condition}",
            message=_MESSAGES[(change.condition, change.transition)],
            data={"condition": change.condition, "since_ts": change.since, **change.reading.as_dict()},
        )

    def _with_snapshots(self, frame: np.ndarray[Any, Any], findings: list[Finding]) -> list[Finding]:
        if not findings:
            return findings
        cfg = self.config
        picture = frame if frame.ndim == 3 else cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR)
        plain = snapshot(picture, cfg.snapshot_width, cfg.snapshot_quality)
        out = []
        for finding in findings:
            jpeg = plain
            box = finding.data.get("bbox")
            if box is not None:
                jpeg = _boxed(picture, box, cfg.snapshot_width, cfg.snapshot_quality)
            out.append(replace(finding, snapshot_jpeg=jpeg))
        return out

    def live_tracks(self) -> list[Track]:
        """Objects currently followed (confirmed ones)."""
        return [t for t in self.tracker.tracks.values() if t.confirmed]


def _boxed(frame: np.ndarray[Any, Any], box: list[float], width: int, quality: int) -> bytes:
    h, w = frame.shape[:2]
    scale = min(1.0, width / w)
    small = cv2.resize(frame, (round(w * scale), round(h * scale)), interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    cv2.rectangle(
        small, (round(box[0] * sw), round(box[1] * sh)), (round(box[2] * sw), round(box[3] * sh)), (0, 0, 255), 2
    )
    return snapshot(small, width, quality)
