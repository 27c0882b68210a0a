"""Every source type through the real decoder (OpenCV's FFmpeg backend), and the errors when one fails."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from camera_support import CREDS, PASSWORD, USER, mjpeg_camera, rtsp_camera, secret_forms, write_clip

from drivers.camera.capture import Capture
from drivers.camera.errors import CameraAuthFailed, CameraUnreachable, StreamError
from drivers.camera.urls import parse_source
from simulators.cameras.frames import read_frame_number


def _read_numbers(capture: Capture, count: int) -> tuple[list[int], set[int]]:
    numbers, pointers = [], set()
    frame = None
    for _ in range(count):
        frame = capture.read(frame)
        numbers.append(read_frame_number(frame))
        pointers.add(frame.ctypes.data)
    return numbers, pointers


def test_rtsp_through_opencv_with_digest_and_special_credentials() -> None:
    with rtsp_camera() as cam:
        source = parse_source(cam.url("/main"), username=USER, password=PASSWORD)
        with Capture(source) as capture:
            assert capture.info is not None
            assert (capture.info.width, capture.info.height, capture.info.codec) == (320, 240, "h264")
            assert capture.info.fps == 25
            numbers, pointers = _read_numbers(capture, 30)
        assert numbers == list(range(numbers[0], numbers[0] + 30))  # consecutive frames, in order
        assert len(pointers) == 1  # decoded into the same buffer every time: no per-frame allocation


def test_rtsp_inline_percent_encoded_credentials() -> None:
    with rtsp_camera() as cam:
        inline = parse_source(cam.url("/sub"), username=USER, password=PASSWORD).for_decoder()
        assert "%40" in inline and PASSWORD not in inline
        with Capture(parse_source(inline)) as capture:
            assert capture.info is not None and (capture.info.width, capture.info.height) == (160, 120)
            numbers, _ = _read_numbers(capture, 5)
        assert numbers == sorted(numbers)


@pytest.mark.parametrize("auth_mode", ["basic", "digest"])
def test_mjpeg_over_http(auth_mode: str) -> None:
    with mjpeg_camera(auth_mode=auth_mode) as cam:
        with Capture(parse_source(cam.url(), username=USER, password=PASSWORD)) as capture:
            assert capture.info is not None
            assert (capture.info.width, capture.info.height, capture.info.codec) == (320, 240, "mjpg")
            assert capture.info.fps is None  # MJPEG over HTTP declares no rate; FFmpeg's 25 is not trusted
            numbers, _ = _read_numbers(capture, 8)
        assert numbers == sorted(numbers) and len(set(numbers)) == 8


def test_local_file_loops_and_is_paced(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "clip.mp4", seconds=1.0, fps=25)
    import time

    with Capture(parse_source(str(clip))) as capture:
        assert capture.info is not None and capture.info.fps == 25
        started = time.monotonic()
        numbers, _ = _read_numbers(capture, 40)
        elapsed = time.monotonic() - started
    assert numbers[:25] == list(range(25))
    assert numbers[25:40] == list(range(15))  # looped back to the start
    assert elapsed > 1.2  # 40 frames at 25 fps take ~1.6 s, not as fast as the decoder can go


def test_wrong_password_is_an_auth_failure_without_the_secret() -> None:
    with rtsp_camera() as cam:
        source = parse_source(cam.url("/main"), username=USER, password="not-" + PASSWORD)
        with pytest.raises(CameraAuthFailed) as info:
            Capture(source).open()
    message = str(info.value)
    assert "401" in message
    assert all(s not in message for s in secret_forms("not-" + PASSWORD))


def test_mjpeg_wrong_password() -> None:
    with mjpeg_camera() as cam, pytest.raises(CameraAuthFailed):
        Capture(parse_source(cam.url(), username=USER, password="wrong")).open()


def test_nothing_listening_is_unreachable() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(CameraUnreachable, match="refused"):
        Capture(parse_source(f"rtsp://127.0.0.1:{port}/x", username="u", password="p12345")).open()


def test_unknown_path_and_missing_file_are_stream_errors(tmp_path: Path) -> None:
    with rtsp_camera() as cam, pytest.raises(StreamError, match="no such stream"):
        Capture(parse_source(cam.url("/nope"), username=CREDS.username, password=CREDS.password)).open()
    with pytest.raises(StreamError, match="no such file"):
        Capture(parse_source(str(tmp_path / "missing.mp4"))).open()
