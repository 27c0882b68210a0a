"""``python -m simulators cameras``: the demo city's cameras in one process — an RTSP camera, an MJPEG camera, an
ONVIF camera (with its own RTSP server) — plus a clip written for the file-source camera.

The password comes from $CAMERA_PASSWORD (never the command line). ``cityedge up`` runs this; the edge config it
generates points at the same ports.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import signal
import threading
from pathlib import Path

from drivers.camera.httpauth import Credentials
from simulators.cameras.clip import write_clip
from simulators.cameras.faults import FaultScript, FaultSwitch, parse_script
from simulators.cameras.frames import TestPattern
from simulators.cameras.mjpeg_server import MjpegCamera
from simulators.cameras.onvif_camera import OnvifCamera
from simulators.cameras.rtsp_server import RtspCamera, test_pattern_streams
from simulators.cameras.stream import H264Stream
from simulators.scenes import make_scene

log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m simulators cameras``."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--rtsp-port", type=int, required=True, help="RTSP camera port")
    parser.add_argument("--mjpeg-port", type=int, required=True, help="MJPEG camera port")
    parser.add_argument("--onvif-port", type=int, required=True, help="ONVIF device service port")
    parser.add_argument("--onvif-rtsp-port", type=int, required=True, help="the ONVIF camera's RTSP port")
    parser.add_argument("--clip", type=Path, required=True, help="where to write the file camera's clip")
    parser.add_argument("--width", type=int, default=640)
    parser.add_argument("--height", type=int, default=360)
    parser.add_argument("--user", default="admin", help="username every camera accepts")
    parser.add_argument("--rtsp-faults", default="", help="fault script for the RTSP camera, START:FAULT:DURATION,...")
    parser.add_argument(
        "--scene",
        default="bridge",
        help="what the RTSP camera (London Bridge) shows: a synthetic scene (simulators.scenes) or 'pattern'",
    )


def scene_streams(name: str, width: int, height: int, fps: float) -> dict[str, H264Stream]:
    """``/main`` and ``/sub`` showing a looping synthetic scene (with ground truth, for the analytics)."""
    sub_w, sub_h = max(160, width // 2 // 2 * 2), max(120, height // 2 // 2 * 2)
    return {
        "/main": H264Stream(make_scene(name, width, height, loop=True), width, height, fps, name="main"),
        "/sub": H264Stream(make_scene(name, sub_w, sub_h, loop=True), sub_w, sub_h, fps, name="sub"),
    }


def run(args: argparse.Namespace) -> int:
    """Run the cameras until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    password = os.environ.get("CAMERA_PASSWORD")
    creds = Credentials(args.user, password) if password else None
    w, h = args.width, args.height
    if not args.clip.exists():
        write_clip(args.clip, TestPattern(w, h, 25, "file camera: Guildhall"), w, h, 25, 10)
        log.info("wrote the file camera's clip %s", args.clip)
    rtsp_faults = FaultSwitch()
    try:
        streams = (
            scene_streams(args.scene, w, h, 25)
            if args.scene != "pattern"
            else test_pattern_streams(w, h, 25, "RTSP camera: London Bridge")
        )
    except ValueError as err:
        print(f"error: --scene: {err}")
        return 2
    rtsp = RtspCamera(
        streams,
        host=args.host,
        port=args.rtsp_port,
        credentials=creds,
        faults=rtsp_faults,
    )
    mjpeg = MjpegCamera(
        TestPattern(w, h, 10, "MJPEG camera: Cheapside"),
        fps=10,
        host=args.host,
        port=args.mjpeg_port,
        credentials=creds,
    )
    onvif = OnvifCamera(
        width=w,
        height=h,
        name="blackfriars-onvif",
        host=args.host,
        port=args.onvif_port,
        rtsp_port=args.onvif_rtsp_port,
        multicast=False,
        credentials=creds,
    )
    try:
        steps = parse_script(args.rtsp_faults)
    except ValueError as err:
        print(f"error: {err}")
        return 2
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    started: list[RtspCamera | MjpegCamera | OnvifCamera] = []
    script = FaultScript(rtsp_faults, steps, repeat=True) if steps else None
    try:
        for camera in (rtsp, mjpeg, onvif):
            camera.start()
            started.append(camera)
        if script:
            script.start()
        log.info(
            "cameras up: rtsp %s, mjpeg %s, onvif %s, clip %s", rtsp.url(), mjpeg.url(), onvif.onvif_url, args.clip
        )
        with contextlib.suppress(KeyboardInterrupt):
            done.wait()
    finally:
        if script:
            script.stop()
        for camera in reversed(started):
            camera.stop()
    return 0
