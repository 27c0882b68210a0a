"""Helpers for the camera source, ONVIF and worker tests: simulated cameras as context managers, a clip writer,
a sink that records what the worker process delivered, and waiting on conditions."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from drivers.camera.httpauth import Credentials
from simulators.cameras import clip
from simulators.cameras.frames import TestPattern, read_frame_number
from simulators.cameras.mjpeg_server import MjpegCamera
from simulators.cameras.onvif_camera import OnvifCamera
from simulators.cameras.rtsp_server import RtspCamera, test_pattern_streams

# Distinctive credentials: usernames with '.' and '@', passwords with URL-special characters.
USER = "ops.team@city.gov.uk"
PASSWORD = "Zq9/Kx@v:Secr3t!%"
CREDS = Credentials(USER, PASSWORD)


def secret_forms(password: str = PASSWORD) -> list[str]:
    """Every form of the password that must never appear in output: raw, percent-encoded, in a userinfo."""
    from urllib.parse import quote, quote_plus

    return sorted({password, quote(password, safe=""), quote_plus(password), "Secr3t"})


def wait_until(predicate: Callable[[], bool], timeout: float = 20.0, interval: float = 0.05) -> bool:
    """Poll ``predicate`` until it is true or ``timeout`` passes; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(interval)


@contextmanager
def rtsp_camera(
    width: int = 320, height: int = 240, fps: float = 25.0, credentials: Credentials | None = CREDS, **kwargs: object
) -> Iterator[RtspCamera]:
    """A running RTSP camera with ``/main`` and ``/sub`` test-pattern streams (GOP 1 s)."""
    camera = RtspCamera(
        test_pattern_streams(width, height, fps, "test", gop=round(fps)),
        credentials=credentials,
        **kwargs,  # type: ignore[arg-type]
    )
    camera.start()
    try:
        yield camera
    finally:
        camera.stop()


@contextmanager
def mjpeg_camera(
    fps: float = 10.0, credentials: Credentials | None = CREDS, auth_mode: str = "basic"
) -> Iterator[MjpegCamera]:
    """A running MJPEG camera (320x240 test pattern)."""
    camera = MjpegCamera(TestPattern(320, 240, fps), fps=fps, credentials=credentials, auth_mode=auth_mode)
    camera.start()
    try:
        yield camera
    finally:
        camera.stop()


@contextmanager
def onvif_camera(**kwargs: object) -> Iterator[OnvifCamera]:
    """A running ONVIF camera (320x240 main profile) with the test credentials unless given others."""
    options: dict[str, object] = {"width": 320, "height": 240, "credentials": CREDS, **kwargs}
    camera = OnvifCamera(**options)  # type: ignore[arg-type]
    camera.start()
    try:
        yield camera
    finally:
        camera.stop()


def write_clip(path: Path, seconds: float = 2.0, fps: int = 25, width: int = 320, height: int = 240) -> Path:
    """An H.264 MP4 of the test pattern (frame numbers drawn in), written with PyAV's libx264."""
    return clip.write_clip(path, TestPattern(width, height, fps), width, height, fps, seconds)


class RecordingSink:
    """A FrameSink for worker tests: appends ``frame_number data_pointer shape`` per frame to a file.

    Built inside the worker process (``functools.partial(RecordingSink, path)`` pickles); the test reads the file.
    """

    def __init__(self, path: str, hang_once_at: int | None = None) -> None:
        self.path = path
        self._file = open(path, "a", buffering=1)  # noqa: SIM115 -- closed by close()
        self.hang_once_at = hang_once_at
        self.count = 0

    def put(self, frame: np.ndarray, ts: float) -> None:
        self.count += 1
        if self.count == self.hang_once_at and not Path(self.path + ".hung").exists():
            Path(self.path + ".hung").touch()
            time.sleep(3600)  # a stage that never returns (as a hung decoder would), once per test
        self._file.write(f"{read_frame_number(frame)} {frame.ctypes.data} {frame.shape[1]}x{frame.shape[0]}\n")

    def close(self) -> None:
        self._file.close()


def read_recording(path: Path) -> list[tuple[int, int, str]]:
    """The lines a :class:`RecordingSink` wrote."""
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        parts = line.split()
        if len(parts) == 3:
            out.append((int(parts[0]), int(parts[1]), parts[2]))
    return out


def simulator_command(name: str) -> list[str]:
    """The command that runs simulator ``name`` as its own process, through its registered module's
    ``add_arguments``/``run`` (what ``python -m simulators NAME`` does; that entry point also imports every
    other registered simulator, some of which live on other branches until they merge)."""
    from simulators.__main__ import SIMULATORS

    module = SIMULATORS[name][0]
    code = (
        "import argparse, importlib, sys; "
        f"m = importlib.import_module({module!r}); p = argparse.ArgumentParser(); m.add_arguments(p); "
        "sys.exit(m.run(p.parse_args(sys.argv[1:])))"
    )
    return [sys.executable, "-c", code]
