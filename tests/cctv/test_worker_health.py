"""Condition tracking (pure, with an injected clock), backoff, and the camera configuration model."""

from __future__ import annotations

import random

import pytest
from pydantic import ValidationError

from edge.video.backoff import Backoff
from edge.video.camera_config import CameraConfig
from edge.video.worker_health import (
    ConditionPolicy,
    ConditionTracker,
    FailureKind,
    LinkState,
    WorkerReport,
)


def report(state: LinkState = LinkState.STREAMING, **kw: object) -> WorkerReport:
    base: dict[str, object] = {
        "frames": 0,
        "decode_errors": 0,
        "connects": 1,
        "fps": 25.0,
        "last_frame_mono": None,
        "streaming_since_mono": 0.0,
        "nominal_fps": 25.0,
    }
    base.update(kw)
    return WorkerReport(state=state, **base)  # type: ignore[arg-type]


def changes(items: list) -> list[tuple[str, bool]]:  # type: ignore[type-arg]
    return [(c.condition.value, c.active) for c in items]


def test_stall_timeout_default_is_max_of_two_seconds_and_three_frames() -> None:
    policy = ConditionPolicy()
    assert policy.stall_after(25) == 2.0
    assert policy.stall_after(1) == 3.0
    assert policy.stall_after(0.5) == 6.0
    assert policy.stall_after(None) == 2.0
    assert ConditionPolicy(stall_timeout_s=7).stall_after(25) == 7


def test_stall_raised_after_timeout_and_cleared_by_the_next_frame() -> None:
    t = ConditionTracker("cam", ConditionPolicy())
    assert t.update(report(last_frame_mono=10.0), now=10.0) == []
    assert t.check(11.9) == []
    assert changes(t.check(12.1)) == [("camera_stall", True)]
    assert t.check(20.0) == []  # raised once
    # a report without a newer frame does not clear it (a reconnect with no pictures is still a stall)
    assert t.update(report(last_frame_mono=10.0, streaming_since_mono=21.0), now=21.0) == []
    assert changes(t.update(report(last_frame_mono=22.0), now=22.0)) == [("camera_stall", False)]


def test_stall_uses_open_time_before_the_first_frame_and_only_while_streaming() -> None:
    t = ConditionTracker("cam", ConditionPolicy())
    t.update(report(LinkState.CONNECTING, streaming_since_mono=None), now=0.0)
    assert t.check(100.0) == []  # not connected: that is offline/auth, not a stall
    t.update(report(streaming_since_mono=100.0), now=100.0)
    assert changes(t.check(102.5)) == [("camera_stall", True)]


def test_auth_and_offline_are_exclusive_and_cleared_by_streaming() -> None:
    t = ConditionTracker("cam", ConditionPolicy())
    auth = report(LinkState.BACKOFF, failure=FailureKind.AUTH, failure_phase="open", error="401")
    down = report(LinkState.BACKOFF, failure=FailureKind.UNREACHABLE, failure_phase="open", error="refused")
    assert changes(t.update(auth, 1.0)) == [("camera_auth_failed", True)]
    assert t.update(auth, 2.0) == []
    assert changes(t.update(down, 3.0)) == [("camera_auth_failed", False), ("camera_offline", True)]
    timeout = report(LinkState.BACKOFF, failure=FailureKind.TIMEOUT, failure_phase="open", error="no answer")
    assert t.update(timeout, 4.0) == []  # still offline
    read_fail = report(LinkState.BACKOFF, failure=FailureKind.STREAM, failure_phase="read", error="ended")
    assert t.update(read_fail, 5.0) == []  # a dropped stream alone raises nothing
    assert changes(t.update(report(last_frame_mono=6.0), 6.0)) == [("camera_offline", False)]


def test_decode_errors_threshold_window_and_hysteresis() -> None:
    policy = ConditionPolicy(
        stall_timeout_s=99, decode_error_threshold=5, decode_error_window_s=5, decode_error_clear_s=5
    )
    t = ConditionTracker("cam", policy)
    now = 0.0
    errors = 0
    for _ in range(10):  # 4 errors spread over 10 s: never 5 within 5 s
        now += 2.5
        errors += 1
        assert t.update(report(decode_errors=errors, last_frame_mono=now), now) == []
    errors += 5
    assert changes(t.update(report(decode_errors=errors, last_frame_mono=now + 0.5), now + 0.5)) == [
        ("camera_decode_errors", True)
    ]
    # one more error 3 s later restarts the quiet period: no flapping
    errors += 1
    assert t.update(report(decode_errors=errors, last_frame_mono=now + 3.5), now + 3.5) == []
    assert t.update(report(decode_errors=errors, last_frame_mono=now + 8.0), now + 8.0) == []
    assert changes(t.update(report(decode_errors=errors, last_frame_mono=now + 9.0), now + 9.0)) == [
        ("camera_decode_errors", False)
    ]


def test_health_snapshot() -> None:
    t = ConditionTracker("cam", ConditionPolicy())
    t.update(report(frames=50, connects=3, width=640, height=360, codec="h264", last_frame_mono=9.5), now=10.0)
    health = t.health(10.0, restarts=1)
    assert (health.frames, health.reconnects, health.restarts, health.width, health.codec) == (50, 2, 1, 640, "h264")
    assert health.last_frame_age_s == 0.5 and health.state == LinkState.STREAMING


def test_backoff_grows_caps_and_jitters() -> None:
    b = Backoff(0.5, 8.0, jitter=0.25, rng=random.Random(1))
    delays = [b.next_delay() for _ in range(8)]
    bases = [0.5, 1, 2, 4, 8, 8, 8, 8]
    assert all(0.75 * base <= d <= 1.25 * base for d, base in zip(delays, bases, strict=True))
    assert len(set(delays)) == len(delays)  # jittered
    b.reset()
    assert b.next_delay() <= 0.625
    with pytest.raises(ValueError, match="backoff"):
        Backoff(0, 1)


def test_config_moves_inline_credentials_out_of_the_url() -> None:
    cfg = CameraConfig(id="bridge-1", url="rtsp://ops.team@city.gov.uk:p@ss/1@10.0.0.5:554/Streaming/101")
    assert cfg.url == "rtsp://10.0.0.5:554/Streaming/101"
    assert cfg.username == "ops.team@city.gov.uk"
    assert cfg.password is not None and cfg.password.get_secret_value() == "p@ss/1"
    assert "p@ss" not in repr(cfg) and "p@ss" not in cfg.model_dump_json()
    assert cfg.source().for_decoder().startswith("rtsp://ops.team%40city.gov.uk:p%40ss%2F1@10.0.0.5")
    explicit = CameraConfig(id="c", url="rtsp://u:inline@h/x", password="given")
    assert explicit.password is not None and explicit.password.get_secret_value() == "given"


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ({"id": "c", "url": "rtsp://u:hunter22@h:99999/x"}, "port"),
        ({"id": "c", "url": "ftp://u:hunter22@h/x"}, "unsupported scheme"),
        ({"id": "c", "url": "onvif://u:hunter22@h"}, "onvif"),
        ({"id": "c", "url": "rtsp://h/x", "colour": "red"}, "colour"),
        ({"id": "bad id!", "url": "rtsp://u:hunter22@h/x"}, "id"),
    ],
)
def test_config_errors_name_the_problem_and_hide_the_password(data: dict[str, str], problem: str) -> None:
    with pytest.raises(ValidationError) as info:
        CameraConfig.model_validate(data)
    assert problem in str(info.value)
    assert "hunter22" not in str(info.value)


def test_decode_errors_do_not_flap_after_clearing() -> None:
    policy = ConditionPolicy(
        stall_timeout_s=99, decode_error_threshold=5, decode_error_window_s=5, decode_error_clear_s=3
    )
    t = ConditionTracker("cam", policy)
    t.update(report(decode_errors=0, last_frame_mono=0.0), 0.0)
    assert changes(t.update(report(decode_errors=10, last_frame_mono=1.0), 1.0)) == [("camera_decode_errors", True)]
    assert changes(t.check(4.1)) == [("camera_decode_errors", False)]
    # the 10 old errors are still inside the 5 s window, but they were before the clearing
    assert t.update(report(decode_errors=10, last_frame_mono=4.5), 4.5) == []
    assert t.update(report(decode_errors=12, last_frame_mono=5.0), 5.0) == []
