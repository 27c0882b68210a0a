"""Motion by background subtraction on a downscaled grey frame, with masks and per-zone change.

The background is a running average learned with a short time constant where nothing moves and a long one
under moving objects, so a person standing still stays foreground for minutes instead of melting into the
background in seconds. Brightness is compensated (auto exposure, dusk) before differencing, and a change over
most of the picture (lights switched, camera knocked) relearns the background instead of reporting one huge
object.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np

from edge.video.analytics.config import MotionConfig
from edge.video.analytics.geometry import Point, polygon_mask

Gray = np.ndarray[Any, Any]
_OPEN = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3))
_CLOSE = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (7, 7))
GHOST_EDGE_RATIO = 1.5


@dataclass(frozen=True)
class Blob:
    """A connected region of change; coordinates are fractions of the frame."""

    bbox: tuple[float, float, float, float]
    area: float

    @property
    def foot(self) -> Point:
        """Bottom centre: where a person stands."""
        return (self.bbox[0] + self.bbox[2]) / 2, self.bbox[3]


@dataclass
class MotionResult:
    """What changed in one frame."""

    blobs: list[Blob] = field(default_factory=list)
    changed: float = 0.0
    zones: dict[str, float] = field(default_factory=dict)
    relearned: bool = False


class MotionDetector:
    """Background subtraction for one camera; feed it the analysis-size grey frames in time order."""

    def __init__(self, config: MotionConfig, zones: Mapping[str, Sequence[Point]] | None = None) -> None:
        self.config = config
        self.zone_polygons = dict(zones or {})
        self._background: np.ndarray[Any, Any] | None = None
        self._valid: Gray | None = None
        self._valid_count = 1
        self._zone_masks: dict[str, tuple[Gray, int]] = {}
        self._last_ts = 0.0

    def reset(self) -> None:
        """Forget the background (it is relearned from the next frame)."""
        self._background = None

    def _prepare(self, shape: tuple[int, ...]) -> None:
        h, w = shape[:2]
        masked = polygon_mask(self.config.masks, w, h)
        self._valid = cv2.bitwise_not(masked)
        self._valid_count = max(1, cv2.countNonZero(self._valid))
        self._zone_masks = {}
        for name, polygon in self.zone_polygons.items():
            zone = cv2.bitwise_and(polygon_mask([polygon], w, h), self._valid)
            self._zone_masks[name] = (zone, max(1, cv2.countNonZero(zone)))

    def process(self, gray: Gray, ts: float) -> MotionResult:
        """Detect change in ``gray`` (analysis size) taken at ``ts``."""
        current = cv2.GaussianBlur(gray, (5, 5), 0).astype(np.float32)
        background = self._background
        if background is None or background.shape != current.shape:
            self._prepare(current.shape)
            self._background = current
            self._last_ts = ts
            return MotionResult(relearned=True)
        valid = self._valid
        assert valid is not None
        dt = min(max(ts - self._last_ts, 0.0), 5.0)
        self._last_ts = ts
        level = cv2.mean(current, mask=valid)[0]
        gain = min(max(cv2.mean(background, mask=valid)[0] / max(level, 1.0), 0.5), 2.0)
        difference = cv2.absdiff(current * gain, background)
        over: Gray = cv2.threshold(difference, self.config.threshold, 255, cv2.THRESH_BINARY)[1].astype(np.uint8)
        changed_mask = cv2.bitwise_and(over, valid)
        changed = cv2.countNonZero(changed_mask) / self._valid_count
        if changed > self.config.global_change:
            self._background = current
            return MotionResult(changed=changed, relearned=True)
        foreground = cv2.morphologyEx(changed_mask, cv2.MORPH_OPEN, _OPEN)
        foreground = cv2.morphologyEx(foreground, cv2.MORPH_CLOSE, _CLOSE)
        self._learn(current, foreground, dt)
        return MotionResult(
            blobs=self._blobs(foreground, current),
            changed=changed,
            zones={
                name: cv2.countNonZero(cv2.bitwise_and(foreground, mask)) / count
                for name, (mask, count) in self._zone_masks.items()
            },
        )

    def _learn(self, current: np.ndarray[Any, Any], foreground: Gray, dt: float) -> None:
        """Running average: fast where nothing moves, slow under objects."""
        background = self._background
        assert background is not None
        fast = 1.0 - math.exp(-dt / self.config.background_tau_s)
        slow = 1.0 - math.exp(-dt / self.config.foreground_tau_s)
        cv2.accumulateWeighted(current, background, fast, mask=cv2.bitwise_not(foreground))
        cv2.accumulateWeighted(current, background, slow, mask=foreground)

    def _blobs(self, foreground: Gray, current: np.ndarray[Any, Any]) -> list[Blob]:
        h, w = foreground.shape[:2]
        min_area = self.config.min_blob_area * w * h
        contours, _ = cv2.findContours(foreground, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        blobs = []
        for contour in contours:
            area = cv2.contourArea(contour)
            if area < min_area:
                continue
            if self._ghost(contour, current):
                continue
            x, y, bw, bh = cv2.boundingRect(contour)
            blobs.append(Blob((x / w, y / h, (x + bw) / w, (y + bh) / h), area / (w * h)))
        return blobs

    def _ghost(self, contour: np.ndarray[Any, Any], current: np.ndarray[Any, Any]) -> bool:
        """A blob whose outline is an edge in the background but not in the picture is where something *was*
        (it stood there while the background was learned, then left): forget it by taking the picture as the
        background there. A real object has its outline in the picture."""
        background = self._background
        assert background is not None
        x, y, bw, bh = cv2.boundingRect(contour)
        x0, y0 = max(x - 2, 0), max(y - 2, 0)
        x1, y1 = min(x + bw + 2, current.shape[1]), min(y + bh + 2, current.shape[0])
        band = np.zeros((y1 - y0, x1 - x0), np.uint8)
        cv2.drawContours(band, [contour - np.array([x0, y0])], -1, 255, 3)
        now = _edges(current[y0:y1, x0:x1])
        before = _edges(background[y0:y1, x0:x1])
        if cv2.mean(before, mask=band)[0] <= GHOST_EDGE_RATIO * cv2.mean(now, mask=band)[0] + 2.0:
            return False
        region = np.zeros_like(band)
        cv2.drawContours(region, [contour - np.array([x0, y0])], -1, 255, -1)
        region = cv2.dilate(region, _CLOSE)
        np.copyto(background[y0:y1, x0:x1], current[y0:y1, x0:x1], where=region.astype(bool))
        return True


def _edges(image: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    gx = cv2.Sobel(image, cv2.CV_32F, 1, 0, ksize=3)
    gy = cv2.Sobel(image, cv2.CV_32F, 0, 1, ksize=3)
    return cv2.magnitude(gx, gy)
