"""``python -m simulators NAME [options]`` (``cityedge simulate NAME``): run one simulator until signalled.

Each simulator module exposes ``add_arguments(parser)`` and ``run(args) -> int``.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SIMULATORS = {
    "streetlights": ("simulators.streetlights", "MQTT street-light controller fleet"),
    "dali": ("simulators.dali_gateway", "Lunatone LUBA RS-232 DALI gateway with DALI lines of gear"),
    "camera-rtsp": ("simulators.cameras.rtsp_server", "RTSP camera: H.264 over RTP/TCP, digest auth, faults"),
    "camera-mjpeg": ("simulators.cameras.mjpeg_server", "MJPEG-over-HTTP camera with basic/digest auth, faults"),
    "camera-onvif": ("simulators.cameras.onvif_camera", "ONVIF camera: WS-Discovery, device/media, RTSP, faults"),
    "cameras": ("simulators.cameras.city", "the demo city's cameras: RTSP, MJPEG, ONVIF, and a clip for a file camera"),
    "pa": ("simulators.pa", "PA head-end (tannoy) controller over a pty or socket://, with zone recordings"),
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cityedge simulate", description="Run a device simulator.")
    sub = parser.add_subparsers(dest="name", required=True)
    modules = {}
    for name, (module_name, help_text) in SIMULATORS.items():
        module = importlib.import_module(module_name)
        modules[name] = module
        module.add_arguments(sub.add_parser(name, help=help_text, description=help_text))
    args = parser.parse_args(argv)
    return int(modules[args.name].run(args))


if __name__ == "__main__":
    sys.exit(main())
