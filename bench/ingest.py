"""``cityedge bench ingest``: CPU per camera for H.264 1080p25 through the camera worker, against a bare
``ffmpeg -f null`` decode of the same stream (the floor), and how many cameras this machine sustains at the
source frame rate.

The stream comes from the RTSP camera simulator in its own process, serving a prerendered loop (libx264, High
profile, ~4 Mbit/s with sensor noise, GOP 2 s), so serving costs almost no CPU and every reader gets the same
bytes. CPU is read from /proc (user + system, all threads) over identical windows, alternating worker and floor
rounds so that the shared machine's load hits both alike. A second floor, ``ffmpeg -pix_fmt bgr24 -f null``,
adds the conversion to BGR that every OpenCV consumer needs, to show where the worker's extra cost goes.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from bench.report import RESULTS, plot_distributions, write_json
from edge.video.camera_config import CameraConfig
from edge.video.worker import CameraWorker

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process (all its threads) so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def sample_cpu(pid: int, seconds: float, interval: float = 1.0) -> list[float]:
    """CPU use of ``pid`` as % of one core, one sample per ``interval`` for ``seconds``."""
    samples = []
    last_cpu, last_t = cpu_seconds(pid), time.monotonic()
    end = last_t + seconds
    while time.monotonic() < end:
        time.sleep(interval)
        cpu, now = cpu_seconds(pid), time.monotonic()
        samples.append(100.0 * (cpu - last_cpu) / (now - last_t))
        last_cpu, last_t = cpu, now
    return samples


class Simulator:
    """The RTSP camera simulator in its own process, serving a prerendered 1080p25 loop."""

    def __init__(self, args: argparse.Namespace) -> None:
        code = (
            "import argparse, sys; from simulators.cameras import rtsp_server as m; "
            "p = argparse.ArgumentParser(); m.add_arguments(p); sys.exit(m.run(p.parse_args(sys.argv[1:])))"
        )
        cmd = [
            sys.executable, "-c", code, "--port", "0", "--width", str(args.width), "--height", str(args.height),
            "--fps", str(args.fps), "--prerender", str(args.loop_seconds), "--preset", "veryfast",
            "--bitrate", str(args.bitrate), "--noise", "4",
        ]  # fmt: skip
        env = {k: v for k, v in os.environ.items() if k != "CAMERA_PASSWORD"}
        self.proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
        self.url = ""
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            match = re.search(r"listening on (rtsp://\S+)", line)
            if match:
                self.url = match.group(1)
                break
        if not self.url:
            raise RuntimeError("the RTSP simulator did not start")
        threading.Thread(target=self.proc.stderr.read, daemon=True).start()

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def measure_ffmpeg(url: str, warmup: float, seconds: float, bgr: bool) -> list[float]:
    """CPU samples of ``ffmpeg -f null`` decoding ``url`` (optionally converting to BGR like OpenCV does)."""
    cmd = ["ffmpeg", "-hide_banner", "-loglevel", "error", "-rtsp_transport", "tcp", "-i", url]
    cmd += (["-pix_fmt", "bgr24"] if bgr else []) + ["-f", "null", "-"]
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(warmup)
        return sample_cpu(proc.pid, seconds)
    finally:
        proc.terminate()
        proc.wait(10)


def frame_mark(worker: CameraWorker) -> tuple[int, float]:
    """``(frames, monotonic time of the last of them)`` from the worker's latest report (a consistent pair, so
    rates are exact to a frame rather than to the half-second report interval)."""
    report = worker.tracker.report
    if report is None or report.last_frame_mono is None:
        return 0, time.monotonic()
    return report.frames, report.last_frame_mono


def frame_rate(start: tuple[int, float], end: tuple[int, float]) -> float:
    """Frames per second between two marks."""
    return (end[0] - start[0]) / (end[1] - start[1]) if end[1] > start[1] else 0.0


def start_workers(url: str, count: int) -> list[CameraWorker]:
    workers = [
        CameraWorker(CameraConfig(id=f"bench-{i}", url=url, stall_timeout_s=5.0, read_timeout_s=20.0))
        for i in range(count)
    ]
    for w in workers:
        w.start()
    return workers


def wait_streaming(workers: list[CameraWorker], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while any(w.health().frames < 10 for w in workers):
        if time.monotonic() > deadline:
            raise RuntimeError(f"workers did not start streaming: {[w.health() for w in workers]}")
        time.sleep(0.2)


def measure_worker(url: str, warmup: float, seconds: float) -> tuple[list[float], float]:
    """CPU samples of one camera worker process, and the frame rate it delivered over the window."""
    (worker,) = start_workers(url, 1)
    try:
        wait_streaming([worker])
        time.sleep(warmup)
        assert worker.pid is not None
        mark = frame_mark(worker)
        samples = sample_cpu(worker.pid, seconds)
        return samples, frame_rate(mark, frame_mark(worker))
    finally:
        worker.stop()


def capacity(
    url: str, sim_pid: int, fps: float, max_cameras: int, warmup: float, seconds: float, log: Callable[[str], None]
) -> list[dict[str, object]]:
    """Add cameras until one of them delivers less than 97 % of the source rate; return the steps."""
    steps = []
    for count in range(1, max_cameras + 1):
        workers = start_workers(url, count)
        try:
            wait_streaming(workers)
            time.sleep(warmup)
            marks = [frame_mark(w) for w in workers]
            cpu0 = [cpu_seconds(w.pid or 0) for w in workers]
            sim0 = cpu_seconds(sim_pid)
            t0 = time.monotonic()
            time.sleep(seconds)
            elapsed = time.monotonic() - t0
            rates = [frame_rate(m, frame_mark(w)) for w, m in zip(workers, marks, strict=True)]
            cpu = [100 * (cpu_seconds(w.pid or 0) - c) / elapsed for w, c in zip(workers, cpu0, strict=True)]
            stalled = any(w.conditions for w in workers)
            sim_cpu = 100 * (cpu_seconds(sim_pid) - sim0) / elapsed
        finally:
            for w in workers:
                w.stop()
        ok = min(rates) >= 0.97 * fps and not stalled
        steps.append({"cameras": count, "min_fps": round(min(rates), 2), "workers_cpu_pct": round(sum(cpu), 1),
                      "simulator_cpu_pct": round(sim_cpu, 1), "sustained": ok,
                      "loadavg_1m": os.getloadavg()[0]})  # fmt: skip
        log(
            f"  {count} camera(s): slowest {min(rates):.2f} fps, workers {sum(cpu):.0f} % CPU, simulator "
            f"{sim_cpu:.0f} %, load {os.getloadavg()[0]:.1f} -> {'ok' if ok else 'DROPS'}"
        )
        if not ok:
            break
    return steps


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``cityedge bench ingest``."""
    parser.add_argument("--width", type=int, default=1920)
    parser.add_argument("--height", type=int, default=1080)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--bitrate", type=int, default=4_000_000, help="H.264 bits per second")
    parser.add_argument("--loop-seconds", type=float, default=4.0, help="length of the prerendered loop")
    parser.add_argument("--rounds", type=int, default=3, help="alternating worker/floor rounds")
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring window per round")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds ignored after each start")
    parser.add_argument("--max-cameras", type=int, default=12, help="capacity search limit (0: skip it)")
    parser.add_argument("--results", type=Path, default=RESULTS, help="where ingest.json/.png go")


def run(args: argparse.Namespace) -> int:
    """Run the benchmark and write bench/results/ingest.json and ingest.png."""

    def log(text: str) -> None:
        print(text, flush=True)

    log(f"prerendering {args.width}x{args.height}@{args.fps:g} H.264 and starting the RTSP simulator ...")
    sim = Simulator(args)
    series: dict[str, list[float]] = {"worker": [], "ffmpeg -f null": [], "ffmpeg -pix_fmt bgr24 -f null": []}
    worker_fps: list[float] = []
    rounds = []
    try:
        for r in range(args.rounds):
            floor = measure_ffmpeg(sim.url, args.warmup, args.seconds, bgr=False)
            work, fps = measure_worker(sim.url, args.warmup, args.seconds)
            bgr = measure_ffmpeg(sim.url, args.warmup, args.seconds, bgr=True)
            series["ffmpeg -f null"] += floor
            series["worker"] += work
            series["ffmpeg -pix_fmt bgr24 -f null"] += bgr
            worker_fps.append(fps)
            row = {
                "round": r + 1,
                "worker_cpu_pct": statistics.mean(work),
                "ffmpeg_null_cpu_pct": statistics.mean(floor),
                "ffmpeg_bgr24_cpu_pct": statistics.mean(bgr),
                "worker_fps": round(fps, 2),
                "loadavg_1m": os.getloadavg()[0],
            }
            row["ratio"] = row["worker_cpu_pct"] / row["ffmpeg_null_cpu_pct"]
            rounds.append(row)
            log(
                f"round {r + 1}: worker {row['worker_cpu_pct']:.1f} % ({fps:.2f} fps), ffmpeg -f null "
                f"{row['ffmpeg_null_cpu_pct']:.1f} %, +bgr24 {row['ffmpeg_bgr24_cpu_pct']:.1f} % -> "
                f"ratio {row['ratio']:.2f}"
            )
        steps = (
            capacity(sim.url, sim.proc.pid, args.fps, args.max_cameras, args.warmup, args.seconds, log)
            if args.max_cameras
            else []
        )
    finally:
        sim.stop()
    ratio = statistics.median(r["ratio"] for r in rounds)
    sustained = max((int(str(s["cameras"])) for s in steps if s["sustained"]), default=0)
    cpu = {name: statistics.mean(samples) for name, samples in series.items()}
    result = {
        "stream": {
            "width": args.width,
            "height": args.height,
            "fps": args.fps,
            "bitrate": args.bitrate,
            "codec": "h264 High (libx264 veryfast), GOP 2 s",
        },
        "cpu_pct_of_one_core": {
            "worker": cpu["worker"],
            "ffmpeg_null": cpu["ffmpeg -f null"],
            "ffmpeg_bgr24": cpu["ffmpeg -pix_fmt bgr24 -f null"],
        },
        "ratio_worker_to_ffmpeg_null_median": ratio,
        "ratio_worker_to_ffmpeg_bgr24": cpu["worker"] / cpu["ffmpeg -pix_fmt bgr24 -f null"],
        "target_ratio": 1.15,
        "worker_fps": worker_fps,
        "rounds": rounds,
        "capacity": {"sustained_cameras": sustained, "steps": steps, "criterion": "every camera >= 97 % of source fps"},
    }
    path = write_json("ingest", result, args.results)
    plot_distributions(
        "ingest",
        series,
        f"CPU per {args.width}x{args.height}@{args.fps:g} H.264 camera (1 s samples)",
        xlabel="CPU, % of one core",
        results_dir=args.results,
    )
    log(
        f"CPU per camera: worker {cpu['worker']:.1f} %, ffmpeg -f null {cpu['ffmpeg -f null']:.1f} % "
        f"(+bgr24 {cpu['ffmpeg -pix_fmt bgr24 -f null']:.1f} %) -> ratio {ratio:.2f} (target <= 1.15)"
    )
    log(f"cameras sustained at {args.fps:g} fps: {sustained}; results in {path}")
    return 0
