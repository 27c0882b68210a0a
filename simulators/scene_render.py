"""Pixels of a synthetic bridge scene: a textured background, actors, day/night, sensor noise, faults.

The background is painted once per resolution from normalised coordinates, so the same scene looks the same at
640x360 and at 1920x1080. A frame is a pure function of ``t``: the same ``t`` gives the same pixels (sensor noise
included), which is what makes a frozen image exactly identical frame after frame.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

from simulators.scene_model import Actor, Fault, SceneSpec

Image = np.ndarray[Any, np.dtype[np.uint8]]
HORIZON, RIVER_END, RAIL = 0.34, 0.56, 0.60
LAMPS_X = (0.12, 0.42, 0.72)
NOISE_PAD = 32


def _px(w: int, h: int, x: float, y: float) -> tuple[int, int]:
    return round(x * w), round(y * h)


def paint_background(w: int, h: int, seed: int) -> Image:
    """Sky, skyline, river and bridge deck with railings and lamp posts, plus fine fixed-pattern texture."""
    rng = np.random.default_rng(seed)
    img = np.zeros((h, w, 3), np.float32)
    top, river = int(HORIZON * h), int(RIVER_END * h)
    ramp = np.linspace(0.0, 1.0, max(top, 1), dtype=np.float32)[:, None, None]
    img[:top] = np.array([225, 190, 140], np.float32) * (1 - ramp) + np.array([245, 225, 200], np.float32) * ramp
    x = 0.0
    while x < 1.0:
        bw, bh = rng.uniform(0.03, 0.09), rng.uniform(0.08, 0.24)
        shade = rng.uniform(70, 140)
        x0, y0 = _px(w, h, x, HORIZON - bh)
        x1, y1 = _px(w, h, x + bw, HORIZON)
        cv2.rectangle(img, (x0, y0), (x1, y1), (shade * 0.9, shade, shade * 1.1), -1)
        for wy in np.arange(HORIZON - bh + 0.015, HORIZON - 0.01, 0.025):
            for wx in np.arange(x + 0.006, x + bw - 0.008, 0.012):
                a, b = _px(w, h, wx, wy), _px(w, h, wx + 0.005, wy + 0.01)
                cv2.rectangle(img, a, b, (shade * 0.5,) * 3, -1)
        x += bw + rng.uniform(0.0, 0.02)
    ramp = np.linspace(0.0, 1.0, river - top, dtype=np.float32)[:, None, None]
    img[top:river] = np.array([90, 95, 40], np.float32) * (1 - ramp) + np.array([70, 70, 30], np.float32) * ramp
    for _ in range(400):
        rx, ry, rl = rng.uniform(0, 1), rng.uniform(HORIZON + 0.01, RIVER_END - 0.01), rng.uniform(0.01, 0.05)
        cv2.line(img, _px(w, h, rx, ry), _px(w, h, rx + rl, ry), (130, 135, 90), max(1, h // 360))
    img[river:] = (128, 132, 135)
    for gy in np.arange(RAIL + 0.04, 1.0, 0.07):
        cv2.line(img, _px(w, h, 0, gy), _px(w, h, 1, gy), (105, 108, 110), max(1, h // 360))
    for gx in np.arange(0.0, 1.0, 0.05):
        cv2.line(img, _px(w, h, gx, RAIL), _px(w, h, gx - 0.03, 1.0), (110, 112, 115), max(1, h // 540))
    cv2.rectangle(img, _px(w, h, 0, RIVER_END), _px(w, h, 1, RIVER_END + 0.012), (60, 60, 65), -1)
    cv2.rectangle(img, _px(w, h, 0, RAIL - 0.008), _px(w, h, 1, RAIL), (60, 60, 65), -1)
    for px in np.arange(0.0, 1.0, 0.025):
        cv2.rectangle(img, _px(w, h, px, RIVER_END), _px(w, h, px + 0.004, RAIL), (55, 55, 60), -1)
    for lx in LAMPS_X:
        cv2.rectangle(img, _px(w, h, lx, 0.22), _px(w, h, lx + 0.006, RAIL), (40, 40, 45), -1)
        cv2.rectangle(img, _px(w, h, lx - 0.012, 0.21), _px(w, h, lx + 0.018, 0.225), (40, 40, 45), -1)
    img += rng.normal(0.0, 6.0, (h, w, 1)).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def paint_night_light(w: int, h: int, seed: int) -> Image:
    """What lights up at night: lamp heads, soft pools of light on the deck, lit windows."""
    rng = np.random.default_rng(seed + 1)
    sw, sh = max(16, w // 8), max(16, h // 8)
    pools = np.zeros((sh, sw, 3), np.float32)
    for lx in LAMPS_X:
        cv2.ellipse(pools, _px(sw, sh, lx + 0.003, 0.8), (sw // 14, sh // 9), 0, 0, 360, (70, 120, 150), -1)
    pools = cv2.GaussianBlur(pools, (0, 0), sw / 30)
    glow = cv2.resize(pools, (w, h), interpolation=cv2.INTER_LINEAR)
    lamp = (max(2, w // 60), max(2, h // 60))
    for lx in LAMPS_X:
        cv2.ellipse(glow, _px(w, h, lx + 0.003, 0.23), lamp, 0, 0, 360, (150, 220, 255), -1)
    for _ in range(120):
        x, y = rng.uniform(0, 1), rng.uniform(HORIZON - 0.2, HORIZON - 0.02)
        cv2.rectangle(glow, _px(w, h, x, y), _px(w, h, x + 0.005, y + 0.01), (80, 180, 230), -1)
    glow = cv2.GaussianBlur(glow, (0, 0), max(1.0, w / 400))
    return np.clip(glow, 0, 255).astype(np.uint8)


def draw_actor(img: Image, actor: Actor, t: float, gain: float) -> None:
    """Draw ``actor`` where it is at ``t`` (nothing when out of view)."""
    box = actor.bbox(t)
    if box is None:
        return
    h, w = img.shape[:2]
    x0, y0 = _px(w, h, box[0], box[1])
    x1, y1 = _px(w, h, box[2], box[3])
    color = tuple(float(c) * max(gain, 0.55) for c in actor.color)
    if actor.kind == "person":
        head = max(2, (x1 - x0) // 2)
        cv2.ellipse(
            img,
            ((x0 + x1) // 2, (y0 + head * 2 + y1) // 2),
            ((x1 - x0) // 2, (y1 - y0 - head * 2) // 2),
            0,
            0,
            360,
            color,
            -1,
        )
        cv2.circle(img, ((x0 + x1) // 2, y0 + head), head, tuple(c * 0.8 for c in color), -1)
    elif actor.kind == "boat":
        hull = np.array(
            [[x0, y0 + (y1 - y0) // 2], [x1, y0 + (y1 - y0) // 2], [x1 - (x1 - x0) // 6, y1], [x0 + (x1 - x0) // 6, y1]]
        )
        cv2.fillPoly(img, [hull.astype(np.int32)], color)
        cv2.rectangle(img, (x0 + (x1 - x0) // 3, y0), (x0 + 2 * (x1 - x0) // 3, y0 + (y1 - y0) // 2), color, -1)
    else:
        cv2.rectangle(img, (x0, y0), (x1, y1), color, -1)
        cv2.rectangle(img, (x0 + (x1 - x0) // 5, y0 + 2), (x1 - (x1 - x0) // 5, y0 + (y1 - y0) // 3), (60, 50, 40), -1)


def draw_flag(img: Image, region: tuple[tuple[float, float], ...], t: float, gain: float) -> None:
    """A flag waving in ``region`` (its bounding box): constant motion that a mask should hide."""
    h, w = img.shape[:2]
    xs = [p[0] for p in region]
    ys = [p[1] for p in region]
    left, right, top, bottom = min(xs), max(xs), min(ys), max(ys)
    n = 16
    amp = (bottom - top) * 0.15
    edge = [
        (left + (right - left) * i / n, amp * np.sin(2 * np.pi * (1.3 * t - 2.0 * i / n)) * i / n) for i in range(n + 1)
    ]
    upper = [_px(w, h, x, top + amp + dy) for x, dy in edge]
    lower = [_px(w, h, x, bottom - amp + dy) for x, dy in reversed(edge)]
    cv2.fillPoly(img, [np.array(upper + lower, np.int32)], (40 * gain, 40 * gain, 200 * gain))


class Renderer:
    """Renders one :class:`SceneSpec` at one resolution."""

    def __init__(self, spec: SceneSpec, width: int, height: int, seed: int = 7, noise: float = 2.5) -> None:
        if width < 16 or height < 16:
            raise ValueError(f"a scene needs at least 16x16 pixels, not {width}x{height}")
        self.spec, self.width, self.height = spec, width, height
        self.background = paint_background(width, height, seed)
        self.night = paint_night_light(width, height, seed)
        rng = np.random.default_rng(seed + 2)
        grain = rng.normal(0.0, noise, (height + NOISE_PAD, width + NOISE_PAD, 3))
        self._grain_up = np.clip(grain, 0, 255).astype(np.uint8)
        self._grain_down = np.clip(-grain, 0, 255).astype(np.uint8)
        self._covered: Image | None = None

    def render(self, t: float) -> Image:
        """The frame the camera delivers at ``t``."""
        fault = self.spec.fault_at(t)
        shown = fault.start if fault is not None and fault.kind == "frozen" else t
        img = self._scene(shown)
        if fault is not None:
            img = self._fault(img, fault)
        return self._grain(img, shown)

    def _scene(self, t: float) -> Image:
        level = self.spec.light(t)
        gain = 0.22 + 0.78 * level
        if level >= 1.0:
            img = self.background.copy()
        else:
            img = cv2.addWeighted(self.background, gain, self.night, 1.0 - level, 0.0)
        for actor in self.spec.actors:
            draw_actor(img, actor, t, gain)
        if self.spec.flag is not None:
            draw_flag(img, self.spec.flag, t, gain)
        return img

    def _fault(self, img: Image, fault: Fault) -> Image:
        h, w = img.shape[:2]
        if fault.kind == "covered":
            if self._covered is None:
                small = np.full((90, 160, 3), 9, np.uint8)
                cv2.circle(small, (80, 45), 30, (14, 14, 14), -1)
                small = cv2.GaussianBlur(small, (0, 0), 8)
                self._covered = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
            return self._covered.copy()
        if fault.kind == "defocus":
            small = cv2.resize(img, (max(4, w // 4), max(4, h // 4)), interpolation=cv2.INTER_AREA)
            small = cv2.GaussianBlur(small, (0, 0), max(0.5, fault.blur * w / 4))
            return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        if fault.kind == "knocked":
            m = cv2.getRotationMatrix2D((w / 2, h / 2), 2.0, 1.0)
            m[0, 2] += fault.shift[0] * w
            m[1, 2] += fault.shift[1] * h
            return cv2.warpAffine(img, m, (w, h), borderMode=cv2.BORDER_REFLECT101)
        return img

    def _grain(self, img: Image, t: float) -> Image:
        ms = round(t * 1000)
        key = (ms * 0x9E3779B1) & 0xFFFFFFFF
        dy, dx = (key >> 8) % NOISE_PAD, (key >> 20) % NOISE_PAD
        up = self._grain_up[dy : dy + self.height, dx : dx + self.width]
        down = self._grain_down[dy : dy + self.height, dx : dx + self.width]
        cv2.add(img, up, dst=img)
        cv2.subtract(img, down, dst=img)
        return img
