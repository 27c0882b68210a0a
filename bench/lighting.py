"""``cityedge bench lighting``: zone commands against their floors, for MQTT street lights and DALI lines.

MQTT (:mod:`bench.lighting_mqtt`): 10,000 simulated street-light nodes set to a new level by the edge's driver
(one group message, and one message per node) until every node has acknowledged; beside the bare mosquitto
floor (10,000 bare subscribers: fan-out, and fan-out plus a bare answer) in the same run. DALI
(:mod:`bench.lighting_dali`): 4 lines x 64 gear behind the LUBA simulator; planned zone commands against the
wire-time floor (frames x frame time). Results: bench/results/NAME.json and NAME.png.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
from pathlib import Path
from typing import Any

from bench.lighting_dali import dali_simulator
from bench.lighting_dali import measure as measure_dali
from bench.lighting_mqtt import measure_floor, measure_real
from bench.report import RESULTS, write_json
from edge.stack.mosquitto import Mosquitto, MosquittoSettings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``cityedge bench lighting``."""
    parser.add_argument("--nodes", type=int, default=10_000, help="MQTT street-light nodes (default 10000)")
    parser.add_argument("--rounds", type=int, default=10, help="group-message commands (default 10)")
    parser.add_argument("--per-node-rounds", type=int, default=3, help="one-message-per-node commands (default 3)")
    parser.add_argument(
        "--shards", type=int, default=1, help="processes simulating the nodes (and the floor's subscribers); default 1"
    )
    parser.add_argument("--lines", type=int, default=4, help="DALI lines on the gateway (default 4)")
    parser.add_argument("--gear", type=int, default=64, help="gear per DALI line (default 64)")
    parser.add_argument("--group-size", type=int, default=8, help="gear per DALI group (default 8)")
    parser.add_argument("--repeat", type=int, default=20, help="commands per planned DALI zone shape (default 20)")
    parser.add_argument("--naive-repeat", type=int, default=3, help="commands for the one-frame-per-gear case")
    parser.add_argument("--skip-mqtt", action="store_true", help="only the DALI part")
    parser.add_argument("--skip-dali", action="store_true", help="only the MQTT part")
    parser.add_argument("--out", default="lighting", help="result name under bench/results/ (default lighting)")


def measure_mqtt(args: argparse.Namespace) -> dict[str, Any]:
    """Floor first, then the real path, on one fresh broker."""
    with tempfile.TemporaryDirectory(prefix="bench-lighting-") as tmp:
        broker = Mosquitto(MosquittoSettings(data_dir=Path(tmp), persistence=False))
        broker.start()
        try:
            floor = measure_floor(broker, args.nodes, args.rounds, args.per_node_rounds, args.shards)
            real = measure_real(broker, args.nodes, args.rounds, args.per_node_rounds, args.shards)
        finally:
            broker.stop()
    for kind in ("group", "per_node"):
        r, f = real[kind], floor[f"{kind}_round_trip"]
        real[kind]["all_acked_p50_over_floor"] = r["all_acked"]["p50_ms"] / f["all_acked"]["p50_ms"]
        real[kind]["per_node_p99_over_floor"] = r["per_node"]["p99_ms"] / f["per_node"]["p99_ms"]
    return {"nodes": args.nodes, "shards": args.shards, "floor": floor, "real": real}


def compact(tree: Any) -> Any:
    """The results without raw per-node samples (130,000 of them), which become 101 percentiles."""
    import numpy as np

    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            if key == "per_node_samples_ms":
                out["per_node_percentiles_ms"] = [round(float(v), 2) for v in np.percentile(value, range(101))]
            else:
                out[key] = compact(value)
        return out
    return tree


def print_mqtt(m: dict[str, Any]) -> None:
    """One line per case."""
    real, floor = m["real"], m["floor"]
    print(
        f"MQTT fleet of {m['nodes']} in {m['shards']} process(es): connected in {real['fleet_connect_s']} s, "
        f"all online at the edge driver in {real['fleet_online_s']:.1f} s, "
        f"simulator RSS {real['fleet_rss_mib']:.0f} MiB"
    )
    for kind in ("group", "per_node"):
        r, rt, fo = real[kind], floor[f"{kind}_round_trip"], floor[f"{kind}_fanout"]
        print(
            f"MQTT {kind:8s} ({r['messages']:5d} msgs): all acked p50 {r['all_acked']['p50_ms']:7.0f} ms "
            f"max {r['all_acked']['max_ms']:7.0f} ms | per node p50 {r['per_node']['p50_ms']:6.0f} "
            f"p99 {r['per_node']['p99_ms']:6.0f} ms | floor round trip: all p50 {rt['all_acked']['p50_ms']:6.0f} "
            f"per-node p99 {rt['per_node']['p99_ms']:6.0f} ms; fan-out all p50 {fo['all_acked']['p50_ms']:6.0f} ms "
            f"| ratios all {r['all_acked_p50_over_floor']:.2f} p99 {r['per_node_p99_over_floor']:.2f} "
            f"| missing {r['missing']}"
        )


def print_dali(dali: dict[str, Any]) -> None:
    """One line per zone shape."""
    for name, r in dali.items():
        s = r["summary"]
        print(
            f"DALI {name:34s} frames {r['frames']:4d} (busiest line {r['busiest_line_frames']:3d})  "
            f"p50 {s['p50_ms']:8.1f} ms  p99 {s['p99_ms']:8.1f} ms  floor {r['floor_ms']:7.1f} ms  "
            f"p50/floor {r['p50_over_floor']:.2f}  read-back {r['readback_ms']:.0f} ms "
            f"(floor {r['readback_floor_ms']:.0f})  not at level: {len(r['gear_not_at_level'])}"
        )


def plot(name: str, mqtt: dict[str, Any] | None, dali: dict[str, Any] | None) -> None:
    """Write bench/results/NAME.png: per-node acknowledgement CDFs beside the floors; DALI commands vs wire time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    panels = [p for p in (mqtt, dali) if p]
    fig, axes = plt.subplots(1, len(panels), figsize=(8 * len(panels), 5.5), squeeze=False)
    col = 0

    def cdf(ax: Any, samples: list[float], label: str, **kw: Any) -> Any:
        a = np.sort(np.maximum(np.asarray(samples, dtype=float), 1e-3))
        return ax.plot(a, np.arange(1, a.size + 1) / a.size, label=f"{label} (p99 {np.percentile(a, 99):.3g} ms)", **kw)

    if mqtt:
        ax = axes[0][col]
        col += 1
        real, floor = mqtt["real"], mqtt["floor"]
        for kind, style in (("group", "-"), ("per_node", "--")):
            cdf(ax, real[kind]["per_node_samples_ms"], f"edge driver + simulator, {kind}", linestyle=style)
            cdf(
                ax,
                floor[f"{kind}_round_trip"]["per_node_samples_ms"],
                f"bare floor round trip, {kind}",
                linestyle=style,
            )
            cdf(ax, floor[f"{kind}_fanout"]["per_node_samples_ms"], f"bare fan-out only, {kind}", linestyle=style)
        ax.set_xscale("log")
        ax.set_xlabel("command -> node acknowledged (ms)")
        ax.set_ylabel(f"fraction of {mqtt['nodes']} nodes x rounds <= x")
        ax.set_title(f"MQTT: {mqtt['nodes']} street-light nodes to a new level")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right", fontsize=7)
    if dali:
        ax = axes[0][col]
        for label, r in dali.items():
            (line,) = cdf(ax, r["samples_ms"], f"DALI {label}")
            ax.axvline(r["floor_ms"], color=line.get_color(), linestyle="--", alpha=0.6)
        ax.set_xscale("log")
        ax.set_xlabel("zone command -> all gear at level (ms); dashed: wire-time floor")
        ax.set_ylabel("fraction of commands <= x")
        ax.set_title("DALI: 4 lines x 64 gear, zone commands vs wire time")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(loc="lower right", fontsize=7)
    RESULTS.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(RESULTS / f"{name}.png", dpi=110)
    plt.close(fig)


def run(args: argparse.Namespace) -> int:
    """Run both halves and write bench/results/NAME.json and NAME.png."""
    mqtt = None if args.skip_mqtt else measure_mqtt(args)
    dali = None
    if not args.skip_dali:
        with dali_simulator(args.lines, args.gear, args.group_size) as url:
            dali = asyncio.run(measure_dali(args, url))
    result: dict[str, Any] = {}
    if mqtt:
        print_mqtt(mqtt)
        result["mqtt"] = {
            "note": "per_node_percentiles_ms: 0th..100th percentile of every node acknowledgement, all rounds",
            "setup": (
                f"{args.nodes} simulated nodes ({args.shards} process(es)) on a private mosquitto; "
                "edge driver in this process"
            ),
            "floor": "bench.mqtt_floor: bare paho subscribers answering at once (round trip), and their receive times",
            **compact(mqtt),
        }
    if dali:
        print_dali(dali)
        result["dali"] = {
            "setup": f"{args.lines} lines x {args.gear} gear, groups of {args.group_size}, LUBA simulator on a pty",
            "floor": "busiest line: (frames - 1) x 22 ms + 15.8 ms (the last forward frame) at 1200 bit/s",
            "results": dali,
        }
    write_json(args.out, result)
    plot(args.out, mqtt, dali)
    bad = sum(len(r["gear_not_at_level"]) for r in (dali or {}).values())
    bad += sum(mqtt["real"][k]["missing"] for k in ("group", "per_node")) if mqtt else 0
    return 1 if bad else 0
