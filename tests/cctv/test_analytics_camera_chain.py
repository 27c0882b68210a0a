"""The whole chain with a real camera: a synthetic scene served as MJPEG over HTTP → the camera worker decodes it
(OpenCV) into its frame ring → the video service's analytics and recorder → outbox → control room."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from ringprocs import bus_config

from edge.stack.mosquitto import Mosquitto
from simulators.cameras.mjpeg_server import MjpegCamera
from simulators.scenes import Fault, Scene, make_scene
from tests.support.stack import ControlRoom, EdgeProcess, edge_config, wait_until

CONFIG = """
[cctv]
[[cctv.cameras]]
id = "cam1"
url = "{url}"
location = "London Bridge"

[video]
[video.bus]
runtime_dir = "{runtime}"
prefix = "{prefix}"
[video.recorder]
pre_s = 2.0
post_s = 2.0
[[video.cameras]]
id = "cam1"
location = "London Bridge"
[video.cameras.analytics.tamper.covered]
raise_after_s = 1.0
clear_after_s = 2.0
[[video.cameras.analytics.lines]]
name = "midspan"
a = [0.45, 0.99]
b = [0.45, 0.62]
"""


class Delayed:
    """The scene, held before its start until the test says go (the camera streams from the moment it starts).

    Before the start it shows the empty bridge, live (the scene at long-negative times: grain still changes; a
    constant ``t`` would be a frozen picture, which the analytics rightly report).
    """

    def __init__(self, scene: Scene) -> None:
        self.scene = scene
        self.start: float | None = None

    def __call__(self, t: float) -> Any:
        return self.scene(t - 10_000.0 if self.start is None else time.monotonic() - self.start)


@pytest.fixture
def camera() -> Iterator[tuple[MjpegCamera, Delayed]]:
    spec = replace(make_scene("crossing").spec, faults=(Fault("covered", 8.0, 12.0),), duration=16.0)
    source = Delayed(Scene(spec, 640, 360))
    cam = MjpegCamera(source, fps=10).start()
    try:
        yield cam, source
    finally:
        cam.stop()


def test_a_real_camera_stream_is_analysed_and_recorded(
    mosquitto: Mosquitto, tmp_path: Path, camera: tuple[MjpegCamera, Delayed]
) -> None:
    cam, source = camera
    with bus_config() as bus:
        cr = ControlRoom(tmp_path / "cr", mosquitto.url).start()
        extra = CONFIG.format(url=cam.url(), runtime=bus.runtime_dir, prefix=bus.prefix)
        edge = EdgeProcess(edge_config("edge-1", tmp_path / "edge", mosquitto.url, extra), tmp_path).start()
        try:
            with cr.client() as http:

                def streaming() -> bool:
                    cams = {c["id"]: c for c in http.get("/api/v1/cameras").json()}
                    health = cams.get("cam1", {}).get("health") or {}
                    return health.get("state") == "streaming" and (health.get("frames") or 0) > 20

                wait_until(streaming, 60, "camera streaming")
                source.start = time.monotonic()

                def events(type_: str) -> list[dict[str, Any]]:
                    found: list[dict[str, Any]] = http.get("/api/v1/events", params={"type": type_}).json()
                    return found

                crossed = wait_until(lambda: events("cctv.line_crossed"), 60, "line crossed")
                assert crossed[0]["device_id"] == "cam1" and crossed[0]["data"]["direction"] == "left_to_right"
                wait_until(lambda: events("alert.cleared"), 60, "covered lens cleared")
                assert [e["data"]["type"] for e in events("alert.raised")] == ["camera_covered"]
                assert [e["data"]["type"] for e in events("alert.cleared")] == ["camera_covered"]
                clips = wait_until(lambda: http.get("/api/v1/cameras/cam1/clips").json(), 60, "a clip")
                assert clips[-1]["clip"]["clip_id"] == crossed[0]["data"]["clip_id"]
                assert clips[-1]["clip"]["width"] == 640 and clips[-1]["clip"]["codec"] == "h264"
        finally:
            edge.stop()
            cr.stop()
    assert "Traceback" not in edge.log_text()
