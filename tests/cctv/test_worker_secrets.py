"""Credentials never reach output: everything logged (caplog, DEBUG), everything written to this process's
file descriptors 1 and 2 (capfd, which also catches the spawned worker processes and FFmpeg inside them), the
stderr of simulator and CLI subprocesses, health snapshots and condition messages — across good and failing
connections, over RTSP, MJPEG and ONVIF."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import socket
import subprocess
import sys
import threading

import pytest
from camera_support import PASSWORD, USER, mjpeg_camera, onvif_camera, secret_forms, simulator_command, wait_until

from drivers.camera.errors import CameraError
from drivers.camera.probe import probe
from edge.video.camera_config import CameraConfig
from edge.video.worker import CameraWorker
from edge.video.worker_health import Condition, ConditionChange


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _assert_clean(text: str, what: str) -> None:
    leaked = [s for s in secret_forms() + secret_forms("wrong-" + PASSWORD) if s in text]
    assert not leaked, f"{what} contains {leaked!r}"


def test_no_credentials_in_any_output(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> None:
    caplog.set_level(logging.DEBUG)
    env = {**os.environ, "CAMERA_PASSWORD": PASSWORD}
    sim = subprocess.Popen(
        [*simulator_command("camera-rtsp"), "--port", "0", "--width", "320", "--height", "240", "--user", USER],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    sim_output: list[str] = []
    url: list[str] = []
    reader = threading.Thread(target=lambda: [sim_output.append(line) for line in sim.stderr or []], daemon=True)
    reader.start()
    messages: list[str] = []
    health_texts: list[str] = []
    try:
        assert wait_until(lambda: any("listening on" in line for line in sim_output), 30), sim_output
        url.append(re.search(r"(rtsp://\S+)", next(line for line in sim_output if "listening on" in line))[1])  # type: ignore[index]

        def on_condition(change: ConditionChange) -> None:
            messages.append(change.message)

        gone_url = f"rtsp://127.0.0.1:{_free_port()}/x"
        inline_wrong = url[0].replace("rtsp://", f"rtsp://{USER}:wrong-{PASSWORD}@")  # raw, unencoded
        cameras = [
            CameraWorker(CameraConfig(id="good", url=url[0], username=USER, password=PASSWORD)),
            CameraWorker(CameraConfig(id="wrong", url=inline_wrong, backoff_max_s=1), on_condition=on_condition),
            CameraWorker(
                CameraConfig(id="gone", url=gone_url, username=USER, password=PASSWORD, backoff_max_s=1),
                on_condition=on_condition,
                on_health=lambda h: health_texts.append(h.model_dump_json()),
            ),
        ]
        for camera in cameras:
            camera.start()
        try:
            assert wait_until(lambda: cameras[0].health().frames > 20, 30)
            assert wait_until(lambda: Condition.AUTH_FAILED in cameras[1].conditions, 30)
            assert wait_until(lambda: Condition.OFFLINE in cameras[2].conditions, 30)
            health_texts += [c.health().model_dump_json() for c in cameras]
        finally:
            for camera in cameras:
                camera.stop()

        with mjpeg_camera() as mj, onvif_camera() as dev:
            for target, password in ((mj.url(), PASSWORD), (mj.url(), "wrong-" + PASSWORD), (dev.onvif_url, PASSWORD)):
                try:
                    report = asyncio.run(probe(target, USER, password, measure_s=0.2))
                    messages.append(repr(report))
                except CameraError as err:
                    messages.append(str(err))
            cli = subprocess.run(
                [sys.executable, "-m", "edge.cli", "cameras", "probe", dev.onvif_url, "--user", USER, "--measure", "0"],
                env=env, capture_output=True, text=True, timeout=90,
            )  # fmt: skip
            assert cli.returncode == 0, cli.stderr
            _assert_clean(cli.stdout + cli.stderr, "the probe CLI's output")
    finally:
        sim.send_signal(signal.SIGTERM)
        sim.wait(20)
        reader.join(5)

    assert any("refuses the credentials" in m for m in messages)
    assert any("401" in m for m in messages)  # the failures were really exercised
    assert any("offline" in m for m in messages)
    _assert_clean("\n".join(sim_output), "the simulator's stderr")
    _assert_clean("\n".join(messages), "condition messages, errors and reports")
    _assert_clean("\n".join(health_texts), "health snapshots")
    _assert_clean(caplog.text, "log records")
    assert "refused the credentials" in caplog.text  # what was logged includes the failures
    out, err = capfd.readouterr()
    _assert_clean(out + err, "fd 1/2 output of this process and its worker processes")
