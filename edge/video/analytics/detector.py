"""The detector stage: give each motion blob a kind (person, vehicle, object).

This is the plug-in point for a model. Anything with ``classify(frame, blobs) -> kinds`` can be passed to
:class:`~edge.video.analytics.pipeline.AnalyticsPipeline` — for example a person detector run through
``cv2.dnn`` on the blob's crop. None ships here: the project downloads no model, and OpenCV 5's standard wheel
has dropped the HOG people detector, so a HOG stage would need a deliberately chosen wheel (e.g.
``opencv-contrib-python``). The default stage, :class:`ShapeClassifier`, is a geometric rule with no model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import numpy as np

from edge.video.analytics.config import ObjectKind
from edge.video.analytics.motion import Blob


class DetectorStage(Protocol):
    """Classifies motion blobs; must return one kind per blob, in order, and must not keep ``frame``."""

    def classify(self, frame: np.ndarray[Any, Any], blobs: Sequence[Blob]) -> list[ObjectKind]:
        """Kinds of ``blobs`` seen in ``frame`` (the full-resolution frame; read it, do not keep it)."""
        ...


class ShapeClassifier:
    """Upright blobs (height over width above ``person_ratio`` in pixels) are people, wide ones vehicles.

    A heuristic for fixed cameras looking at a walkway, good enough for zone rules that only care about
    person-sized things; a scene with other upright movers needs a model-based stage.
    """

    def __init__(self, person_ratio: float = 1.6, vehicle_ratio: float = 1.3) -> None:
        self.person_ratio = person_ratio
        self.vehicle_ratio = vehicle_ratio

    def classify(self, frame: np.ndarray[Any, Any], blobs: Sequence[Blob]) -> list[ObjectKind]:
        """Kinds by bounding-box shape."""
        height, width = frame.shape[:2]
        kinds: list[ObjectKind] = []
        for blob in blobs:
            x0, y0, x1, y1 = blob.bbox
            w, h = max((x1 - x0) * width, 1.0), max((y1 - y0) * height, 1.0)
            if h / w >= self.person_ratio:
                kinds.append("person")
            elif w / h >= self.vehicle_ratio:
                kinds.append("vehicle")
            else:
                kinds.append("object")
        return kinds
