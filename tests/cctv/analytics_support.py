"""Running the analytics over a synthetic scene and comparing with its ground truth."""

from __future__ import annotations

from collections.abc import Callable

import cv2
import numpy as np

from edge.video.analytics.config import AnalyticsConfig, LineConfig, ZoneConfig
from edge.video.analytics.findings import Finding
from edge.video.analytics.pipeline import AnalyticsPipeline
from simulators.scenes import EAST_SPAN, MIDSPAN, Scene

SIZE = (640, 360)
FPS = 10.0


def bridge_config(**changes: object) -> AnalyticsConfig:
    """The scenes' east-span zone (loitering after 20 s) and midspan line, plus ``changes``."""
    base: dict[str, object] = {
        "zones": [ZoneConfig(name="east_span", polygon=list(EAST_SPAN), loiter_after_s=20)],
        "lines": [LineConfig(name="midspan", a=MIDSPAN.a, b=MIDSPAN.b)],
    }
    base.update(changes)
    return AnalyticsConfig.model_validate(base)


def run(
    scene: Scene,
    config: AnalyticsConfig,
    fps: float = FPS,
    until: float | None = None,
    at: Callable[[AnalyticsPipeline, float], None] | None = None,
) -> tuple[AnalyticsPipeline, list[Finding]]:
    """Feed the scene to a pipeline at ``fps`` and collect every finding; ``at`` is called before each frame."""
    pipeline = AnalyticsPipeline("cam1", config)
    findings: list[Finding] = []
    end = scene.duration if until is None else until
    for i in range(int(end * fps)):
        t = i / fps
        if at is not None:
            at(pipeline, t)
        findings += pipeline.process(scene(t), t)
    return pipeline, findings


def of(findings: list[Finding], *types: str) -> list[Finding]:
    """The findings of the given types."""
    return [f for f in findings if f.type in types]


def decode_jpeg(data: bytes | None) -> np.ndarray:
    """A snapshot decoded with OpenCV (fails the test if it is not a JPEG)."""
    assert data is not None and data[:2] == b"\xff\xd8"
    image = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR)
    assert image is not None
    return image
