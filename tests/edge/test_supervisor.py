"""The edge runtime in-process: a service that fails to start is reported and retried; the node keeps running."""

from __future__ import annotations

import asyncio
import json
import threading
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.config import parse_config
from edge.contract import topics
from edge.contract.payloads import Command, DeviceDescription
from edge.runtime import EdgeRuntime
from edge.services.base import CommandOutcome, EdgeService, Progress, ServiceContext
from edge.stack.mosquitto import Mosquitto


class Flaky(EdgeService):
    name = "flaky"

    def __init__(self, ctx: ServiceContext, failures: int) -> None:
        super().__init__(ctx)
        self.failures = failures
        self.starts = 0

    def devices(self) -> list[DeviceDescription]:
        return [DeviceDescription(id="flaky-1", kind="test", commands=["poke"])]

    async def start(self) -> None:
        self.starts += 1
        if self.starts <= self.failures:
            raise OSError("serial port /dev/ttyUSB9 vanished")
        self.ctx.publish_state("flaky-1", "test", {"ok": True})

    async def stop(self) -> None:
        return None

    async def execute(self, device: str, command: Command, progress: Progress) -> CommandOutcome:
        return CommandOutcome("poked")


def test_failed_service_is_retried_and_reported(mosquitto: Mosquitto, tmp_path: Path) -> None:
    config = parse_config(
        {
            "node": {"id": "edge-t", "data_dir": str(tmp_path)},
            "mqtt": {"url": mosquitto.url},
            "metrics": {"listen": None},
        }
    )
    health: list[dict[str, Any]] = []
    got = threading.Event()

    def on_message(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        health.append(json.loads(msg.payload)["state"]["services"]["flaky"])
        if health[-1].get("status") == "ok":
            got.set()

    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="watcher", protocol=mqtt.MQTTv5)
    watcher.on_message = on_message
    watcher.connect("127.0.0.1", mosquitto.port)
    watcher.subscribe(topics.device_state("edge-t", "edge"), qos=1)
    watcher.loop_start()
    services: list[Flaky] = []

    async def main() -> None:
        stop = asyncio.Event()

        def factory(ctx: ServiceContext) -> list[EdgeService]:
            services.append(Flaky(ctx, failures=2))
            return list(services)

        runtime = EdgeRuntime(config, factory)
        task = asyncio.create_task(runtime.run(stop))
        while services[0].starts < 3:
            runtime._publish_health()
            await asyncio.sleep(0.2)
        runtime._publish_health()
        await asyncio.to_thread(got.wait, 20)
        stop.set()
        await task

    asyncio.run(main())
    watcher.disconnect()
    watcher.loop_stop()
    assert services[0].starts == 3
    assert any(h["status"] == "failed" and "ttyUSB9" in h["error"] for h in health)
    assert health[-1]["status"] == "ok"
