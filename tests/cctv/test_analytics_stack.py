"""The demo stack analyses and records its cameras: `cityedge up`'s and docker-compose's edge configs agree."""

from __future__ import annotations

import tomllib
from pathlib import Path

from edge.config import load_config
from edge.stack.layout import CameraPorts, cctv_config_toml, edge_config_toml, video_config_toml
from edge.video.settings import VideoSettings

ROOT = Path(__file__).resolve().parents[2]


def test_every_demo_camera_is_analysed_and_compose_matches_cityedge_up(tmp_path: Path) -> None:
    generated = tmp_path / "edge.toml"
    generated.write_text(
        edge_config_toml("edge-city-1", "/x", "mqtt://mosquitto:1883", 120)
        + "\n"
        + cctv_config_toml("127.0.0.1", CameraPorts(1, 2, 3, 4), str(tmp_path / "c.mp4"))
        + "\n"
        + video_config_toml()
    )
    up = load_config(generated)
    assert up.cctv and up.video
    assert {c.id for c in up.video.cameras} == {c.id for c in up.cctv.cameras}
    bridge = up.video.cameras[0]
    assert bridge.id == "london-bridge-cam" and bridge.analytics.zones[0].loiter_after_s == 20
    compose = load_config(ROOT / "edge" / "stack" / "compose" / "edge.toml")
    expected = VideoSettings.model_validate(
        tomllib.loads(video_config_toml("0.0.0.0:5571", "tcp://edge:5571"))["video"]
    )
    assert compose.video == expected
