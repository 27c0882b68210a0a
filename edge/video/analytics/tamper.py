"""Tamper conditions: covered lens, defocus, camera moved, frozen picture — each with hysteresis.

Measured on the analysis-size grey frame (contrast, sharpness, view shift by phase correlation) and on a
strided sample of the full frame (frame-to-frame change, where sensor noise keeps live pictures different).
Defocus and movement are judged against a reference learned while the picture is healthy and renewed every
``reference_refresh_s`` (so dusk does not look like defocus). While the lens is covered nothing else can be
judged, so the other conditions hold their state.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from edge.video.analytics.config import TamperConfig
from edge.video.analytics.hysteresis import Debounce, Transition, tri_state

CONDITIONS = ("covered", "defocused", "moved", "frozen")
_MIN_RESPONSE, _MATCH_RESPONSE = 0.08, 0.15


@dataclass(frozen=True)
class TamperReading:
    """The measurements behind one frame's judgement."""

    contrast: float
    sharpness: float
    sharpness_ratio: float | None
    shift: float | None
    response: float | None
    difference: float | None

    def as_dict(self) -> dict[str, float | None]:
        """Rounded values for events and state."""
        return {k: None if v is None else round(v, 4) for k, v in self.__dict__.items()}


@dataclass(frozen=True)
class TamperChange:
    """A condition raised or cleared, with the reading that completed it."""

    condition: str
    transition: Transition
    since: float | None
    reading: TamperReading


class TamperMonitor:
    """Judges one camera's picture frame by frame."""

    def __init__(self, config: TamperConfig) -> None:
        self.config = config
        self.states = {name: Debounce(t.raise_after_s, t.clear_after_s) for name, t in self._timings().items()}
        self._reference: np.ndarray[Any, Any] | None = None
        self._reference_sharpness = 0.0
        self._reference_at = 0.0
        self._window: np.ndarray[Any, Any] | None = None
        self._previous: np.ndarray[Any, Any] | None = None

    def _timings(self) -> dict[str, Any]:
        c = self.config
        return {"covered": c.covered, "defocused": c.defocused, "moved": c.moved, "frozen": c.frozen}

    @property
    def active(self) -> list[str]:
        """Conditions currently raised."""
        return [name for name, state in self.states.items() if state.active]

    def rebaseline(self) -> None:
        """Take the next healthy frame as the new reference (after an intended change of view)."""
        self._reference = None

    def process(self, gray: np.ndarray[Any, Any], sample: np.ndarray[Any, Any], ts: float) -> list[TamperChange]:
        """Judge one frame: ``gray`` at analysis size, ``sample`` a strided sample of the full frame."""
        reading, evidence = self._judge(gray, sample)
        changes = []
        for name in CONDITIONS:
            state = self.states[name]
            transition = state.update(evidence[name], ts)
            if transition:
                changes.append(TamperChange(name, transition, state.since, reading))
        healthy = not self.active and all(evidence[name] is False for name in CONDITIONS)
        due = self._reference is not None and healthy and ts - self._reference_at >= self.config.reference_refresh_s
        if due or (self._reference is None and evidence["covered"] is False):
            self._learn(gray, reading.sharpness, ts)
        return changes

    def _judge(
        self, gray: np.ndarray[Any, Any], sample: np.ndarray[Any, Any]
    ) -> tuple[TamperReading, dict[str, bool | None]]:
        c = self.config
        contrast = float(gray.std())
        laplacian = cv2.Laplacian(cv2.GaussianBlur(gray, (3, 3), 0), cv2.CV_32F)
        sharpness = float(np.abs(laplacian).mean()) / (contrast + 1e-3)
        difference = None
        if self._previous is not None and self._previous.shape == sample.shape:
            difference = float(cv2.absdiff(sample, self._previous).mean())
        self._previous = sample.copy()
        covered = tri_state(contrast, *c.covered_contrast, below=True)
        evidence: dict[str, bool | None] = dict.fromkeys(CONDITIONS)
        evidence["covered"] = covered
        ratio = shift = response = None
        blind = covered is True or (covered is None and self.states["covered"].active)
        if not blind and self._reference is not None and self._reference.shape == gray.shape:
            ratio = sharpness / max(self._reference_sharpness, 1e-6)
            evidence["defocused"] = tri_state(ratio, *c.sharpness_ratio, below=True)
            shift, response = self._shift(gray)
            enter, leave = c.moved_shift
            if shift > enter or response < _MIN_RESPONSE:
                evidence["moved"] = True
            elif shift < leave and response >= _MATCH_RESPONSE:
                evidence["moved"] = False
        if not blind and difference is not None:
            evidence["frozen"] = tri_state(difference, *c.frozen_difference, below=True)
        return TamperReading(contrast, sharpness, ratio, shift, response, difference), evidence

    def _prepared(self, gray: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
        return cv2.GaussianBlur(gray.astype(np.float32), (0, 0), 1.0)

    def _shift(self, gray: np.ndarray[Any, Any]) -> tuple[float, float]:
        assert self._reference is not None and self._window is not None
        # OpenCV 5's phaseCorrelate multiplies its inputs by the window in place: hand it a copy of the reference.
        (dx, dy), response = cv2.phaseCorrelate(self._reference.copy(), self._prepared(gray), self._window)
        return math.hypot(dx, dy) / gray.shape[1], float(response)

    def _learn(self, gray: np.ndarray[Any, Any], sharpness: float, ts: float) -> None:
        self._reference = self._prepared(gray)
        self._reference_sharpness = sharpness
        self._reference_at = ts
        if self._window is None or self._window.shape != gray.shape:
            self._window = cv2.createHanningWindow((gray.shape[1], gray.shape[0]), cv2.CV_32F)
