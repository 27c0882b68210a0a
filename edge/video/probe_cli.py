"""``cityedge cameras``: look at a camera before attaching it.

- ``cityedge cameras probe URL``: profiles, codec, resolution, declared and measured frame rate.
- ``cityedge cameras discover``: ONVIF devices answering WS-Discovery (multicast and/or unicast).

Credentials: inline in the URL, or ``--user`` with the password from ``--password-env VAR`` (default
``CAMERA_PASSWORD``) so it stays out of the shell history and ``ps``. Nothing printed ever contains them.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import os
import sys

from drivers.camera.errors import CameraError
from drivers.camera.onvif.discover import discover
from drivers.camera.onvif.discovery import PORT
from drivers.camera.probe import ProbeReport, probe
from drivers.camera.redact import install_redaction, redact


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cityedge cameras", description="Examine cameras before attaching them.")
    sub = parser.add_subparsers(dest="action", required=True)
    p = sub.add_parser("probe", help="what a source offers: profiles, codec, resolution, fps")
    p.add_argument("url", help="rtsp://, http(s):// (MJPEG), onvif://host:port, or a file path")
    p.add_argument("--user", default=None, help="username (overrides one in the URL)")
    p.add_argument("--password-env", default="CAMERA_PASSWORD", help="environment variable holding the password")
    p.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the camera")
    p.add_argument("--measure", type=float, default=2.0, help="seconds of stream to count frames over (0: skip)")
    p.add_argument("--json", action="store_true", help="print JSON")
    d = sub.add_parser("discover", help="find ONVIF devices with WS-Discovery")
    d.add_argument("--timeout", type=float, default=3.0, help="seconds to wait for answers")
    d.add_argument("--unicast", action="append", default=[], metavar="HOST[:PORT]", help="also probe this address")
    d.add_argument("--no-multicast", action="store_true", help="only the --unicast addresses")
    d.add_argument("--json", action="store_true", help="print JSON")
    return parser


def _print_report(report: ProbeReport) -> None:
    print(f"source: {report.source} ({report.kind})")
    if report.device is not None:
        dev = report.device
        print(
            f"device: {dev.manufacturer} {dev.model} firmware {dev.firmware} serial {dev.serial} (auth {report.auth})"
        )
    for s in report.streams:
        label = f"profile {s.profile} ({s.profile_name}): " if s.profile else ""
        if s.error:
            print(f"  {label}{s.url}: ERROR {s.error}")
            continue
        fps = f"{s.fps:g} fps" if s.fps else "fps not declared"
        measured = f", measured {s.measured_fps:g} fps" if s.measured_fps else ""
        print(f"  {label}{s.url}: {s.codec} {s.width}x{s.height}, {fps}{measured}")
        if s.snapshot_url:
            print(f"    snapshot: {s.snapshot_url}")


def _unicast_targets(items: list[str]) -> list[tuple[str, int]]:
    out = []
    for item in items:
        host, _, port = item.rpartition(":") if ":" in item else (item, "", str(PORT))
        out.append((host, int(port)))
    return out


async def _run(args: argparse.Namespace) -> int:
    if args.action == "probe":
        password = os.environ.get(args.password_env) or None
        report = await probe(args.url, args.user, password, timeout_s=args.timeout, measure_s=args.measure)
        if args.json:
            print(redact(json.dumps(dataclasses.asdict(report), indent=2)))
        else:
            _print_report(report)
        return 0 if all(s.error is None for s in report.streams) else 1
    devices = await discover(args.timeout, multicast=not args.no_multicast, unicast=_unicast_targets(args.unicast))
    if args.json:
        print(json.dumps([dataclasses.asdict(d) for d in devices], indent=2))
    else:
        for d in devices:
            print(f"{d.name or '(no name)'}  {' '.join(d.xaddrs)}  {d.endpoint}  from {d.responder}")
        print(f"{len(devices)} device(s)")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cityedge cameras``."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    install_redaction()
    args = _parser().parse_args(argv)
    try:
        return asyncio.run(_run(args))
    except (CameraError, ValueError) as err:
        print(f"cityedge cameras {args.action}: {redact(str(err))}", file=sys.stderr)
        return 2
