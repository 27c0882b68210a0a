"""``cityedge bench alerts``: device event → control-room store → WebSocket client latency, beside the floor.

A synthetic device on a real edge node (the loadgen service, through the real outbox) raises events at a fixed
rate; the control room (its own process) stores them and pushes them to a WebSocket client here, which compares
the arrival time with the event's creation time. In the same run, a bare mosquitto QoS 1 publish → subscribe
round trip on the same broker at the same rate gives the floor.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from websockets.sync.client import connect

from bench.report import RESULTS, plot_distributions, summarize, write_json
from edge.stack.mosquitto import Mosquitto, MosquittoSettings
from edge.stack.ports import free_port
from edge.stack.procs import stop_process

PASSWORD = "bench-password-long-enough"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options."""
    parser.add_argument("--rates", default="100,1000", help="events per second, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="duration of each rate")
    parser.add_argument("--rounds", type=int, default=5, help="alternating segments of real path and floor")
    parser.add_argument("--warmup", type=int, default=200, help="events sent (and ignored) before each rate")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")
    parser.add_argument("--raw", action="store_true", help="also write every sample (in arrival order) to the JSON")


class WsCollector:
    """Receives loadgen events from /api/v1/stream and records latency = arrival - data.sent_at."""

    def __init__(self, url: str, token: str) -> None:
        self.latencies: list[tuple[int, float]] = []
        self.store_latencies: list[tuple[int, float]] = []
        self._ready = threading.Event()
        self._url = url.replace("http://", "ws://") + f"/api/v1/stream?access_token={token}"
        self._ws: Any = None
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._ready.wait(20)

    def _run(self) -> None:
        with connect(self._url, max_size=None) as ws:
            self._ws = ws
            self._ready.set()
            try:
                for raw in ws:
                    now = time.time()
                    msg = json.loads(raw)
                    if msg["type"] == "event" and msg["data"]["type"] == "loadgen.tick":
                        data = msg["data"]
                        sent = data["data"]["sent_at"]
                        n = data["data"]["n"]
                        self.latencies.append((n, (now - sent) * 1000))
                        stored = _ts(data["received_at"])
                        self.store_latencies.append((n, (stored - sent) * 1000))
            except Exception:
                pass

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()
        self._thread.join(10)


def _ts(iso: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def floor_roundtrip(broker: Mosquitto, rate: float, count: int) -> list[float]:
    """Bare mosquitto: QoS 1 publish → subscribe latency (ms) at ``rate``, same broker, same machine."""
    latencies: list[float] = []
    done = threading.Event()
    topic = "bench/floor"

    def on_message(client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        latencies.append((time.time() - json.loads(msg.payload)["sent_at"]) * 1000)
        if len(latencies) >= count:
            done.set()

    sub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-floor-sub", protocol=mqtt.MQTTv5)
    sub.on_message = on_message
    sub.connect("127.0.0.1", broker.port)
    sub.subscribe(topic, qos=1)
    sub.loop_start()
    pub = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="bench-floor-pub", protocol=mqtt.MQTTv5)
    pub.connect("127.0.0.1", broker.port)
    pub.loop_start()
    deadline = time.monotonic() + 10
    while not (pub.is_connected() and sub.is_connected()) and time.monotonic() < deadline:
        time.sleep(0.01)
    start = time.perf_counter()
    for i in range(count):
        delay = start + i / rate - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        pub.publish(topic, json.dumps({"n": i, "sent_at": time.time(), "pad": "x" * 200}), qos=1)
    done.wait(60)
    for c in (pub, sub):
        c.disconnect()
        c.loop_stop()
    return latencies


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and write alerts.json / alerts.png."""
    rates = [float(r) for r in args.rates.split(",")]
    work = Path(tempfile.mkdtemp(prefix="cityedge-bench-alerts-"))
    broker = Mosquitto(MosquittoSettings(data_dir=work / "broker"))
    broker.start()
    port = free_port()
    env = {
        **os.environ,
        "CITYEDGE_DATA_DIR": str(work / "cr"),
        "CITYEDGE_MQTT_URL": broker.url,
        "CITYEDGE_HTTP_PORT": str(port),
        "CITYEDGE_ADMIN_PASSWORD": PASSWORD,
        "CITYEDGE_LOG_LEVEL": "warning",
    }
    (work / "edge.toml").write_text(
        f'[node]\nid = "bench-edge"\ndata_dir = "{work / "edge"}"\n[mqtt]\nurl = "{broker.url}"\n'
        f'[metrics]\nlisten = "127.0.0.1:0"\n[loadgen]\n'
    )
    procs = [
        subprocess.Popen([sys.executable, "-m", "control_room", "serve"], env=env, stderr=subprocess.DEVNULL),
        subprocess.Popen(
            [sys.executable, "-m", "edge", "--config", str(work / "edge.toml")], stderr=subprocess.DEVNULL
        ),
    ]
    url = f"http://127.0.0.1:{port}"
    result: dict[str, Any] = {"rates": {}, "what": __doc__}
    series: dict[str, list[float]] = {}
    try:
        token = _wait_login(url)
        http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        _wait(lambda: http.get("/api/v1/devices/bench-edge/loadgen").status_code == 200, 60)
        ws = WsCollector(url, token)
        emitted = 0
        for rate in rates:
            key = f"{rate:g}/s"
            _loadgen(http, rate, args.warmup)
            emitted += args.warmup
            _wait(lambda e=emitted: len(ws.latencies) >= e, 60)
            lat: list[float] = []
            store: list[float] = []
            floor: list[float] = []
            # Alternate short segments of the real path and of the floor so both see the same machine noise.
            per_round = max(1, int(rate * args.seconds / args.rounds))
            for _ in range(args.rounds):
                first = emitted + 1
                _loadgen(http, rate, per_round)
                emitted += per_round
                _wait(lambda e=emitted: len(ws.latencies) >= e, 120)
                lat += [ms for n, ms in ws.latencies if n >= first]
                store += [ms for n, ms in ws.store_latencies if n >= first]
                floor += floor_roundtrip(broker, rate, per_round)
            summary = summarize(lat)
            floor_summary = summarize(floor)
            result["rates"][key] = {
                "events": len(lat),
                "event_to_websocket": summary,
                "event_to_store": summarize(store),
                "floor_mosquitto_roundtrip": floor_summary,
                "ratio_p50": summary["p50_ms"] / floor_summary["p50_ms"],
                "ratio_p99": summary["p99_ms"] / floor_summary["p99_ms"],
            }
            if args.raw:
                result["rates"][key]["samples_ms"] = [round(x, 3) for x in lat]
            series[f"cityedge event→WS @ {key}"] = lat
            series[f"bare mosquitto QoS1 @ {key}"] = floor
            print(
                f"{key}: event→WebSocket p50 {summary['p50_ms']:.2f} ms p99 {summary['p99_ms']:.2f} ms; "
                f"floor p50 {floor_summary['p50_ms']:.2f} ms p99 {floor_summary['p99_ms']:.2f} ms",
                flush=True,
            )
        ws.close()
        http.close()
    finally:
        for p in procs:
            stop_process(p, 20)
        broker.stop()
    path = write_json("alerts", result, args.out)
    plot_distributions("alerts", series, "device event → WebSocket vs bare mosquitto", results_dir=args.out)
    print(f"wrote {path}")
    return 0


def _loadgen(http: httpx.Client, rate: float, count: int) -> None:
    """Ask the edge's synthetic device to emit ``count`` events at ``rate`` (returns once the command is sent)."""
    r = http.post(
        "/api/v1/devices/bench-edge/loadgen/commands",
        json={"action": "run", "args": {"rate": rate, "count": count}, "ttl_s": 30},
    )
    r.raise_for_status()


def _wait(pred: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark condition not met in time")
        time.sleep(0.05)


def _wait_login(url: str) -> str:
    deadline = time.monotonic() + 60
    while True:
        try:
            r = httpx.post(f"{url}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD}, timeout=5)
            if r.status_code == 200:
                return str(r.json()["access_token"])
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise TimeoutError("control room did not start")
        time.sleep(0.2)
