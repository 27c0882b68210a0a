"""The CCTV contract models and the store of cameras added at run time."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from pydantic import ValidationError

from edge.cctv.camera_store import CameraStore
from edge.contract.cctv import AddCameraArgs, CameraHealth, live_topic


@pytest.mark.parametrize(
    "url",
    ["rtsp://10.0.0.5:554/Streaming/101", "http://cam/video.mjpg", "onvif://10.0.0.9:8080", "/srv/clips/a.mp4"],
)
def test_add_camera_accepts_source_kinds(url: str) -> None:
    assert AddCameraArgs(id="c1", url=url).url == url


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("rtsp://admin:pw@10.0.0.5/x", "credentials"),
        ("rtsp://admin:p/w@10.0.0.5/x", "credentials"),
        ("rtsp://ops.team@city.gov.uk@10.0.0.5/x", "credentials"),
        ("ftp://h/x", "scheme"),
        ("rtsp:///x", "host"),
    ],
)
def test_add_camera_refuses(url: str, problem: str) -> None:
    with pytest.raises(ValidationError) as info:
        AddCameraArgs(id="c1", url=url)
    assert problem in str(info.value)


def test_password_is_not_in_repr_and_topics_do_not_prefix_each_other() -> None:
    args = AddCameraArgs(id="c1", url="rtsp://h/x", username="u", password="hunter22")
    assert "hunter22" not in repr(args)
    assert not live_topic("cam-10").startswith(live_topic("cam-1"))
    assert CameraHealth.model_validate({"state": "streaming", "conditions": ["camera_stall"]}).conditions


def test_camera_store_round_trip_is_private_and_skips_bad_entries(tmp_path: Path) -> None:
    store = CameraStore(tmp_path / "cctv-cameras.json")
    assert store.load() == []
    cams = [AddCameraArgs(id="a", url="rtsp://h/a", password="pw-a"), AddCameraArgs(id="b", url="http://h/b")]
    store.save(cams)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    assert store.load() == cams
    raw = json.loads(store.path.read_text())
    store.path.write_text(json.dumps([*raw, {"id": "bad", "url": "ftp://x"}, "junk"]))
    assert [c.id for c in store.load()] == ["a", "b"]
    store.path.write_text("{not json")
    assert store.load() == []
