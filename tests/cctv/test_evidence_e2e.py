"""End to end: frames in a camera's ring → the edge's video service (analytics, recorder) → outbox → MQTT →
control room: alerts with snapshots, clips listed, played and exported as evidence, every view audited."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
import pytest
from ringprocs import bus_config, producer
from sqlalchemy import select

from control_room.store.models import Alert, AuditRow
from edge.stack.mosquitto import Mosquitto
from edge.video.bus_config import BusConfig
from simulators.scenes import Fault, make_scene
from tests.support.stack import ControlRoom, EdgeProcess, edge_config, wait_until

KEY = "evidence-key-0123456789"
VIDEO = """
[video]
[video.bus]
runtime_dir = "{runtime}"
prefix = "{prefix}"

[video.recorder]
pre_s = 2.0
post_s = 2.0
fps = 5.0

[[video.cameras]]
id = "cam1"
location = "London Bridge, east span"

[video.cameras.analytics.tamper.covered]
raise_after_s = 1.0
clear_after_s = 2.0

[[video.cameras.analytics.lines]]
name = "midspan"
a = [0.45, 0.99]
b = [0.45, 0.62]
"""


@dataclass
class Site:
    cr: ControlRoom
    edge: EdgeProcess
    bus: BusConfig
    tmp: Path


@pytest.fixture
def site(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[Site]:
    """Control room and an edge node whose video service analyses and records camera cam1's ring."""
    with bus_config() as bus:
        cr = ControlRoom(tmp_path / "cr", mosquitto.url, evidence_key=KEY).start()
        extra = VIDEO.format(runtime=bus.runtime_dir, prefix=bus.prefix)
        edge = EdgeProcess(edge_config("edge-1", tmp_path / "edge", mosquitto.url, extra), tmp_path).start()
        try:
            with cr.client() as http:
                wait_until(lambda: any(n["online"] for n in http.get("/api/v1/nodes").json()), 60, "edge online")
            yield Site(cr, edge, bus, tmp_path)
        finally:
            edge.stop()
            cr.stop()


def _events(http: Any, type_: str) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = http.get("/api/v1/events", params={"type": type_, "limit": 5000}).json()
    return events


def _n(items: list[dict[str, Any]], n: int) -> list[dict[str, Any]] | None:
    """``items`` once there are ``n`` of them (for wait_until)."""
    return items if len(items) == n else None


def test_alerts_clips_and_evidence_through_the_control_room(site: Site) -> None:
    spec = replace(make_scene("crossing").spec, faults=(Fault("covered", 24.0, 29.0),), duration=36.0)
    with producer("cam1", site.bus, (1, 1)) as camera:
        camera.start_call("scene", spec, 640, 360, 10.0, 4.0, time.time())
        assert camera.answer(60) == 360
    with site.cr.client() as http:
        # analytics through the outbox: two crossings and the covered lens, raised then cleared
        crossings = wait_until(
            lambda: len(_events(http, "cctv.line_crossed")) == 2 and _events(http, "cctv.line_crossed"), 60, "crossings"
        )
        assert [e["data"]["direction"] for e in crossings] == ["left_to_right", "right_to_left"]
        assert all(e["device_id"] == "cam1" and e["data"]["clip_id"] for e in crossings)
        wait_until(
            lambda: [e["data"]["type"] for e in _events(http, "alert.cleared")] == ["camera_covered"],
            60,
            "covered cleared",
        )
        with site.cr.ctx.store.session() as s:
            alert = s.execute(select(Alert).where(Alert.type == "camera_covered")).scalar_one()
            assert alert.device_id == "cam1" and alert.location == "London Bridge, east span" and not alert.active
            snapshot = cv2.imdecode(np.frombuffer(base64.b64decode(alert.snapshot_jpeg or ""), np.uint8), 1)
            assert snapshot is not None and snapshot.mean() < 30  # the picture of the covered lens

        # clips: one per crossing, one for the covered lens
        clips = wait_until(
            lambda: (
                len(http.get("/api/v1/cameras/cam1/clips").json()) == 3
                and http.get("/api/v1/cameras/cam1/clips").json()
            ),
            60,
            "3 clips",
        )
        by_trigger = sorted(clips, key=lambda c: c["clip"]["trigger_ts"])
        assert {c["node_id"] for c in clips} == {"edge-1"}
        assert [c["clip"]["events"][0]["type"] for c in by_trigger] == ["line_crossed", "line_crossed", "covered"]
        first = by_trigger[0]["clip"]
        assert first["clip_id"] == crossings[0]["data"]["clip_id"]
        assert first["pre_s"] == pytest.approx(2.0, abs=0.3) and first["post_s"] == pytest.approx(2.0, abs=0.3)

        # play it: the MP4 comes from the edge, whole or by byte range
        r = http.get(f"/api/v1/clips/{first['clip_id']}/video.mp4")
        assert r.status_code == 200 and r.headers["content-type"] == "video/mp4" and len(r.content) == first["bytes"]
        with av.open(io.BytesIO(r.content)) as container:
            stream = container.streams.video[0]
            assert stream.codec_context.name == "h264"
            frames = [f.time for f in container.decode(stream)]
        assert frames[-1] - frames[0] == pytest.approx(4.0, abs=0.5)
        part = http.get(f"/api/v1/clips/{first['clip_id']}/video.mp4", headers={"Range": "bytes=100-199"})
        assert part.status_code == 206 and part.content == r.content[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{first['bytes']}"
        snap = http.get(f"/api/v1/clips/{first['clip_id']}/snapshots/{first['snapshots'][0]}")
        assert snap.status_code == 200 and snap.content[:2] == b"\xff\xd8"

        # export as evidence and verify it with the edge's verifier
        exported = http.post(f"/api/v1/clips/{first['clip_id']}/export", json={"reason": "incident 2024-117"})
        assert exported.status_code == 200, exported.text
        digest = exported.headers["x-evidence-digest"]
        out = site.tmp / "evidence"
        zipfile.ZipFile(io.BytesIO(exported.content)).extractall(out)
        (package,) = out.iterdir()
        key_file = site.tmp / "key"
        key_file.write_text(KEY)
        cli = [str(Path(sys.executable).with_name("cityedge")), "evidence", "verify", str(package)]
        ok = subprocess.run(
            [*cli, "--key-file", str(key_file), "--expect-digest", digest], capture_output=True, text=True, timeout=60
        )
        assert ok.returncode == 0, ok.stdout + ok.stderr
        assert "exported by admin" in ok.stdout and "camera cam1" in ok.stdout
        (package / "snapshots" / first["snapshots"][0]).write_bytes(b"\xff\xd8 edited")
        bad = subprocess.run([*cli, "--key-file", str(key_file)], capture_output=True, text=True, timeout=60)
        assert bad.returncode == 1 and f"snapshots/{first['snapshots'][0]} has been modified" in bad.stdout

        # unknown clip: 404; every list, view and export is in the audit log, with the export's digest
        assert http.get("/api/v1/clips/01a20707-7903-772b-a318-412b1593c812/video.mp4").status_code == 404
    with site.cr.ctx.store.session() as s:
        rows = s.execute(select(AuditRow).where(AuditRow.action.like("clip%"))).scalars().all()
        actions = [(r.action, r.actor) for r in rows]
        assert ("clips.list", "admin") in actions and ("clip.view", "admin") in actions
        assert ("clip.snapshot_view", "admin") in actions
        export = [r for r in rows if r.action == "clip.export"]
        assert len(export) == 1 and export[0].params["digest"] == digest
        assert export[0].target == f"edge-1/cam1/{first['clip_id']}"


def test_accept_view_command_and_viewers_cannot_export(site: Site) -> None:
    with site.cr.client() as http:
        r = http.post(
            "/api/v1/devices/edge-1/clips/commands", json={"action": "accept_view", "args": {"camera": "cam1"}}
        )
        assert r.status_code == 202, r.text
        cid = r.json()["command_id"]
        wait_until(lambda: http.get(f"/api/v1/commands/{cid}").json()["terminal"], 30, "accept_view done")
        assert http.get(f"/api/v1/commands/{cid}").json()["stage"] == "succeeded"
        bad = http.post(
            "/api/v1/devices/edge-1/clips/commands", json={"action": "accept_view", "args": {"camera": "nope"}}
        )
        bad_id = bad.json()["command_id"]
        wait_until(lambda: http.get(f"/api/v1/commands/{bad_id}").json()["terminal"], 30, "rejected")
        assert http.get(f"/api/v1/commands/{bad_id}").json()["stage"] == "rejected"
        assert (
            http.post(
                "/api/v1/users", json={"username": "v.iewer", "password": "long-enough-passw0rd", "role": "viewer"}
            ).status_code
            == 201
        )
    with site.cr.client("v.iewer", "long-enough-passw0rd") as viewer:
        r = viewer.post("/api/v1/clips/01a20707-7903-772b-a318-412b1593c812/export", json={"reason": "x"})
        assert r.status_code == 403
