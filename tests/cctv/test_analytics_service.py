"""The video service's own duties with a stand-in for the edge runtime (this layer only): findings become alerts
and events on the camera device, a crashed worker is restarted, stop leaves nothing running."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from ringprocs import bus_config, producer

from edge.contract.payloads import Alert, Severity
from edge.video.service import VideoService
from edge.video.settings import VideoSettings
from simulators.scenes import Fault, make_scene


@dataclass
class Runtime:
    """Records what the service asks of the runtime."""

    data_dir: Path
    node_id: str = "edge-1"
    events: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    alerts: dict[str, dict[str, Alert]] = field(default_factory=dict)
    cleared: list[tuple[str, str]] = field(default_factory=list)

    def publish_state(self, device: str, kind: str, state: dict[str, Any]) -> None:
        pass

    def emit_event(self, device: str, type: str, data: dict[str, Any], severity: Severity = Severity.INFO) -> int:
        self.events.append((device, type, data))
        return len(self.events)

    def raise_alert(self, device: str, alert: Alert) -> None:
        self.alerts.setdefault(device, {})[alert.alert_id] = alert

    def clear_alert(self, device: str, alert_id: str, reason: str = "recovered") -> None:
        if self.alerts.get(device, {}).pop(alert_id, None) is not None:
            self.cleared.append((device, alert_id))

    def active_alerts(self, device: str) -> dict[str, Alert]:
        return dict(self.alerts.get(device, {}))

    @property
    def control_room_online(self) -> bool:
        return True


async def _until(predicate: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.05)


def test_findings_reach_the_runtime_and_a_crashed_worker_is_restarted(tmp_path: Path) -> None:
    spec = replace(make_scene("crossing").spec, faults=(Fault("frozen", 8.0, 14.0),), duration=22.0)
    with bus_config() as bus:
        settings = VideoSettings.model_validate(
            {
                "bus": bus.model_dump(),
                "restart_backoff_s": 0.2,
                "recorder": {"pre_s": 1.0, "post_s": 1.0, "fps": 5.0},
                "cameras": [
                    {
                        "id": "cam1",
                        "location": "Bridge",
                        "analytics": {
                            "tamper": {"frozen": {"raise_after_s": 1, "clear_after_s": 1}},
                            "lines": [{"name": "midspan", "a": [0.45, 0.99], "b": [0.45, 0.62]}],
                        },
                    }
                ],
            }
        )
        runtime = Runtime(tmp_path)

        async def scenario() -> None:
            service = VideoService(runtime, settings)
            assert service.devices()[0].capabilities["endpoint"].startswith("tcp://127.0.0.1:")
            await service.start()
            try:
                await _until(lambda: service.workers["cam1"].ready, 60, "worker ready")
                first = service.workers["cam1"].process
                first.kill()
                await _until(
                    lambda: service.workers["cam1"].process is not first and service.workers["cam1"].ready,
                    60,
                    "restart",
                )
                assert service.workers["cam1"].restarts == 1
                with producer("cam1", bus, (1, 1)) as camera:
                    camera.start_call("scene", spec, 320, 180, 10.0, 4.0, time.time())
                    await asyncio.to_thread(camera.answer, 60)
                await _until(lambda: ("cam1", "tamper.frozen") in runtime.cleared, 30, "frozen cleared")
                await _until(lambda: any(t == "cctv.clip_recorded" for _, t, _ in runtime.events), 30, "a clip")
                assert service.health()["cameras"]["cam1"]["alive"]
            finally:
                await service.stop()
            assert not service.workers["cam1"].process.is_alive()

        asyncio.run(scenario())
    crossed = [d for dev, t, d in runtime.events if t == "cctv.line_crossed"]
    assert [d["direction"] for d in crossed] == ["left_to_right", "right_to_left"] and crossed[0]["clip_id"]
    frozen = [d for dev, t, d in runtime.events if t == "cctv.clip_recorded" and d["events"][0]["type"] == "frozen"]
    assert len(frozen) == 1 and frozen[0]["camera"] == "cam1"
