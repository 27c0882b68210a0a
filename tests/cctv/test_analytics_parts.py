"""The analytics' parts on their own: hysteresis, geometry, configuration errors, ghosts, input checks."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
from pydantic import ValidationError

from edge.video.analytics.config import AnalyticsConfig, MotionConfig, ZoneConfig
from edge.video.analytics.detector import ShapeClassifier
from edge.video.analytics.geometry import CountingLine, inside, polygon_mask
from edge.video.analytics.hysteresis import Debounce, tri_state
from edge.video.analytics.motion import Blob, MotionDetector
from edge.video.analytics.pipeline import AnalyticsPipeline
from simulators.scenes import Line, make_scene
from simulators.scenes import inside as truth_inside


def test_debounce_needs_the_condition_to_hold_and_to_be_gone() -> None:
    d = Debounce(raise_after_s=3.0, clear_after_s=5.0)
    assert [d.update(True, t) for t in (0.0, 1.0, 2.9)] == [None, None, None]
    assert d.update(False, 3.0) is None  # interrupted: starts over
    assert [d.update(True, t) for t in (4.0, 6.0, 7.0)] == [None, None, "raised"]
    assert d.active and d.since == 4.0
    assert d.update(None, 8.0) is None and d.active  # cannot tell: holds
    assert [d.update(False, t) for t in (9.0, 13.0, 14.0)] == [None, None, "cleared"]
    assert not d.active


def test_tri_state_has_a_dead_band() -> None:
    assert [tri_state(v, 8.0, 14.0, below=True) for v in (5.0, 10.0, 20.0)] == [True, None, False]
    assert [tri_state(v, 0.02, 0.01, below=False) for v in (0.03, 0.015, 0.005)] == [True, None, False]


def test_line_sides_agree_with_the_scenes_ground_truth() -> None:
    rng = random.Random(5)
    for _ in range(500):
        a, b = (rng.random(), rng.random()), (rng.random(), rng.random())
        p = (rng.random(), rng.random())
        ours, truth = CountingLine(a, b, aspect=1.0), Line(a, b)
        if abs(truth.side(p)) > 1e-9:
            assert (ours.signed_distance(p) < 0) == (truth.side(p) < 0)
        q = (rng.random(), rng.random())
        if truth.crossed_by(p, q):
            assert ours.within_extent(p, q)


def test_polygons_inside_and_rasterised() -> None:
    square = [(0.25, 0.25), (0.75, 0.25), (0.75, 0.75), (0.25, 0.75)]
    assert inside(square, (0.5, 0.5)) and not inside(square, (0.1, 0.5))
    assert truth_inside(tuple(square), (0.5, 0.5))
    mask = polygon_mask([square], 100, 100)
    assert mask[50, 50] == 255 and mask[10, 10] == 0
    assert 2300 < cv2.countNonZero(mask) < 2800


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"zones": [{"name": "z", "polygon": [[0, 0], [1, 0]]}]}, "at least 3 points"),
        ({"zones": [{"name": "z", "polygon": [[0, 0], [1.5, 0], [1, 1]]}]}, "outside the frame"),
        ({"zones": [{"name": "bad name", "polygon": [[0, 0], [1, 0], [1, 1]]}]}, "string_pattern_mismatch"),
        ({"lines": [{"name": "l", "a": [0, 0], "b": [1, 1], "direction": "north"}]}, "left_to_right"),
        ({"motoin": {}}, "motoin"),
    ],
)
def test_bad_configuration_is_refused_with_the_reason(config: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        AnalyticsConfig.model_validate(config)


def test_frames_the_analytics_cannot_use_are_refused() -> None:
    pipeline = AnalyticsPipeline("cam1", AnalyticsConfig())
    with pytest.raises(ValueError, match="8-bit grey or BGR frame, got float32"):
        pipeline.process(np.zeros((10, 10, 3), np.float32), 0.0)
    assert pipeline.process(np.zeros((90, 160), np.uint8), 0.0) == []  # grey is fine


def test_shape_classifier_by_upright_or_wide_boxes() -> None:
    frame = np.zeros((720, 1280, 3), np.uint8)
    blobs = [Blob((0.5, 0.5, 0.53, 0.64), 0.001), Blob((0.1, 0.4, 0.22, 0.46), 0.004), Blob((0, 0, 0.05, 0.09), 0.002)]
    assert ShapeClassifier().classify(frame, blobs) == ["person", "vehicle", "object"]


def test_something_that_stood_in_the_first_frame_leaves_no_ghost() -> None:
    """The first frame becomes the background; once the person walks off, their old place is not an object."""
    scene = make_scene("crossing", 320, 180)
    detector = MotionDetector(MotionConfig())

    def gray(t: float) -> np.ndarray:
        return cv2.cvtColor(scene(t), cv2.COLOR_BGR2GRAY)

    detector.process(gray(4.0), 4.0)  # eastbound walker at x ~ 0.29 in the first frame
    for i in range(1, 40):
        result = detector.process(gray(4.0 + i / 10), 4.0 + i / 10)
    feet = [b.foot[0] for b in result.blobs]
    assert len(feet) == 1 and feet[0] > 0.4  # only the walker, where they are now


def test_zone_masks_exclude_masked_pixels() -> None:
    zone = ZoneConfig(name="z", polygon=[(0.0, 0.0), (0.5, 0.0), (0.5, 1.0), (0.0, 1.0)])
    detector = MotionDetector(
        MotionConfig(masks=[[(0.0, 0.0), (0.5, 0.0), (0.5, 0.5), (0.0, 0.5)]]), {"z": zone.polygon}
    )
    still = np.full((90, 160), 100, np.uint8)
    detector.process(still, 0.0)
    moved = still.copy()
    moved[5:40, 10:60] = 200  # inside the mask
    assert detector.process(moved, 0.1).zones["z"] == 0.0
    moved[60:85, 10:60] = 200  # inside the zone, outside the mask
    assert detector.process(moved, 0.2).zones["z"] > 0.1


def test_the_documented_video_config_is_valid_and_mistakes_are_named() -> None:
    import re
    import tomllib
    from pathlib import Path

    from edge.video.settings import VideoSettings

    doc = (Path(__file__).resolve().parents[2] / "docs" / "video.md").read_text()
    block = re.search(r"## Edge configuration\n\n```toml\n(.*?)```", doc, re.S)
    assert block is not None
    settings = VideoSettings.model_validate(tomllib.loads(block.group(1))["video"])
    camera = settings.cameras[0]
    assert camera.analytics.zones[0].loiter_after_s == 120 and camera.analytics.motion.masks
    with pytest.raises(ValidationError, match=r"unknown finding types \['loiter'\]"):
        VideoSettings.model_validate({"cameras": [{"id": "c1", "record_on": ["loiter"]}]})
    with pytest.raises(ValidationError, match=r"cameras listed twice: \['c1'\]"):
        VideoSettings.model_validate({"cameras": [{"id": "c1"}, {"id": "c1"}]})
