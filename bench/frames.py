"""``cityedge bench frames``: frame handoff from a camera worker to a consumer on the same host.

Three ways of moving the same frames, side by side in one run, at 720p and 1080p, with 1..8 cameras (one
producer and one consumer process per camera, as in the edge):

- ``ring``: cityedge's frame bus — one copy into the shared-memory ring, a ZeroMQ notice, a zero-copy view;
- ``imagezmq``: imagezmq's ImageSender/ImageHub (REQ/REP over TCP loopback, its default), the frame in the message;
- ``memcpy``: one ``np.copyto`` of the frame in each producer process: the floor for any handoff that copies.

Latency is from just before the producer hands the frame over to the moment the consumer holds it (for the
ring: a seqlock-checked view), on CLOCK_MONOTONIC shared by all processes, at the camera frame rate. Throughput
is frames per second per camera with producers running flat out (the ring's consumers skip frames they were
too slow for; imagezmq's round trip paces its sender).
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import queue
import shutil
import tempfile
import time
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import plot_distributions, summarize, write_json

RESOLUTIONS = {"720p": (1280, 720), "1080p": (1920, 1080)}
WARMUP_S = 0.5


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--resolutions", default="720p,1080p", help="comma-separated: 720p, 1080p")
    parser.add_argument("--cameras", default="1,2,4,8", help="comma-separated camera counts")
    parser.add_argument("--fps", type=float, default=25.0, help="camera frame rate for the latency runs")
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each latency run")
    parser.add_argument("--throughput-seconds", type=float, default=2.0, help="length of each flat-out run")
    parser.add_argument("--methods", default="ring,imagezmq,memcpy", help="comma-separated methods")
    parser.add_argument("--slots", type=int, default=None, help="ring slots per camera (default: BusConfig's)")
    parser.add_argument("--results", type=Path, default=None, help="results folder (default bench/results)")


def _frames(width: int, height: int) -> list[np.ndarray[Any, Any]]:
    from simulators.scenes import make_scene

    scene = make_scene("bridge", width, height)
    return [scene(t) for t in (1.0, 1.04, 1.08, 1.12)]


def _pace(fps: float, i: int, start: float) -> None:
    if fps > 0:
        delay = start + i / fps - time.monotonic()
        if delay > 0:
            time.sleep(delay)


# ---- ring -------------------------------------------------------------------------------------------------


def _ring_producer(
    camera: str, config_json: str, size: tuple[int, int], fps: float, seconds: float, go: Event, out: mp.Queue
) -> None:  # type: ignore[type-arg]
    from edge.video.bus_config import BusConfig
    from edge.video.ring import FrameRing

    frames = _frames(*size)
    with FrameRing(camera, BusConfig.model_validate_json(config_json)) as ring:
        ring.put(frames[0], time.monotonic())  # create the segment before timing starts
        out.put(("ready", camera))
        go.wait()
        start = time.monotonic()
        i = 0
        while time.monotonic() - start < seconds:
            _pace(fps, i, start)
            ring.put(frames[i % len(frames)], time.monotonic())
            i += 1
        out.put(("produced", camera, i / (time.monotonic() - start)))
        stop_at = time.monotonic() + 0.5
        while time.monotonic() < stop_at:  # let consumers see the last frame before the segment goes
            time.sleep(0.05)


def _ring_consumer(camera: str, config_json: str, stop: Event, out: mp.Queue) -> None:  # type: ignore[type-arg]
    from edge.video.bus_config import BusConfig
    from edge.video.consumer import FrameConsumer

    samples: list[float] = []
    copies: list[float] = []
    first: float | None = None
    with FrameConsumer(camera, BusConfig.model_validate_json(config_json)) as consumer:
        out.put(("ready", camera))
        while not stop.is_set():
            view = consumer.next_frame(timeout=0.1)
            if view is None:
                continue
            now = time.monotonic()
            first = first or now
            if now - first > WARMUP_S and view.intact():
                samples.append((now - view.ts) * 1000)
                copies.append((view.written_ns / 1e9 - view.ts) * 1000)
            del view
        out.put(("consumed", camera, samples, consumer.stats.delivered, consumer.stats.skipped, copies))


def run_ring(
    size: tuple[int, int], cameras: int, fps: float, seconds: float, slots: int | None = None
) -> dict[str, Any]:
    """Latency samples and rates of the frame ring."""
    from edge.video.bus_config import BusConfig

    ctx = mp.get_context("spawn")
    runtime = Path(tempfile.mkdtemp(prefix="ce-bench-"))
    config = BusConfig(runtime_dir=runtime, prefix=f"bench{os.getpid()}", **({"slots": slots} if slots else {}))
    names = [f"cam{i}" for i in range(cameras)]
    mail = _Mailbox(ctx)
    out = mail.queue
    go, stop = ctx.Event(), ctx.Event()
    producers = [
        ctx.Process(target=_ring_producer, args=(n, config.model_dump_json(), size, fps, seconds, go, out))
        for n in names
    ]
    consumers = [ctx.Process(target=_ring_consumer, args=(n, config.model_dump_json(), stop, out)) for n in names]
    mail.workers = consumers + producers
    try:
        for p in consumers + producers:
            p.start()
        mail.expect("ready", 2 * cameras)
        go.set()
        produced = mail.expect("produced", cameras, timeout=seconds + 120)
        stop.set()
        consumed = mail.expect("consumed", cameras)
        for p in producers + consumers:
            p.join(30)
    finally:
        shutil.rmtree(runtime, ignore_errors=True)
    samples = [s for msg in consumed for s in msg[2]]
    return {
        "samples": samples,
        "produced_fps": [m[2] for m in produced],
        "delivered": sum(m[3] for m in consumed),
        "skipped": sum(m[4] for m in consumed),
        "copy_samples": [s for msg in consumed for s in msg[5]],
    }


# ---- imagezmq ---------------------------------------------------------------------------------------------


def _izmq_sender(port: int, size: tuple[int, int], fps: float, seconds: float, go: Event, out: mp.Queue) -> None:  # type: ignore[type-arg]
    import imagezmq

    frames = _frames(*size)
    sender = imagezmq.ImageSender(connect_to=f"tcp://127.0.0.1:{port}")
    sender.send_image(repr(time.monotonic()), frames[0])  # connect before timing starts
    out.put(("ready", port))
    go.wait()
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < seconds:
        _pace(fps, i, start)
        sender.send_image(repr(time.monotonic()), frames[i % len(frames)])
        i += 1
    out.put(("produced", port, i / (time.monotonic() - start)))
    sender.send_image("stop", frames[0])
    sender.close()


def _izmq_hub(port: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    import imagezmq

    hub = imagezmq.ImageHub(open_port=f"tcp://127.0.0.1:{port}")
    samples: list[float] = []
    first: float | None = None
    delivered = 0
    while True:
        message, _image = hub.recv_image()
        now = time.monotonic()
        hub.send_reply(b"OK")
        if message == "stop":
            break
        delivered += 1
        first = first or now
        if now - first > WARMUP_S:
            samples.append((now - float(message)) * 1000)
    hub.close()
    out.put(("consumed", port, samples, delivered, 0))


def run_imagezmq(size: tuple[int, int], cameras: int, fps: float, seconds: float) -> dict[str, Any]:
    """Latency samples and rates of imagezmq on the same frames."""
    from edge.stack.ports import free_port

    ctx = mp.get_context("spawn")
    ports = [free_port() for _ in range(cameras)]
    mail = _Mailbox(ctx)
    out = mail.queue
    go = ctx.Event()
    hubs = [ctx.Process(target=_izmq_hub, args=(port, out)) for port in ports]
    senders = [ctx.Process(target=_izmq_sender, args=(port, size, fps, seconds, go, out)) for port in ports]
    mail.workers = hubs + senders
    for p in hubs + senders:
        p.start()
    mail.expect("ready", cameras)
    go.set()
    produced = mail.expect("produced", cameras, timeout=seconds + 120)
    consumed = mail.expect("consumed", cameras)
    for p in senders + hubs:
        p.join(30)
    return {
        "samples": [s for msg in consumed for s in msg[2]],
        "produced_fps": [m[2] for m in produced],
        "delivered": sum(m[3] for m in consumed),
        "skipped": 0,
    }


# ---- memcpy floor -----------------------------------------------------------------------------------------


def _memcpy_worker(size: tuple[int, int], fps: float, seconds: float, go: Event, out: mp.Queue) -> None:  # type: ignore[type-arg]
    frames = _frames(*size)
    target = np.empty_like(frames[0])
    np.copyto(target, frames[0])
    out.put(("ready", os.getpid()))
    go.wait()
    samples: list[float] = []
    start = time.monotonic()
    i = 0
    while time.monotonic() - start < seconds:
        _pace(fps, i, start)
        t0 = time.monotonic()
        np.copyto(target, frames[i % len(frames)])
        t1 = time.monotonic()
        if t1 - start > WARMUP_S:
            samples.append((t1 - t0) * 1000)
        i += 1
    out.put(("consumed", os.getpid(), samples, i, i / (time.monotonic() - start)))


def run_memcpy(size: tuple[int, int], cameras: int, fps: float, seconds: float) -> dict[str, Any]:
    """One copy of each frame in each of ``cameras`` processes at once: the floor."""
    ctx = mp.get_context("spawn")
    go = ctx.Event()
    mail = _Mailbox(ctx)
    workers = [ctx.Process(target=_memcpy_worker, args=(size, fps, seconds, go, mail.queue)) for _ in range(cameras)]
    mail.workers = workers
    for p in workers:
        p.start()
    mail.expect("ready", cameras)
    go.set()
    consumed = mail.expect("consumed", cameras, timeout=seconds + 120)
    for p in workers:
        p.join(30)
    return {
        "samples": [s for msg in consumed for s in msg[2]],
        "produced_fps": [m[4] for m in consumed],
        "delivered": sum(m[3] for m in consumed),
        "skipped": 0,
    }


class _Mailbox:
    """Messages from worker processes, sorted by kind (workers finish in any order)."""

    def __init__(self, ctx: Any, workers: list[Any] | None = None) -> None:
        self.queue: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
        self.workers: list[Any] = workers or []
        self._held: dict[str, list[tuple[Any, ...]]] = {}

    def expect(self, kind: str, count: int, timeout: float = 120.0) -> list[tuple[Any, ...]]:
        """Wait for ``count`` messages of ``kind``; fail fast if a worker dies."""
        deadline = time.monotonic() + timeout
        held = self._held.setdefault(kind, [])
        while len(held) < count:
            try:
                message = self.queue.get(timeout=0.5)
            except queue.Empty:
                if any(p.exitcode not in (None, 0) for p in self.workers) or time.monotonic() > deadline:
                    for p in self.workers:
                        p.kill()
                    codes = [p.exitcode for p in self.workers]
                    raise RuntimeError(f"benchmark workers failed (exit codes {codes})") from None
                continue
            self._held.setdefault(message[0], []).append(message)
        got, self._held[kind] = held[:count], held[count:]
        return got


RUNNERS = {"ring": run_ring, "imagezmq": run_imagezmq, "memcpy": run_memcpy}


def run(args: argparse.Namespace) -> int:
    resolutions = [r.strip() for r in args.resolutions.split(",") if r.strip()]
    counts = [int(c) for c in args.cameras.split(",") if c.strip()]
    methods = [m.strip() for m in args.methods.split(",") if m.strip()]
    rows: list[dict[str, Any]] = []
    series: dict[str, dict[str, list[float]]] = {r: {} for r in resolutions}
    for res in resolutions:
        size = RESOLUTIONS[res]
        for n in counts:
            row: dict[str, Any] = {"resolution": res, "cameras": n}
            for method in methods:
                extra = {"slots": args.slots} if method == "ring" and args.slots else {}
                paced = RUNNERS[method](size, n, args.fps, args.seconds, **extra)
                flat = RUNNERS[method](size, n, 0.0, args.throughput_seconds, **extra)
                stats = summarize(paced["samples"])
                row[method] = {
                    "latency": stats,
                    "throughput_fps_per_camera": round(float(np.mean(flat["produced_fps"])), 1),
                    "delivered_fps_per_camera": round(flat["delivered"] / n / args.throughput_seconds, 1),
                    "skipped_at_camera_rate": paced["skipped"],
                }
                if "copy_samples" in paced:
                    row[method]["copy_into_ring"] = summarize(paced["copy_samples"])
                if n in (counts[0], counts[-1]):
                    series[res][f"{method} x{n}"] = paced["samples"]
                print(
                    f"{res} x{n} {method:8s} p50 {stats.get('p50_ms', 0):7.3f} ms  p99 {stats.get('p99_ms', 0):7.3f} ms"
                    f"  flat-out {row[method]['throughput_fps_per_camera']:7.1f} fps/camera",
                    flush=True,
                )
            if "ring" in row and "memcpy" in row:
                row["ring_p99_over_memcpy_p99"] = _ratio(row["ring"], row["memcpy"])
            if "ring" in row and "imagezmq" in row:
                row["imagezmq_p99_over_ring_p99"] = _ratio(row["imagezmq"], row["ring"])
            rows.append(row)
    kwargs = {"results_dir": args.results} if args.results else {}
    target = [r for r in rows if r["resolution"] == "1080p" and "ring" in r]
    doc = {
        "fps": args.fps,
        "seconds": args.seconds,
        "rows": rows,
        "target": "ring p99 <= 1 ms at 1080p",
        "target_met": all(r["ring"]["latency"].get("p99_ms", 1e9) <= 1.0 for r in target) if target else None,
    }
    path = write_json("frames", doc, **kwargs)
    for res in resolutions:
        name = "frames" if res == "1080p" or len(resolutions) == 1 else f"frames-{res}"
        plot_distributions(name, series[res], f"frame handoff latency, {res}, {args.fps:g} fps", **kwargs)
    print(f"wrote {path}")
    return 0


def _ratio(a: dict[str, Any], b: dict[str, Any]) -> float | None:
    pa, pb = a["latency"].get("p99_ms"), b["latency"].get("p99_ms")
    return round(pa / pb, 2) if pa and pb else None
