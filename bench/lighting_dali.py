"""The DALI half of ``cityedge bench lighting``: zone commands on 4 lines x 64 gear against the wire-time floor.

The LUBA gateway simulator runs as its own process (``python -m simulators dali``) on a pty, honouring DALI wire
time. For each zone shape the planner picks the frames, the driver sends them (lines in parallel, frames
pipelined per line), and the sample is the time from the command until the gateway has reported every frame on
the wire (the gear then are at level: no fade is configured). A read-back sweep (QUERY ACTUAL LEVEL of every
gear) checks that each gear reached the level. The floor is the wire time of the busiest line: (frames - 1) x
22 ms command slots plus the last 15.8 ms forward frame.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.report import summarize
from drivers.dali import timing
from drivers.dali.addressing import Target
from drivers.dali.bus import DaliLine
from drivers.dali.dimming import percent_to_arc
from drivers.dali.gateway import LubaGateway
from edge.lighting.dali_zone import apply_level, read_levels
from edge.lighting.planner import DaliPlan, LineKey, LineTopology, plan_dali


@contextmanager
def dali_simulator(lines: int, gear: int, group_size: int) -> Iterator[str]:
    """Run the gateway simulator as a process; yield the pty path it prints."""
    cmd = [sys.executable, "-m", "simulators", "dali", "--lines", str(lines), "--gear", str(gear)]
    cmd += ["--group-size", str(group_size)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        if not url:
            raise RuntimeError(f"DALI simulator exited with {proc.wait()}")
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def wire_floor_ms(frames: int) -> float:
    """Wire time until the last gear acts: (frames - 1) x 22 ms command slots, then one 15.8 ms forward frame."""
    return ((frames - 1) * timing.COMMAND_SLOT_S + timing.FORWARD_16_S) * 1000 if frames else 0.0


def zone_shapes(lines: int, gear: int, group_size: int) -> dict[str, list[tuple[LineKey, int]]]:
    """The zones measured: whole site, one group per line, and a mixed zone of groups plus single gear."""
    keys = [LineKey("gw", n) for n in range(lines)]
    mixed = [s for s in [*range(min(gear, 2 * group_size + 4)), 37, 45, 50] if s < gear]
    return {
        "whole site (broadcast)": [(k, s) for k in keys for s in range(gear)],
        "one group per line": [(k, s) for k in keys for s in range(min(group_size, gear))],
        "groups + singles": [(k, s) for k in keys for s in sorted(set(mixed))],
    }


async def measure(args: argparse.Namespace, url: str) -> dict[str, Any]:
    """Run every zone shape ``--repeat`` times; return samples, floors, frame counts and read-back checks."""
    keys = [LineKey("gw", n) for n in range(args.lines)]
    topology = {
        k: LineTopology.from_memberships(
            {
                s: ({s // args.group_size} if args.group_size and s // args.group_size < 16 else set())
                for s in range(args.gear)
            }
        )
        for k in keys
    }
    shapes: dict[str, tuple[list[tuple[LineKey, int]], DaliPlan]] = {
        name: (zone, plan_dali(zone, topology))
        for name, zone in zone_shapes(args.lines, args.gear, args.group_size).items()
    }
    everything = shapes["whole site (broadcast)"][0]
    naive = DaliPlan({k: tuple(Target.short(s) for s in range(args.gear)) for k in keys})
    shapes["one frame per gear (no planning)"] = (everything, naive)
    results: dict[str, Any] = {}
    async with LubaGateway(url, lines=args.lines, window=8) as gw:
        drivers = {k: DaliLine(gw, k.line) for k in keys}
        for name, (zone, plan) in shapes.items():
            repeat = args.naive_repeat if plan is naive else args.repeat
            samples = []
            for i in range(repeat):
                percent = 100 if i % 2 == 0 else 40
                await asyncio.sleep(0.05)  # start each command on an idle line, as sporadic zone commands do
                t0 = time.perf_counter()
                await apply_level(plan, drivers, percent)
                samples.append((time.perf_counter() - t0) * 1000)
            t0 = time.perf_counter()
            levels = await read_levels(drivers, zone)
            sweep_ms = (time.perf_counter() - t0) * 1000
            wrong = [f"{k.line}:{s}" for (k, s), v in levels.items() if v != percent_to_arc(percent)]
            floor_ms = wire_floor_ms(plan.busiest_line_frames)
            per_line_queries = max(sum(1 for k, _ in zone if k == key) for key in keys)
            results[name] = {
                "frames": plan.frame_count,
                "busiest_line_frames": plan.busiest_line_frames,
                "gear": len(zone),
                "samples_ms": samples,
                "summary": summarize(samples),
                "floor_ms": floor_ms,
                "p50_over_floor": summarize(samples)["p50_ms"] / floor_ms,
                "p99_over_floor": summarize(samples)["p99_ms"] / floor_ms,
                "readback_ms": sweep_ms,
                "readback_floor_ms": per_line_queries * timing.QUERY_SLOT_S * 1000,
                "gear_not_at_level": wrong,
            }
    return results
