"""``probe(url)`` and ``cityedge cameras probe``: what an integrator sees before attaching a camera."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from camera_support import PASSWORD, USER, mjpeg_camera, onvif_camera, rtsp_camera, secret_forms, write_clip

from drivers.camera.errors import CameraAuthFailed
from drivers.camera.probe import probe


def test_probe_rtsp_reports_codec_resolution_and_rates() -> None:
    with rtsp_camera(width=320, height=240, fps=25) as cam:
        report = asyncio.run(probe(cam.url("/main"), USER, PASSWORD, measure_s=1.5))
    (stream,) = report.streams
    assert report.kind == "rtsp" and report.source == f"rtsp://***@127.0.0.1:{cam.port}/main"
    assert (stream.codec, stream.width, stream.height, stream.fps) == ("h264", 320, 240, 25)
    assert stream.measured_fps is not None and 22 <= stream.measured_fps <= 28
    assert stream.url == cam.url("/main")


def test_probe_mjpeg_measures_the_rate_it_does_not_declare() -> None:
    with mjpeg_camera(fps=10) as cam:
        report = asyncio.run(probe(cam.url(), USER, PASSWORD, measure_s=2.0))
    (stream,) = report.streams
    assert (stream.codec, stream.width, stream.height, stream.fps) == ("mjpeg", 320, 240, None)
    assert stream.measured_fps is not None and 5 <= stream.measured_fps <= 15  # not FFmpeg's invented 25


def test_probe_file(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "c.mp4", seconds=1, fps=25)
    report = asyncio.run(probe(str(clip)))
    assert report.kind == "file"
    assert (report.streams[0].codec, report.streams[0].fps, report.streams[0].measured_fps) == ("h264", 25, None)


def test_probe_onvif_lists_profiles_with_their_streams() -> None:
    with onvif_camera(width=320, height=240) as cam:
        report = asyncio.run(probe(cam.onvif_url, USER, PASSWORD, measure_s=0.5))
    assert report.kind == "onvif" and report.device is not None and report.device.model == "SIM-ONVIF-1"
    assert [(s.profile, s.width, s.height, s.codec) for s in report.streams] == [
        ("main", 320, 240, "h264"),
        ("sub", 160, 120, "h264"),
    ]
    assert all(s.error is None and s.fps == 25 for s in report.streams)


def test_probe_wrong_password() -> None:
    with rtsp_camera() as cam, pytest.raises(CameraAuthFailed):
        asyncio.run(probe(cam.url("/main"), USER, "nope-nope"))


def _cli(*args: str, password: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env.pop("CAMERA_PASSWORD", None)
    if password is not None:
        env["CAMERA_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-m", "edge.cli", "cameras", "probe", *args],
        capture_output=True,
        text=True,
        timeout=90,
        env=env,
    )


def test_cli_probe_onvif_text_and_json() -> None:
    with onvif_camera() as cam:
        text = _cli(cam.onvif_url, "--user", USER, "--measure", "0.5", password=PASSWORD)
        as_json = _cli(cam.onvif_url, "--user", USER, "--measure", "0", "--json", password=PASSWORD)
    assert text.returncode == 0, text.stderr
    assert "profile main (mainStream)" in text.stdout and "h264 320x240, 25 fps" in text.stdout
    assert "profile sub (subStream)" in text.stdout and "160x120" in text.stdout
    doc = json.loads(as_json.stdout)
    assert [s["profile"] for s in doc["streams"]] == ["main", "sub"]
    for out in (text.stdout + text.stderr, as_json.stdout + as_json.stderr):
        assert all(s not in out for s in secret_forms())


def test_cli_probe_inline_credentials_and_failure_exit_codes() -> None:
    with rtsp_camera() as cam:
        inline = cam.url("/main").replace("rtsp://", f"rtsp://{USER.replace('@', '%40')}:wrong-{PASSWORD}@")
        refused = _cli(inline, "--measure", "0")
    assert refused.returncode == 2
    assert "refused the credentials" in refused.stderr
    assert all(s not in refused.stdout + refused.stderr for s in secret_forms("wrong-" + PASSWORD))
