"""Frame sources: ``source(t) -> numpy BGR uint8 array (height, width, 3)`` for ``t`` seconds since start.

Any callable of that shape plugs into the camera simulators (the synthetic scenes with ground truth are such
callables). :class:`TestPattern` is the built-in one: colour bars, a bar sweeping across, the camera's name and
clock, and the frame number written as a row of black/white blocks that survive compression
(:func:`read_frame_number` reads it back), so a test can check which frames arrived, in order.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import cv2
import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]
FrameSource = Callable[[float], Frame]

_BARS_BGR = [
    (192, 192, 192),
    (0, 192, 192),
    (192, 192, 0),
    (0, 192, 0),
    (192, 0, 192),
    (0, 0, 192),
    (192, 0, 0),
]
CODE_BITS = 20


def _code_geometry(width: int, height: int) -> tuple[int, int, int]:
    """Block size, left edge and top edge of the frame-number code."""
    block = max(2, min(width // (CODE_BITS + 3), height // 12))
    return block, block, height - 2 * block


class TestPattern:
    """Moving bars with the camera name, the wall-clock time and a machine-readable frame number."""

    __test__ = False  # not a pytest test class

    def __init__(self, width: int = 640, height: int = 360, fps: float = 25.0, label: str = "cityedge") -> None:
        if width < 160 or height < 120:
            raise ValueError(f"test pattern needs at least 160x120, got {width}x{height}")
        self.width, self.height, self.fps, self.label = width, height, fps, label
        self._background = np.zeros((height, width, 3), np.uint8)
        edges = np.linspace(0, width, len(_BARS_BGR) + 1).astype(int)
        for i, colour in enumerate(_BARS_BGR):
            self._background[: height * 2 // 3, edges[i] : edges[i + 1]] = colour
        self._background[height * 2 // 3 :] = 40
        self._scale = max(0.4, height / 720)

    def frame_number(self, t: float) -> int:
        """The frame number shown at time ``t``."""
        return round(t * self.fps)

    def __call__(self, t: float) -> Frame:
        frame = self._background.copy()
        n = self.frame_number(t)
        bar_w = max(8, self.width // 24)
        x = int((n * 4 * self.width / (self.fps * 6)) % (self.width - bar_w))
        frame[: self.height * 2 // 3, x : x + bar_w] = 255
        thick = max(1, int(2 * self._scale))
        cv2.putText(
            frame,
            self.label,
            (int(20 * self._scale), int(50 * self._scale)),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.2 * self._scale,
            (255, 255, 255),
            thick,
        )
        clock = time.strftime("%H:%M:%S") + f" #{n}"
        cv2.putText(
            frame,
            clock,
            (int(20 * self._scale), self.height * 2 // 3 + int(50 * self._scale)),
            cv2.FONT_HERSHEY_SIMPLEX,
            1.0 * self._scale,
            (255, 255, 255),
            thick,
        )
        write_frame_number(frame, n)
        return frame


def write_frame_number(frame: Frame, number: int) -> None:
    """Draw ``number`` (mod 2**20) as white/black blocks along the bottom of ``frame``, in place."""
    h, w = frame.shape[:2]
    block, left, top = _code_geometry(w, h)
    value = number % (1 << CODE_BITS)
    frame[top - block // 2 : top + block + block // 2, left - block // 2 : left + (CODE_BITS + 1) * block] = 0
    for bit in range(CODE_BITS):
        if value >> (CODE_BITS - 1 - bit) & 1:
            x = left + bit * block
            frame[top : top + block, x : x + block] = 255


def read_frame_number(frame: Frame) -> int:
    """The frame number drawn by :func:`write_frame_number` (block centres thresholded at mid-grey)."""
    h, w = frame.shape[:2]
    block, left, top = _code_geometry(w, h)
    grey = frame[..., 1] if frame.ndim == 3 else frame
    y = top + block // 2
    value = 0
    for bit in range(CODE_BITS):
        x = left + bit * block + block // 2
        value = (value << 1) | int(grey[y, x] > 128)
    return value


def with_noise(source: FrameSource, sigma: float, seed: int = 0) -> FrameSource:
    """``source`` with Gaussian sensor noise of ``sigma`` grey levels (different in every frame)."""
    rng = np.random.default_rng(seed)

    def noisy(t: float) -> Frame:
        frame = source(t).astype(np.int16)
        frame += rng.normal(0.0, sigma, frame.shape[:2])[..., None].astype(np.int16)
        return np.clip(frame, 0, 255).astype(np.uint8)

    return noisy
