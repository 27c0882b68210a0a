"""What the analytics report: alerts raised and cleared, and events, each with a JPEG snapshot where useful."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import cv2
import numpy as np

FindingKind = Literal["alert_raised", "alert_cleared", "event"]


@dataclass(frozen=True)
class Finding:
    """One analytic result at frame time ``ts``.

    ``alert_id`` names the condition on this camera (``tamper.covered``, ``loitering.east_span.7``) for
    ``alert_raised``/``alert_cleared``; events (``line_crossed``, ``motion_started``) have none.
    """

    kind: FindingKind
    type: str
    ts: float
    message: str
    severity: str = "minor"
    alert_id: str | None = None
    data: dict[str, Any] = field(default_factory=dict)
    snapshot_jpeg: bytes | None = field(default=None, repr=False)


def snapshot(frame: np.ndarray[Any, Any], width: int, quality: int) -> bytes:
    """``frame`` scaled down to at most ``width`` pixels wide, as JPEG bytes."""
    h, w = frame.shape[:2]
    if w > width:
        frame = cv2.resize(frame, (width, max(1, round(h * width / w))), interpolation=cv2.INTER_AREA)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError(f"cannot encode a {w}x{h} frame as JPEG")
    return bytes(buf)
