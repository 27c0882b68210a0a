"""``cityedge bench pa``: announce API call → first command byte at the PA controller, and → chime start.

The control room and the edge node run as their own processes over a real mosquitto; the PA head-end simulator
runs in this process behind a pty at the configured baud rate and timestamps the first byte of every frame it
receives and the start of every chime (same monotonic clock). Each announcement plays a short message in one of
16 zones in turn; the next is sent once the previous call has ended and the controller's line is quiet again. This
measures latency, not throughput: every call sends its ACK and four events (START, STARTCHIME, MESSAGES, END;
about 190 bytes, 0.2 s at 9600 baud) up the line, so at 9600 baud back-to-back announcements faster than about
five a second queue behind that traffic.

Floors, in the same run: the time the CS frame itself needs on the wire at the baud rate, and the same call made
directly by the driver in this process against a second simulator (no HTTP, MQTT or edge service in between),
interleaved with the real path in rounds so both see the same machine noise. Target (architecture.md): p99 ≤ 50 ms
from the API call to the first byte.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx

from bench.report import RESULTS, plot_distributions, summarize, write_json
from drivers.pa import codec
from drivers.pa.driver import ConnectionState, PaController
from drivers.transport import wire_time_s
from edge.stack.mosquitto import Mosquitto, MosquittoSettings
from edge.stack.ports import free_port
from edge.stack.procs import stop_process
from simulators.pa import PaControllerSimulator
from simulators.pa.store import ChimeSpec, MessageSpec, Store, message_freq

PASSWORD = "bench-password-long-enough"
ZONES = 16
STORE = Store(
    messages={0x01: MessageSpec("Bench message", 0.2, message_freq(1))},
    chimes={0x01: ChimeSpec("blip", ((880.0, 0.05),))},
)
TARGET_P99_MS = 50.0


@dataclass(frozen=True)
class Sample:
    """One announcement through the API."""

    id: str
    wall: float
    first_byte_ms: float
    chime_ms: float


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options."""
    parser.add_argument("--announcements", type=int, default=200, help="announcements through the API")
    parser.add_argument("--baud", type=int, default=9600, help="controller line speed")
    parser.add_argument("--rounds", type=int, default=5, help="alternating segments of real path and driver floor")
    parser.add_argument("--warmup", type=int, default=10, help="announcements sent (and ignored) first")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results folder")


def _edge_toml(work: Path, broker: str, sim: PaControllerSimulator, baud: int) -> str:
    zones = "\n".join(f'[[pa.zones]]\nnumber = {n}\nname = "Zone {n}"\n' for n in range(1, ZONES + 1))
    return (
        f'log_level = "warning"\n[node]\nid = "bench-edge"\ndata_dir = "{work / "edge"}"\n[mqtt]\nurl = "{broker}"\n'
        f'[metrics]\nlisten = "127.0.0.1:0"\n'
        f'[pa]\nurl = "{sim.url}"\nbaudrate = {baud}\nline_output = "{sim.line_url}"\n'
        f"[pa.chimes]\nevacuate = 1\nalert = 1\nannouncement = 1\nroutine = 1\nbackground = 1\n"
        f'[[pa.messages]]\nid = 1\nname = "Bench message"\nduration_s = 0.2\n{zones}'
    )


def _cs_bytes() -> int:
    cmd = codec.StartCall(frozenset({16}), 160, chime=1, messages=(1,))
    return len(codec.encode_frame(codec.command_frame(cmd, 1, 0xFF)))


def _wait(pred: Any, timeout: float, what: str) -> Any:
    deadline = time.monotonic() + timeout
    while not (value := pred()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"benchmark: {what} not seen in {timeout:.0f} s")
        time.sleep(0.005)
    return value


def _new_start(sim: PaControllerSimulator, seen: int) -> tuple[float, float] | None:
    """(first byte of the newest CS frame, chime start of the newest call), once a call beyond ``seen`` exists."""
    count, frame, start = sim.latest("CS")
    if count <= seen or frame is None or start is None or start[2] is None:
        return None
    return frame.first_byte, start[2]


def api_round(http: httpx.Client, sim: PaControllerSimulator, count: int, offset: int) -> list[Sample]:
    """``count`` announcements through the API, one at a time."""
    out = []
    for i in range(count):
        _wait(sim.quiet, 30, "the controller to be quiet")
        seen = sim.latest("CS")[0]
        zone = (offset + i) % ZONES + 1
        wall, t0 = time.time(), time.monotonic()
        r = http.post("/api/v1/pa/announcements", json={"zones": [zone], "message_id": 1})
        r.raise_for_status()
        if not sim.wait_calls(seen + 1, 20):
            raise TimeoutError("benchmark: the announcement did not reach the controller in 20 s")
        got = _new_start(sim, seen)
        assert got is not None
        fb, ch = got
        out.append(Sample(r.json()["id"], wall, (fb - t0) * 1000, (ch - t0) * 1000))
    return out


def driver_round(
    loop: asyncio.AbstractEventLoop, drv: PaController, sim: PaControllerSimulator, count: int, offset: int
) -> tuple[list[float], list[float]]:
    """The same calls straight from the driver (the floor without API, MQTT and edge)."""
    first, chime = [], []
    for i in range(count):
        # the loop must run meanwhile: the driver acknowledges the controller's events from it
        loop.run_until_complete(asyncio.to_thread(_wait, sim.quiet, 30, "the floor controller to be quiet"))
        seen = sim.latest("CS")[0]
        zone = (offset + i) % ZONES + 1
        t0 = time.monotonic()
        loop.run_until_complete(drv.start_call(codec.StartCall(frozenset({zone}), 160, chime=1, messages=(1,))))
        got = _new_start(sim, seen)  # the controller starts the call before it ACKs
        if got is None:
            raise RuntimeError("the floor simulator did not record the call it acknowledged")
        first.append((got[0] - t0) * 1000)
        chime.append((got[1] - t0) * 1000)
    return first, chime


def breakdown(http: httpx.Client, samples: list[Sample]) -> dict[str, list[float]]:
    """Where the time goes, from each command's stages: API → command issued → at the broker → edge accepted."""
    out: dict[str, list[float]] = {"api_to_command_issued": [], "api_to_broker_puback": [], "api_to_edge_accepted": []}
    for sample in samples:
        cmd = http.get(f"/api/v1/commands/{sample.id}").json()
        out["api_to_command_issued"].append((_ts(cmd["issued_at"]) - sample.wall) * 1000)
        for stage, key in (("sent", "api_to_broker_puback"), ("accepted", "api_to_edge_accepted")):
            found = next((st for st in cmd["stages"] if st["stage"] == stage), None)
            if found is not None:
                out[key].append((_ts(found["ts"]) - sample.wall) * 1000)
    return out


def _ts(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and write pa.json / pa.png."""
    work = Path(tempfile.mkdtemp(prefix="cityedge-bench-pa-"))
    broker = Mosquitto(MosquittoSettings(data_dir=work / "broker"))
    sim = PaControllerSimulator(
        zones=ZONES, baudrate=args.baud, pty_link=work / "pa.tty", recordings=work / "rec", store=STORE
    )
    floor_sim = PaControllerSimulator(
        zones=ZONES, baudrate=args.baud, tcp=("127.0.0.1", 0), recordings=work / "rec-floor", store=STORE
    )
    broker.start()
    sim.start()
    floor_sim.start()
    port = free_port()
    env = {
        **os.environ,
        "CITYEDGE_DATA_DIR": str(work / "cr"),
        "CITYEDGE_MQTT_URL": broker.url,
        "CITYEDGE_HTTP_PORT": str(port),
        "CITYEDGE_ADMIN_PASSWORD": PASSWORD,
        "CITYEDGE_LOG_LEVEL": "warning",
    }
    (work / "edge.toml").write_text(_edge_toml(work, broker.url, sim, args.baud))
    procs = [
        subprocess.Popen([sys.executable, "-m", "control_room", "serve"], env=env, stderr=subprocess.DEVNULL),
        subprocess.Popen(
            [sys.executable, "-m", "edge", "--config", str(work / "edge.toml")], stderr=subprocess.DEVNULL
        ),
    ]
    url = f"http://127.0.0.1:{port}"
    samples: list[Sample] = []
    parts: dict[str, list[float]] = {}
    drv_first: list[float] = []
    drv_chime: list[float] = []
    loop = asyncio.new_event_loop()
    drv = PaController(floor_sim.url, baudrate=args.baud, poll_interval_s=5.0)
    try:
        token = _wait(lambda: _login(url), 60, "the control room")
        http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        _wait(lambda: _connected(http), 60, "the PA system connected")
        loop.run_until_complete(drv.start())
        loop.run_until_complete(drv.wait_state(ConnectionState.CONNECTED, 20))
        api_round(http, sim, args.warmup, 0)
        driver_round(loop, drv, floor_sim, args.warmup, 0)
        per_round = max(1, args.announcements // args.rounds)
        for r in range(args.rounds):
            samples += api_round(http, sim, per_round, r * per_round)
            f, c = driver_round(loop, drv, floor_sim, per_round, r * per_round)
            drv_first += f
            drv_chime += c
        parts = breakdown(http, samples)
        http.close()
    finally:
        loop.run_until_complete(drv.close())
        loop.close()
        for p in procs:
            stop_process(p, 20)
        for s in (sim, floor_sim):
            s.stop()
            s.cleanup()
        broker.stop()
    api_first = [x.first_byte_ms for x in samples]
    api_chime = [x.chime_ms for x in samples]
    nbytes = _cs_bytes()
    wire_ms = wire_time_s(nbytes, args.baud) * 1000
    first, chime = summarize(api_first), summarize(api_chime)
    result = {
        "what": __doc__,
        "announcements": len(api_first),
        "baud": args.baud,
        "cs_frame_bytes": nbytes,
        "wire_time_ms": wire_ms,
        "api_to_first_byte": first,
        "api_to_chime": chime,
        "driver_to_first_byte": summarize(drv_first),
        "driver_to_chime": summarize(drv_chime),
        "breakdown": {name: summarize(values) for name, values in parts.items()},
        "first_byte_p99_vs_target_ms": [first["p99_ms"], TARGET_P99_MS],
        "chime_p50_over_wire": chime["p50_ms"] / wire_ms,
        "chime_p99_over_wire": chime["p99_ms"] / wire_ms,
        "chime_p50_over_driver": chime["p50_ms"] / summarize(drv_chime)["p50_ms"],
    }
    path = write_json("pa", result, args.out)
    plot_distributions(
        "pa",
        {
            "API → first byte": api_first,
            "API → chime start": api_chime,
            "driver → first byte (floor)": drv_first,
            "driver → chime start (floor)": drv_chime,
            f"CS frame on the wire @ {args.baud} baud": [wire_ms] * len(api_first),
        },
        "PA announce: API call → controller, beside the driver and the wire",
        results_dir=args.out,
    )
    print(
        f"API → first byte p50 {first['p50_ms']:.1f} ms p99 {first['p99_ms']:.1f} ms (target p99 ≤ {TARGET_P99_MS:g}); "
        f"API → chime p50 {chime['p50_ms']:.1f} ms p99 {chime['p99_ms']:.1f} ms; "
        f"wire time of the {nbytes}-byte CS at {args.baud} baud {wire_ms:.1f} ms; "
        f"driver → chime p50 {summarize(drv_chime)['p50_ms']:.1f} ms",
        flush=True,
    )
    print(f"wrote {path}")
    return 0


def _login(url: str) -> str | None:
    try:
        r = httpx.post(f"{url}/api/v1/auth/token", data={"username": "admin", "password": PASSWORD}, timeout=5)
    except httpx.HTTPError:
        return None
    return str(r.json()["access_token"]) if r.status_code == 200 else None


def _connected(http: httpx.Client) -> bool:
    try:
        systems = http.get("/api/v1/pa/systems").json()
    except httpx.HTTPError:
        return False
    return bool(systems) and systems[0]["connection"] == "connected"
