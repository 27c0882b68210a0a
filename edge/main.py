"""``cityedge edge --config FILE``: run one edge node until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from pathlib import Path

from edge.config import EdgeConfig, load_config
from edge.contract.logformat import setup_logging
from edge.errors import ConfigError, EdgeError
from edge.runtime import EdgeRuntime, ServiceFactory
from edge.services.base import EdgeService, ServiceContext

log = logging.getLogger("edge")


def build_services(config: EdgeConfig) -> ServiceFactory:
    """A factory creating the services the config enables, for a runtime."""

    def factory(ctx: ServiceContext) -> list[EdgeService]:
        services: list[EdgeService] = []
        if config.lighting and config.lighting.zones:
            from edge.lighting.service import LightingService

            sl = config.lighting.streetlights
            password = sl.password.resolve().get_secret_value() if sl and sl.password else None
            services.append(LightingService(ctx, config.lighting, password))
        if config.cctv is not None:
            from edge.cctv.service import CctvService

            sinks = None
            if config.video:  # the cameras it analyses hand their frames to their rings
                from edge.video.ring import RingSinks

                sinks = RingSinks({c.id for c in config.video.cameras}, config.video.bus)
            services.append(CctvService(ctx, config.cctv, sink_for=sinks))
        if config.pa:
            from edge.pa.service import PaService

            services.append(PaService(ctx, config.pa))
        if config.loadgen:
            from edge.services.loadgen import LoadgenService

            services.append(LoadgenService(ctx, config.loadgen))
        if config.video:
            from edge.video.service import VideoService

            services.append(VideoService(ctx, config.video))
        return services

    return factory


async def run_edge(config: EdgeConfig) -> None:
    """Run the node until a signal arrives."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    password = config.mqtt.password.resolve() if config.mqtt.password else None
    runtime = EdgeRuntime(config, build_services(config), mqtt_password=password)
    await runtime.run(stop)


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cityedge edge``."""
    parser = argparse.ArgumentParser(prog="cityedge edge", description="Run one cityedge edge node.")
    parser.add_argument(
        "--config",
        type=Path,
        default=os.environ.get("CITYEDGE_EDGE_CONFIG"),
        help="edge config file (TOML); env CITYEDGE_EDGE_CONFIG",
    )
    args = parser.parse_args(argv)
    if args.config is None:
        parser.error("--config is required (or set CITYEDGE_EDGE_CONFIG)")
    try:
        config = load_config(args.config)
    except ConfigError as err:
        print(f"cityedge edge: {err}", file=sys.stderr)
        return 2
    setup_logging("edge", config.log_level)
    try:
        asyncio.run(run_edge(config))
    except EdgeError as err:
        log.error("edge node stopped: %s", err)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
