"""``python -m bench NAME [options]`` (also ``cityedge bench NAME``): run one benchmark, or ``all``.

Each benchmark module exposes ``add_arguments(parser)`` and ``run(args) -> int``; results go to bench/results/.
"""

from __future__ import annotations

import argparse
import importlib
import sys

BENCHMARKS = {
    "alerts": ("bench.alerts", "device event -> control-room store -> WebSocket latency vs bare mosquitto"),
    "lighting": ("bench.lighting", "zone command -> all luminaires at level (DALI lines, street-light nodes) vs floor"),
    "ingest": ("bench.ingest", "CPU per H.264 1080p25 camera through the worker vs ffmpeg -f null; capacity"),
    "frames": ("bench.frames", "frame handoff latency/throughput: shared-memory ring vs imagezmq vs memcpy"),
    "pa": ("bench.pa", "announce API call -> first command byte and chime start at the PA controller vs the wire"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cityedge bench", description="Run a benchmark.")
    sub = parser.add_subparsers(dest="name", required=True)
    modules = {}
    for name, (module_name, help_text) in BENCHMARKS.items():
        module = importlib.import_module(module_name)
        modules[name] = module
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    sub.add_parser("all", help="run every benchmark with its defaults")
    args = parser.parse_args(argv)
    if args.name == "all":
        rc = 0
        for name, module in modules.items():
            print(f"== {name}", flush=True)
            p = argparse.ArgumentParser()
            module.add_arguments(p)
            rc |= int(module.run(p.parse_args([])))
        return rc
    return int(modules[args.name].run(args))


if __name__ == "__main__":
    sys.exit(main())
