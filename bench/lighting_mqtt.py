"""The MQTT half of ``cityedge bench lighting``: N street-light nodes set to a new level, against the bare floor.

Both phases use one private mosquitto (no persistence) and run one after the other (20,000 connections at once
would exceed the file-descriptor limit):

- floor: ``bench.mqtt_floor`` (N bare paho subscribers answering at once with a status-sized retained QoS 1
  message); this process publishes one group message (or N per-node messages) with a bare paho client and
  collects the answers on ``bench/floor/ack/+``. Fan-out = when each subscriber got the message; round trip =
  when its answer arrived here.
- real: the street-light simulator fleet (``python -m simulators streetlights``: pydantic decode, state, status
  publish) and the edge's driver (:class:`drivers.streetlight.driver.StreetlightBus`: plan from the planner,
  publish, match each node's status echoing the command id).

The sample per node is the time from the first publish to that node's acknowledgement arriving at the edge side;
"all acknowledged" is the last of them.
"""

from __future__ import annotations

import asyncio
import json
import re
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.mqtt_floor import ACK, GROUP, NODE
from bench.report import summarize
from drivers.streetlight.driver import StreetlightBus
from edge.lighting.planner import plan_mqtt
from edge.stack.mosquitto import Mosquitto


@contextmanager
def processes(commands: list[list[str]], log: Path, ready: str | None = None) -> Iterator[list[subprocess.Popen[str]]]:
    """Child ``python -m ...`` processes logging to ``log``; waits for the line ``ready`` from each when given."""
    procs: list[subprocess.Popen[str]] = []
    try:
        with log.open("a") as err:
            for args in commands:
                procs.append(
                    subprocess.Popen([sys.executable, "-m", *args], stdout=subprocess.PIPE, stderr=err, text=True)
                )
        for proc, args in zip(procs, commands, strict=True):
            if ready is not None:
                assert proc.stdout is not None
                line = proc.stdout.readline().strip()
                if line != ready:
                    raise RuntimeError(f"{args[0]} did not start ({line!r}); see {log}")
        yield procs
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.terminate()
        for proc in procs:
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def shards(n: int, k: int) -> list[tuple[int, int]]:
    """(first, count) of ``k`` nearly equal slices of ``n``."""
    size, extra = divmod(n, k)
    out, first = [], 0
    for i in range(k):
        count = size + (1 if i < extra else 0)
        out.append((first, count))
        first += count
    return out


def rss_mib(pid: int) -> float:
    """Resident memory of a process."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _rounds(samples: list[list[float]]) -> dict[str, Any]:
    per_node = [x for r in samples for x in r]
    return {
        "all_acked_ms": [max(r) for r in samples],
        "all_acked": summarize([max(r) for r in samples]),
        "per_node": summarize(per_node),
        "per_node_samples_ms": per_node,
    }


class _Acks:
    """Answers on bench/floor/ack/+ collected by a paho thread."""

    def __init__(self, url_host: str, port: int) -> None:
        self.cond = threading.Condition()
        self.got: dict[str, list[float]] = {}
        self.expect = 0
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-floor-publisher", protocol=mqtt.MQTTv5)
        self.client.max_inflight_messages_set(1000)
        self.client.on_message = self._message
        self.client.connect(url_host, port)
        self.client.subscribe(f"{ACK}/+", qos=1)
        self.client.loop_start()

    def _message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        now = time.monotonic()
        key = bytes(msg.payload[:16]).decode(errors="replace")
        with self.cond:
            got = self.got.setdefault(key, [])
            got.append(now)
            if len(got) >= self.expect:  # wake the waiter once, not per answer
                self.cond.notify_all()

    def wait(self, key: str, n: int, timeout: float) -> list[float]:
        deadline = time.monotonic() + timeout
        with self.cond:
            while len(self.got.get(key, [])) < n and time.monotonic() < deadline:
                self.cond.wait(0.5)
            return list(self.got.get(key, []))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def measure_floor(broker: Mosquitto, n: int, rounds: int, per_node_rounds: int, k: int) -> dict[str, Any]:
    """Bare fan-out and round trip, group message and per-node messages, with ``k`` subscriber processes."""
    out: dict[str, Any] = {}
    log = broker.settings.data_dir / "floor.log"
    commands = [
        ["bench.mqtt_floor", "--broker", broker.url, "--nodes", str(count), "--first", str(first)]
        for first, count in shards(n, k)
    ]
    with processes(commands, log, ready="ready") as floors:
        out["floor_process_rss_mib"] = sum(rss_mib(p.pid) for p in floors)
        acks = _Acks("127.0.0.1", broker.settings.port)
        acks.expect = n
        time.sleep(1.0)  # retained answers of an earlier run arrive first; new keys are unique anyway
        sent: dict[str, tuple[str, float]] = {}
        trips: dict[str, list[list[float]]] = {"group": [], "per_node": []}
        for kind, count in (("group", rounds), ("per_node", per_node_rounds)):
            for r in range(count):
                key = f"{kind[:1]}{r:03d}-{uuid.uuid4().hex}"[:16]
                body = key.encode() + json.dumps({"level": 80 if r % 2 else 30, "fade_ms": 0}).encode()
                time.sleep(0.3)
                t0 = time.monotonic()
                if kind == "group":
                    acks.client.publish(GROUP, body, qos=1)
                else:
                    for i in range(n):
                        acks.client.publish(f"{NODE}/{i}", body, qos=1)
                got = acks.wait(key, n, 60)
                sent[key] = (kind, t0)
                trips[kind].append([(t - t0) * 1000 for t in got])
        acks.close()
        received: dict[str, list[float]] = {}
        for floor in floors:
            floor.terminate()
            stdout, _ = floor.communicate(timeout=60)
            for key, times in json.loads(stdout.strip().splitlines()[-1]).items():
                received.setdefault(key, []).extend(times)
    fanout: dict[str, list[list[float]]] = {"group": [], "per_node": []}
    for key, (kind, t0) in sent.items():
        fanout[kind].append([(t - t0) * 1000 for t in received.get(key, [])])
    for kind in ("group", "per_node"):
        out[f"{kind}_round_trip"] = _rounds(trips[kind])
        out[f"{kind}_fanout"] = _rounds(fanout[kind])
        out[f"{kind}_complete"] = all(len(r) == n for r in trips[kind])
    return out


async def _real(broker: Mosquitto, n: int, rounds: int, per_node_rounds: int, pids: list[int]) -> dict[str, Any]:
    nodes = [f"sl-{i:05d}" for i in range(1, n + 1)]
    bus = StreetlightBus(broker.url, client_id="bench-edge-driver")
    started = time.monotonic()
    await bus.start()
    await bus.wait_connected(30)
    while sum(1 for s in bus.status.values() if s.online) < n:
        if time.monotonic() - started > 300:
            raise RuntimeError(f"only {sum(1 for s in bus.status.values() if s.online)} of {n} nodes online")
        await asyncio.sleep(0.1)
    out: dict[str, Any] = {
        "fleet_online_s": time.monotonic() - started,
        "fleet_rss_mib": sum(rss_mib(pid) for pid in pids),
        "fleet_processes": len(pids),
    }
    group_plan = plan_mqtt(nodes, {"bench": frozenset(nodes)})
    single_plan = plan_mqtt(nodes, {})
    for kind, count, plan in (("group", rounds, group_plan), ("per_node", per_node_rounds, single_plan)):
        samples: list[list[float]] = []
        missing = 0
        for r in range(count):
            await asyncio.sleep(0.3)
            result = await bus.set_level(
                nodes,
                80 if r % 2 else 30,
                f"bench-{kind}-{r}-{uuid.uuid4().hex[:8]}",
                timeout=60,
                groups=plan.groups,
                direct=plan.nodes,
            )
            missing += len(result.missing)
            samples.append([s * 1000 for s in result.ack_s.values()])
        out[kind] = {**_rounds(samples), "messages": plan.message_count, "missing": missing}
    await bus.close()
    return out


def measure_real(broker: Mosquitto, n: int, rounds: int, per_node_rounds: int, k: int) -> dict[str, Any]:
    """The simulator fleet (``k`` processes) and the edge's driver."""
    commands = [
        [
            "simulators",
            "streetlights",
            "--broker",
            broker.url,
            "--nodes",
            f"sl-{first + 1:05d}..sl-{first + count:05d}@bench",
            "--status-interval",
            "3600",
        ]
        for first, count in shards(n, k)
    ]
    log = broker.settings.data_dir / "fleet.log"
    with processes(commands, log) as fleet:
        out = asyncio.run(_real(broker, n, rounds, per_node_rounds, [p.pid for p in fleet]))
    # each simulator process logs how long its own nodes took to connect
    connects = [float(m.group(1)) for m in re.finditer(r"connected in ([0-9.]+) s", log.read_text())]
    out["fleet_connect_s"] = max(connects) if connects else None
    return out
