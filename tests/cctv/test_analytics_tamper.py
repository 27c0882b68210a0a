"""Each scripted fault yields exactly its alert and its clearing, on time, with a snapshot; nothing flaps."""

from __future__ import annotations

from dataclasses import replace

import pytest
from analytics_support import SIZE, bridge_config, decode_jpeg, of, run

from edge.video.analytics.config import ConditionTiming, TamperConfig
from edge.video.analytics.pipeline import AnalyticsPipeline
from simulators.scenes import Fault, Scene, make_scene

TAMPER = ("covered", "defocused", "moved", "frozen")


def test_each_scripted_fault_raises_and_clears_exactly_its_alert() -> None:
    scene = make_scene("faults", *SIZE)
    config = bridge_config()
    _, findings = run(scene, config)
    tamper = of(findings, *TAMPER)
    expected = scene.truth.expected_alerts()
    assert [(f.type, f.kind) for f in tamper] == [
        (e.type, kind) for e in expected for kind in ("alert_raised", "alert_cleared")
    ]
    timing = config.tamper
    for e, (raised, cleared) in zip(expected, zip(tamper[::2], tamper[1::2], strict=True), strict=True):
        hold = getattr(timing, e.type)
        assert raised.alert_id == cleared.alert_id == f"tamper.{e.type}"
        assert e.start + hold.raise_after_s <= raised.ts <= e.start + hold.raise_after_s + 0.5, e
        assert raised.data["since_ts"] == pytest.approx(e.start, abs=0.25)
        assert e.end + hold.clear_after_s <= cleared.ts <= e.end + hold.clear_after_s + 0.5, e
        for finding in (raised, cleared):
            assert decode_jpeg(finding.snapshot_jpeg).shape == (SIZE[1], SIZE[0], 3)
    covered = decode_jpeg(tamper[0].snapshot_jpeg)
    assert covered.mean() < 30  # the snapshot shows the covered lens itself
    assert decode_jpeg(tamper[1].snapshot_jpeg).mean() > 80


def test_dusk_and_walkers_raise_no_tamper_alert() -> None:
    _, findings = run(make_scene("day_night", *SIZE), bridge_config())
    assert of(findings, *TAMPER) == []


def _scene_with(*faults: Fault, duration: float = 45.0) -> Scene:
    spec = replace(make_scene("crossing").spec, faults=faults, duration=duration)
    return Scene(spec, *SIZE)


def test_a_flickering_fault_shorter_than_the_hold_raises_nothing() -> None:
    flicker = tuple(Fault("covered", 10.0 + 2 * i, 11.0 + 2 * i) for i in range(10))
    _, findings = run(_scene_with(*flicker), bridge_config())
    assert of(findings, *TAMPER) == []


def test_a_brief_recovery_inside_a_fault_does_not_clear_it() -> None:
    scene = _scene_with(Fault("covered", 10.0, 20.0), Fault("covered", 21.0, 30.0))
    _, findings = run(scene, bridge_config())
    tamper = of(findings, *TAMPER)
    assert [(f.type, f.kind) for f in tamper] == [("covered", "alert_raised"), ("covered", "alert_cleared")]
    assert 13.0 <= tamper[0].ts <= 13.5 and 35.0 <= tamper[1].ts <= 35.5


def test_timings_are_configurable_per_condition() -> None:
    fast = ConditionTiming(raise_after_s=0.5, clear_after_s=1.0)
    config = bridge_config(tamper=TamperConfig(covered=fast))
    _, findings = run(_scene_with(Fault("covered", 10.0, 20.0)), config, until=25.0)
    tamper = of(findings, *TAMPER)
    assert [f.kind for f in tamper] == ["alert_raised", "alert_cleared"]
    assert 10.5 <= tamper[0].ts <= 10.8 and 21.0 <= tamper[1].ts <= 21.3


def test_rebaseline_accepts_a_new_view() -> None:
    """A camera knocked for good: moved is raised; once an engineer accepts the new view it clears."""

    def accept(pipeline: AnalyticsPipeline, t: float) -> None:
        if t == 20.0:
            pipeline.tamper.rebaseline()

    _, findings = run(_scene_with(Fault("knocked", 10.0, 45.0)), bridge_config(), at=accept)
    tamper = of(findings, *TAMPER)
    assert [(f.type, f.kind) for f in tamper] == [("moved", "alert_raised"), ("moved", "alert_cleared")]
    assert 13.0 <= tamper[0].ts <= 13.5 and 25.0 <= tamper[1].ts <= 25.5


def test_zone_rules_are_suspended_while_the_view_is_covered() -> None:
    """A person loitering while the lens is covered is not reported from a picture nobody can see."""
    spec = replace(make_scene("loiter").spec, faults=(Fault("covered", 20.0, 40.0),))
    _, findings = run(Scene(spec, *SIZE), bridge_config())
    assert [f.kind for f in of(findings, "covered")] == ["alert_raised", "alert_cleared"]
    assert of(findings, "loitering") == []  # without the fault it is raised at 26.4 s (test_analytics_zones)
