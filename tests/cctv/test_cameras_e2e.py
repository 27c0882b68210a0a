"""CCTV end to end: simulated cameras → edge node (camera service, worker processes) → mosquitto → control room.

Cameras from the config file and one attached with ``POST /api/v1/cameras`` (an ONVIF device); health as device
state; a stall raised as an alert (with a picture) on the WebSocket stream and cleared; a snapshot and the live
MJPEG view relayed over ZeroMQ only while watched; the camera password nowhere in what the control room keeps or
answers, nor in the edge's log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import cv2
import numpy as np
import pytest
from camera_support import PASSWORD, USER, mjpeg_camera, onvif_camera, rtsp_camera, secret_forms

from edge.stack.mosquitto import Mosquitto
from simulators.cameras.faults import Fault
from simulators.cameras.frames import read_frame_number
from simulators.cameras.mjpeg_server import MjpegCamera
from simulators.cameras.onvif_camera import OnvifCamera
from simulators.cameras.rtsp_server import RtspCamera
from tests.support.stack import ControlRoom, EdgeProcess, edge_config, stream_client, wait_until

CCTV = """
[cctv]
state_interval_s = 1

[[cctv.cameras]]
id = "bridge-1"
url = "{rtsp}"
username = "{user}"
password = {{ env = "CITYEDGE_TEST_CAMERA_PASSWORD" }}
label = "London Bridge north"
location = "London Bridge"

[[cctv.cameras]]
id = "cheapside-1"
url = "{mjpeg}"
username = "{user}"
password = {{ env = "CITYEDGE_TEST_CAMERA_PASSWORD" }}
label = "Cheapside"
"""


@dataclass
class CctvCity:
    rtsp: RtspCamera
    mjpeg: MjpegCamera
    onvif: OnvifCamera
    edge: EdgeProcess
    cr: ControlRoom


@pytest.fixture
def cctv_city(
    mosquitto: Mosquitto, tmp_path: Path, database_url: str, monkeypatch: pytest.MonkeyPatch
) -> Iterator[CctvCity]:
    monkeypatch.setenv("CITYEDGE_TEST_CAMERA_PASSWORD", PASSWORD)
    with ExitStack() as stack:
        rtsp = stack.enter_context(rtsp_camera())
        mjpeg = stack.enter_context(mjpeg_camera(fps=10))
        onvif = stack.enter_context(onvif_camera(name="e2e-onvif", multicast=False))
        cr = ControlRoom(tmp_path / "cr", mosquitto.url, database_url).start()
        stack.callback(cr.stop)
        extra = CCTV.format(rtsp=rtsp.url("/main"), mjpeg=mjpeg.url(), user=USER)
        edge = EdgeProcess(edge_config("edge-cctv", tmp_path / "edge", mosquitto.url, extra), tmp_path).start()
        stack.callback(edge.stop)
        yield CctvCity(rtsp, mjpeg, onvif, edge, cr)


def _cameras(http) -> dict[str, dict]:  # type: ignore[no-untyped-def,type-arg]
    return {c["id"]: c for c in http.get("/api/v1/cameras").json()}


def _streaming(http, camera: str) -> bool:  # type: ignore[no-untyped-def]
    health = _cameras(http).get(camera, {}).get("health") or {}
    return health.get("state") == "streaming" and (health.get("frames") or 0) > 10


def test_cameras_end_to_end(cctv_city: CctvCity) -> None:
    city = cctv_city
    with city.cr.client() as http, stream_client(city.cr.url, http.headers["Authorization"][7:]) as ws:
        wait_until(lambda: _streaming(http, "bridge-1") and _streaming(http, "cheapside-1"), 60, "cameras streaming")
        cams = _cameras(http)
        bridge = cams["bridge-1"]
        assert bridge["label"] == "London Bridge north" and bridge["location"] == "London Bridge"
        assert bridge["source"] == city.rtsp.url("/main") and bridge["source_kind"] == "rtsp" and bridge["live"]
        assert (bridge["health"]["width"], bridge["health"]["height"], bridge["health"]["codec"]) == (320, 240, "h264")
        assert cams["cheapside-1"]["health"]["codec"] == "mjpg"

        # a snapshot: the edge encodes a frame because we asked
        r = http.get("/api/v1/cameras/bridge-1/snapshot.jpg")
        assert r.status_code == 200 and r.headers["content-type"] == "image/jpeg"
        picture = cv2.imdecode(np.frombuffer(r.content, np.uint8), cv2.IMREAD_COLOR)
        assert picture.shape == (240, 320, 3)
        assert city.cr.ctx.live.watched == {}  # unsubscribed again

        # the live view: MJPEG parts for as long as we read, relayed only while we read
        numbers = []
        with http.stream("GET", "/api/v1/cameras/bridge-1/live.mjpeg") as live:
            assert live.headers["content-type"].startswith("multipart/x-mixed-replace")
            buffer = b""
            for chunk in live.iter_bytes():
                buffer += chunk
                while (end := buffer.find(b"\xff\xd9")) != -1 and (start := buffer.find(b"\xff\xd8")) != -1:
                    jpeg, buffer = buffer[start : end + 2], buffer[end + 2 :]
                    frame = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
                    numbers.append(read_frame_number(frame))
                if len(numbers) >= 8:
                    assert city.cr.ctx.live.watched == {"live/bridge-1": 1}
                    break
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
        wait_until(lambda: city.cr.ctx.live.watched == {}, 10, "live view unsubscribed")

        # attach the ONVIF camera through the API
        body = {
            "node_id": "edge-cctv",
            "id": "onvif-1",
            "url": city.onvif.onvif_url,
            "username": USER,
            "password": PASSWORD,
            "label": "Blackfriars",
            "location": "Blackfriars Bridge",
        }
        r = http.post("/api/v1/cameras", json=body)
        assert r.status_code == 202, r.text
        cid = r.json()["command_id"]
        wait_until(lambda: http.get(f"/api/v1/commands/{cid}").json()["terminal"], 30, "add_camera answered")
        detail = http.get(f"/api/v1/commands/{cid}").json()
        assert detail["stage"] == "succeeded", detail
        assert detail["args"]["password"] == "***" and detail["args"]["url"] == city.onvif.onvif_url
        wait_until(lambda: _streaming(http, "onvif-1"), 60, "ONVIF camera streaming")
        onvif_cam = _cameras(http)["onvif-1"]
        assert onvif_cam["onvif"]["profile"] == "main" and onvif_cam["source_kind"] == "onvif"

        # refusals: wrong password (the edge asks the device), credentials in the URL, an unknown node, test mode
        wrong = http.post("/api/v1/cameras", json={**body, "id": "onvif-2", "password": "wrong-" + PASSWORD}).json()
        wait_until(lambda: http.get(f"/api/v1/commands/{wrong['command_id']}").json()["terminal"], 30, "answer")
        refused = http.get(f"/api/v1/commands/{wrong['command_id']}").json()
        assert (refused["stage"], refused["code"]) == ("failed", "camera_auth_failed"), refused
        inline = http.post("/api/v1/cameras", json={**body, "url": city.rtsp.url().replace("//", f"//u:{PASSWORD}@")})
        assert inline.status_code == 422 and "credentials" in inline.text
        assert http.post("/api/v1/cameras", json={**body, "node_id": "nowhere"}).status_code == 404
        trial = http.post("/api/v1/cameras", json={**body, "id": "trial-1", "mode": "test"}).json()
        wait_until(lambda: http.get(f"/api/v1/commands/{trial['command_id']}").json()["terminal"], 30, "answer")
        assert http.get(f"/api/v1/commands/{trial['command_id']}").json()["stage"] == "succeeded"
        assert "trial-1" not in _cameras(http) and "onvif-2" not in _cameras(http)

        # the camera added through the API survives a restart of the edge node
        city.edge.stop()
        restarted = datetime.now(UTC)
        city.edge.start()

        def fresh(camera: str) -> bool:
            state_ts = _cameras(http)[camera]["state_ts"]
            return bool(state_ts) and datetime.fromisoformat(state_ts) > restarted and _streaming(http, camera)

        wait_until(lambda: fresh("onvif-1") and fresh("bridge-1"), 60, "cameras streaming after the restart")

        # a stall: alert with a picture on the stream and in the API, then cleared
        city.rtsp.faults.set(Fault.STALL)

        def alert(active: bool) -> list[dict]:  # type: ignore[type-arg]
            return [
                m["data"]
                for m in ws.of_type("alert")
                if m["data"]["device_id"] == "bridge-1"
                and m["data"]["type"] == "camera_stall"
                and m["data"]["active"] is active
            ]

        wait_until(lambda: alert(True), 30, "camera_stall raised on the stream")
        raised = alert(True)[0]
        assert raised["location"] == "London Bridge" and raised["severity"] == "major"
        stored = [
            a
            for a in http.get("/api/v1/alerts", params={"active": True}).json()
            if a["type"] == "camera_stall" and a["device_id"] == "bridge-1"
        ]
        assert len(stored) == 1, http.get("/api/v1/alerts").json()
        picture = http.get(f"/api/v1/alerts/{stored[0]['id']}/snapshot.jpg")  # the last picture before the stall
        assert picture.status_code == 200
        assert cv2.imdecode(np.frombuffer(picture.content, np.uint8), cv2.IMREAD_COLOR).shape == (240, 320, 3)
        city.rtsp.faults.clear(Fault.STALL)
        wait_until(lambda: alert(False), 30, "camera_stall cleared on the stream")
        events = http.get("/api/v1/events", params={"type": "alert.raised"}).json()
        assert any(e["device_id"] == "bridge-1" and e["data"]["type"] == "camera_stall" for e in events)

        # nothing the control room keeps or answers, nor the edge's log, holds the camera password
        everything = json.dumps(
            [
                http.get("/api/v1/cameras").json(),
                http.get("/api/v1/commands").json(),
                http.get(f"/api/v1/commands/{cid}").json(),
                http.get("/api/v1/devices").json(),
                http.get("/api/v1/events").json(),
                http.get("/api/v1/alerts").json(),
                ws.messages,
            ]
        )
        with city.cr.ctx.store.engine.connect() as conn:
            from sqlalchemy import text

            for table in ("commands", "audit_log", "devices", "events", "alerts", "nodes"):
                everything += json.dumps([list(map(str, row)) for row in conn.execute(text(f"SELECT * FROM {table}"))])
        everything += city.edge.log_text()
        leaked = [s for s in secret_forms() if s in everything]
        assert not leaked, leaked
        views = [row["action"] for row in _audit(city)]
        assert {"camera.snapshot", "camera.live_view", "alert.snapshot", "command.add_camera"} <= set(views)


def _audit(city: CctvCity) -> list[dict]:  # type: ignore[type-arg]
    from sqlalchemy import text

    with city.cr.ctx.store.engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(text("SELECT action, target FROM audit_log"))]


@pytest.mark.browser
def test_console_cameras_panel_plays_the_live_view(cctv_city: CctvCity, artifacts_dir: Path) -> None:
    """Debian's chromium drives the console: the Cameras tab lists the cameras and plays a live view."""
    from playwright.sync_api import sync_playwright

    from tests.support.stack import ADMIN_PASSWORD

    city = cctv_city
    with city.cr.client() as http:
        wait_until(lambda: _streaming(http, "bridge-1"), 60, "camera streaming")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
        try:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(city.cr.url)
            page.fill("#username", "admin")
            page.fill("#password", ADMIN_PASSWORD)
            page.click("button[type=submit]")
            page.click("#tab-cameras")
            tile = page.locator('figure[data-camera="bridge-1"]')
            tile.wait_for(timeout=20_000)
            # predicates as functions: a bare expression would be eval()ed in the page, which the console's CSP refuses
            page.wait_for_function(
                "() => document.querySelector('figure[data-camera=\"bridge-1\"]').textContent.includes('streaming')",
                timeout=20_000,
            )
            # the wall plays the tile by itself while the panel is on screen (an <img> fed by live.mjpeg)
            page.wait_for_function(
                "() => { const i = document.querySelector('figure[data-camera=\"bridge-1\"] img');"
                " return i && i.src.includes('/live.mjpeg') && i.naturalWidth === 320; }",
                timeout=20_000,
            )
            assert city.cr.ctx.live.watched.get("live/bridge-1") == 1
            page.screenshot(path=str(artifacts_dir / "cameras-panel.png"))
            # paused by hand: the relay stops; watched again: it plays again
            tile.get_by_role("button", name="Pause London Bridge north").click()
            wait_until(lambda: "live/bridge-1" not in city.cr.ctx.live.watched, 10, "live view released")
            tile.get_by_role("button", name="Watch London Bridge north").click()
            wait_until(lambda: city.cr.ctx.live.watched.get("live/bridge-1") == 1, 10, "watched again")
            # leaving the panel stops every live view: the edge encodes only while someone watches
            page.click("#tab-alerts")
            wait_until(lambda: city.cr.ctx.live.watched == {}, 10, "live views released")
            assert errors == []
        finally:
            browser.close()
