"""The camera worker process against the simulated cameras: frames reach the sink in order without copies,
health is reported, each transport fault raises exactly its condition and clears it, and a hung process is
replaced without disturbing other cameras."""

from __future__ import annotations

import functools
import os
import threading
from pathlib import Path

import pytest
from camera_support import (
    PASSWORD,
    USER,
    RecordingSink,
    mjpeg_camera,
    read_recording,
    rtsp_camera,
    wait_until,
    write_clip,
)

from edge.video.camera_config import CameraConfig
from edge.video.worker import CameraWorker
from edge.video.worker_health import Condition, ConditionChange, LinkState
from simulators.cameras.faults import Fault


class Changes:
    """Collects condition changes from the worker's monitor thread."""

    def __init__(self) -> None:
        self.items: list[ConditionChange] = []
        self._lock = threading.Lock()

    def __call__(self, change: ConditionChange) -> None:
        with self._lock:
            self.items.append(change)

    def pairs(self) -> list[tuple[str, bool]]:
        with self._lock:
            return [(c.condition.value, c.active) for c in self.items]

    def clear(self) -> None:
        with self._lock:
            self.items.clear()


def config(url: str, **kw: object) -> CameraConfig:
    options: dict[str, object] = {
        "id": "cam-1",
        "url": url,
        "username": USER,
        "password": PASSWORD,
        "backoff_initial_s": 0.3,
        "backoff_max_s": 1.0,
        "decode_error_clear_s": 3.0,
        **kw,
    }
    return CameraConfig.model_validate(options)


def test_rtsp_frames_reach_the_sink_in_order_without_copies(tmp_path: Path) -> None:
    record = tmp_path / "frames.txt"
    with rtsp_camera() as cam:
        worker = CameraWorker(config(cam.url("/main")), functools.partial(RecordingSink, str(record)))
        with worker:
            assert wait_until(lambda: len(read_recording(record)) >= 60, 30)
            assert wait_until(lambda: (worker.health().fps or 0) > 20, 10)
            health = worker.health()
            pid = worker.pid
        assert pid is not None
    frames = read_recording(record)
    numbers = [n for n, _, _ in frames]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)  # in order, none twice
    assert numbers[-1] - numbers[0] <= len(numbers) + 3  # and hardly any missing
    assert {p for _, p, _ in frames[1:]} == {frames[1][1]}  # one reused buffer: no copy per frame in the worker
    assert {s for _, _, s in frames} == {"320x240"}
    assert (health.state, health.width, health.height, health.codec) == (LinkState.STREAMING, 320, 240, "h264")
    assert health.frames >= 40 and health.conditions == [] and health.reconnects == 0  # reported twice a second
    assert health.last_frame_age_s is not None and health.last_frame_age_s < 1.0
    assert not os.path.exists(f"/proc/{pid}")  # the worker process is gone after stop()


def test_mjpeg_and_file_sources_through_the_worker(tmp_path: Path) -> None:
    clip = write_clip(tmp_path / "loop.mp4", seconds=1.0)
    with mjpeg_camera(fps=10) as cam:
        workers = [
            CameraWorker(config(cam.url(), id="mjpeg-1")),
            CameraWorker(config(str(clip), id="file-1", username=None, password=None)),
        ]
        for w in workers:
            w.start()
        try:
            assert wait_until(lambda: workers[0].health().frames >= 15, 30)
            assert wait_until(lambda: workers[1].health().frames >= 40, 30)  # 25 frames in the file: it looped
        finally:
            for w in workers:
                w.stop()
    assert workers[0].health().codec == "mjpg" and workers[1].health().codec == "h264"
    assert all(not w.conditions for w in workers)


@pytest.mark.parametrize("kind", ["rtsp", "mjpeg"])
@pytest.mark.parametrize(
    ("fault", "condition"),
    [
        (Fault.STALL, Condition.STALL),
        (Fault.GARBAGE, Condition.DECODE_ERRORS),
        (Fault.WRONG_PASSWORD, Condition.AUTH_FAILED),
        (Fault.DISAPPEAR, Condition.OFFLINE),
    ],
)
def test_each_fault_raises_exactly_its_condition_and_clears_it(fault: Fault, condition: Condition, kind: str) -> None:
    changes = Changes()
    # the stall test keeps the default stall timeout (2 s); the others allow 4 s so a busy machine's
    # scheduling hiccup cannot pass for a stall
    stall = {} if fault is Fault.STALL else {"stall_timeout_s": 4.0}
    with rtsp_camera() if kind == "rtsp" else mjpeg_camera(fps=10) as cam:
        worker = CameraWorker(config(cam.url("/main") if kind == "rtsp" else cam.url(), **stall), on_condition=changes)
        with worker:
            assert wait_until(lambda: worker.health().frames >= 15, 30), worker.health()
            assert changes.pairs() == []
            cam.faults.set(fault)
            assert wait_until(lambda: condition in worker.conditions, 20), (fault, worker.health())
            wait_until(lambda: False, 2.0)  # hold the fault a little longer: nothing else may be raised
            cam.faults.clear(fault)
            assert wait_until(lambda: not worker.conditions, 20), (fault, worker.health())
            frames = worker.health().frames
            assert wait_until(lambda: worker.health().frames > frames + 10, 10)  # streaming again
    assert changes.pairs() == [(condition.value, True), (condition.value, False)]


def test_hung_process_is_replaced_and_other_cameras_carry_on(tmp_path: Path) -> None:
    record = tmp_path / "hung.txt"
    changes = Changes()
    with rtsp_camera() as cam:
        hung = CameraWorker(
            config(cam.url("/main"), id="hangs", hang_timeout_s=3.0),
            functools.partial(RecordingSink, str(record), hang_once_at=20),
            on_condition=changes,
        )
        healthy = CameraWorker(config(cam.url("/sub"), id="healthy"))
        with hung, healthy:
            assert wait_until(lambda: Path(str(record) + ".hung").exists(), 30)
            before = healthy.health().frames
            first_pid = hung.pid
            assert wait_until(lambda: hung.restarts == 1, 20)
            assert healthy.health().frames > before + 25  # kept streaming while the other hung
            assert wait_until(lambda: len(read_recording(record)) > 40, 30)  # the replacement delivers
            assert hung.pid != first_pid
            assert wait_until(lambda: not hung.conditions, 10)
    assert changes.pairs() == [("camera_stall", True), ("camera_stall", False)]
    assert hung.health().restarts == 1
