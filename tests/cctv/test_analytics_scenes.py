"""The synthetic scenes themselves: any resolution, deterministic, faults look like faults, truth is consistent."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from simulators.scenes import CATALOG, Line, make_scene


@pytest.mark.parametrize("size", [(320, 180), (1280, 720), (1920, 1080), (500, 500)])
def test_every_scene_renders_bgr_frames_at_any_resolution(size: tuple[int, int]) -> None:
    for name in CATALOG:
        frame = make_scene(name, *size)(3.0)
        assert frame.shape == (size[1], size[0], 3) and frame.dtype == np.uint8


def test_frames_are_a_pure_function_of_time_with_live_sensor_noise() -> None:
    scene = make_scene("bridge", 640, 360)
    assert np.array_equal(scene(4.2), scene(4.2))
    a, b = scene(4.2), scene(4.24)
    assert not np.array_equal(a, b)
    diff = cv2.absdiff(a, b)
    assert 0.5 < float(diff.mean()) < 6.0  # grain and a walking person, not a different picture


def test_a_frozen_image_repeats_exactly_and_other_faults_change_the_picture() -> None:
    scene = make_scene("faults", 640, 360)
    frozen = [scene(81.0 + i * 0.04) for i in range(50)]
    assert all(np.array_equal(frozen[0], f) for f in frozen)
    assert not np.array_equal(scene(93.0), frozen[0])
    gray = cv2.cvtColor(scene(20.0), cv2.COLOR_BGR2GRAY)
    assert gray.mean() < 25 and gray.std() < 5  # covered lens: dark and featureless

    def sharpness(t: float) -> float:
        g = cv2.cvtColor(scene(t), cv2.COLOR_BGR2GRAY)
        return float(np.abs(cv2.Laplacian(cv2.GaussianBlur(g, (3, 3), 0), cv2.CV_32F)).mean())

    assert sharpness(40.0) < 0.5 * sharpness(33.0)

    def small(t: float) -> np.ndarray:  # coarse enough that the railings' period does not alias
        g = cv2.resize(cv2.cvtColor(scene(t), cv2.COLOR_BGR2GRAY), (320, 180), interpolation=cv2.INTER_AREA)
        return cv2.GaussianBlur(np.float32(g), (0, 0), 1.0)

    window = cv2.createHanningWindow((320, 180), cv2.CV_32F)
    (dx, dy), _ = cv2.phaseCorrelate(small(55.0), small(62.0), window)
    assert dx == pytest.approx(0.08 * 320, abs=4) and dy == pytest.approx(0.04 * 180, abs=4)


def test_actors_are_drawn_where_the_truth_says() -> None:
    scene = make_scene("crossing", 1280, 720, noise=0.0)
    empty = scene(1.0)
    for t in (4.0, 8.0, 17.0, 29.0):
        frame = scene(t)
        for obj in scene.truth.objects_at(t):
            x0, y0, x1, y1 = obj.bbox
            cx, cy = int((x0 + x1) / 2 * 1280), int((y0 + y1) / 2 * 720)
            assert int(cv2.absdiff(frame, empty)[cy, cx].max()) > 40, (t, obj.id)


def test_ground_truth_of_the_catalogue_scenes() -> None:
    crossing = make_scene("crossing").truth.crossings("midspan")
    assert [(c.actor, c.direction) for c in crossing] == [
        ("eastbound", "left_to_right"),
        ("westbound", "right_to_left"),
    ]
    assert 6.0 < crossing[0].t < 7.0 and 19.0 < crossing[1].t < 20.0
    dwells = make_scene("loiter").truth.dwells("east_span", 20.0)
    loiterers = [d for d in dwells if d.loiter_at is not None]
    assert [d.actor for d in loiterers] == ["loiterer"]
    assert loiterers[0].loiter_at == pytest.approx(loiterers[0].entered + 20.0)
    assert 35.0 < loiterers[0].left - loiterers[0].entered < 45.0
    assert [a.type for a in make_scene("faults").truth.expected_alerts()] == ["covered", "defocused", "moved", "frozen"]


def test_line_sides_follow_walking_from_a_to_b() -> None:
    rightwards = Line((0.0, 0.5), (1.0, 0.5))  # walking screen-right: left is up the screen
    assert rightwards.side((0.5, 0.2)) < 0 < rightwards.side((0.5, 0.8))
    assert rightwards.crossed_by((0.5, 0.2), (0.5, 0.8)) == "left_to_right"
    assert rightwards.crossed_by((0.5, 0.8), (0.5, 0.2)) == "right_to_left"
    assert rightwards.crossed_by((0.5, 0.2), (0.5, 0.4)) is None
    assert rightwards.crossed_by((1.5, 0.2), (1.5, 0.8)) is None  # beyond the segment's end


def test_unknown_scene_names_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown scene 'nope'; known: bridge, crossing"):
        make_scene("nope")
