"""Objects, loitering, directional line crossing and masked motion against the scenes' ground truth."""

from __future__ import annotations

import math

import pytest
from analytics_support import SIZE, bridge_config, decode_jpeg, of, run

from edge.video.analytics.config import LineConfig, MotionConfig, ZoneConfig
from edge.video.analytics.pipeline import AnalyticsPipeline
from simulators.scenes import FLAG, MIDSPAN, make_scene

LAG = 1.0  # detection may trail the truth by a few frames and the track's smoothing


def test_loitering_is_raised_once_for_the_loiterer_and_cleared_when_they_leave() -> None:
    scene = make_scene("loiter", *SIZE)
    _, findings = run(scene, bridge_config())
    loiter = of(findings, "loitering")
    (truth,) = scene.truth.loiterers("east_span", 20.0)
    assert truth.loiter_at is not None
    assert [f.kind for f in loiter] == ["alert_raised", "alert_cleared"]
    raised, cleared = loiter
    assert raised.alert_id == cleared.alert_id and raised.alert_id.startswith("loitering.east_span.")
    assert truth.loiter_at <= raised.ts <= truth.loiter_at + LAG
    assert truth.left <= cleared.ts <= truth.left + 1.0 + LAG
    assert raised.data["kind"] == "person" and raised.severity == "major"
    assert raised.data["entered_ts"] == pytest.approx(truth.entered, abs=LAG)
    decode_jpeg(raised.snapshot_jpeg)


def test_a_short_limit_still_spares_the_passer_by() -> None:
    scene = make_scene("loiter", *SIZE)
    zone = ZoneConfig(name="east_span", polygon=bridge_config().zones[0].polygon, loiter_after_s=5)
    _, findings = run(scene, bridge_config(zones=[zone]), until=30.0)
    truth = scene.truth.loiterers("east_span", 5.0)
    assert [d.actor for d in truth] == ["loiterer"]  # the passer spends under 4 s in the zone
    raised = [f for f in of(findings, "loitering") if f.kind == "alert_raised"]
    assert len(raised) == 1
    assert truth[0].loiter_at is not None and truth[0].loiter_at <= raised[0].ts <= truth[0].loiter_at + LAG


@pytest.mark.parametrize("scene_name", ["crossing", "day_night"])
def test_line_crossings_match_the_truth_in_time_and_direction(scene_name: str) -> None:
    scene = make_scene(scene_name, *SIZE)
    _, findings = run(scene, bridge_config())
    crossed = of(findings, "line_crossed")
    truth = scene.truth.crossings("midspan")
    assert [f.data["direction"] for f in crossed] == [c.direction for c in truth]
    for finding, expected in zip(crossed, truth, strict=True):
        assert expected.t <= finding.ts + 0.15 and finding.ts <= expected.t + LAG, (finding, expected)
        assert finding.data["kind"] == "person"


def test_a_direction_filter_reports_only_that_direction() -> None:
    scene = make_scene("crossing", *SIZE)
    line = LineConfig(name="midspan", a=MIDSPAN.a, b=MIDSPAN.b, direction="right_to_left")
    _, findings = run(scene, bridge_config(lines=[line]))
    assert [(f.data["direction"], round(f.ts)) for f in of(findings, "line_crossed")] == [("right_to_left", 20)]


def test_objects_are_tracked_where_the_truth_puts_them() -> None:
    scene = make_scene("loiter", *SIZE)
    checked = 0

    def compare(pipeline: AnalyticsPipeline, t: float) -> None:
        nonlocal checked
        if t in (10.0, 20.0, 30.0, 40.0):
            truth = scene.truth.objects_at(t - 0.1)
            tracks = pipeline.live_tracks()
            for obj in truth:
                nearest = min(tracks, key=lambda tr: math.dist(tr.foot, obj.foot))
                assert math.dist(nearest.foot, obj.foot) < 0.03, (t, obj)
                assert nearest.kind == ("vehicle" if obj.kind == "boat" else "person"), (t, obj, nearest)
                checked += 1

    run(scene, bridge_config(), until=41.0, at=compare)
    assert checked >= 6


def test_a_mask_hides_a_waving_flag_but_not_the_people() -> None:
    scene = make_scene("flag", *SIZE)
    sky = ZoneConfig(name="sky", polygon=[(0.8, 0.0), (1.0, 0.0), (1.0, 0.3), (0.8, 0.3)])
    unmasked = bridge_config(zones=[sky])
    _, findings = run(scene, unmasked)
    assert [f.type for f in findings if f.data.get("zone") == "sky"][:1] == ["motion_started"]
    masked = bridge_config(zones=[sky], motion=MotionConfig(masks=[list(FLAG)]))
    _, findings = run(scene, masked)
    assert [f for f in findings if f.data.get("zone") == "sky"] == []
    assert [f.data["direction"] for f in of(findings, "line_crossed")] == ["left_to_right"]
