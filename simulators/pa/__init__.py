"""PA head-end (tannoy) simulator: ``python -m simulators pa`` or :class:`PaControllerSimulator` in-process.

Speaks the PA protocol of protocols.md §1 over a pty (default; its path is printed) or a TCP listener
(``--tcp HOST:PORT`` for ``socket://``), honours the baud rate, and records what each zone heard into
``--recordings``. Engineers steer a running simulator through ``--control HOST:PORT`` (see
:mod:`simulators.pa.control`).
"""

from __future__ import annotations

import argparse
import json
import signal
import threading
from pathlib import Path

from simulators.pa.simulator import PaControllerSimulator
from simulators.pa.store import Store

__all__ = ["PaControllerSimulator", "add_arguments", "run"]


def _hostport(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r} is not HOST:PORT")
    return host, int(port)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m simulators pa``."""
    parser.add_argument("--zones", type=int, default=16, help="number of zones (1-32, default 16)")
    parser.add_argument("--baud", type=int, default=9600, help="line speed the timing follows (default 9600)")
    parser.add_argument("--address", type=int, default=1, help="controller address (default 1)")
    parser.add_argument("--tcp", type=_hostport, help="listen on HOST:PORT for socket:// instead of a pty")
    parser.add_argument("--pty-link", type=Path, help="path of the symlink to the pty (default: a temp folder)")
    parser.add_argument("--recordings", type=Path, default=Path("pa-recordings"), help="where zone WAVs go")
    parser.add_argument("--store", type=Path, help="JSON file of messages and chimes (see simulators.pa.store)")
    parser.add_argument("--zones-per-amplifier", type=int, default=4, help="zones each amplifier feeds")
    parser.add_argument("--line-input", type=_hostport, default=("127.0.0.1", 0), help="audio line input HOST:PORT")
    parser.add_argument("--control", type=_hostport, default=("127.0.0.1", 0), help="control port HOST:PORT")
    parser.add_argument("--comms-timeout", type=float, default=15.0, help="COMMS fault after this long unpolled")


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; print the URLs as one JSON line first."""
    store = Store.from_json(args.store) if args.store else Store()
    sim = PaControllerSimulator(
        zones=args.zones,
        baudrate=args.baud,
        address=args.address,
        tcp=args.tcp,
        pty_link=args.pty_link,
        recordings=args.recordings,
        store=store,
        zones_per_amplifier=args.zones_per_amplifier,
        line_input=args.line_input,
        control=args.control,
        comms_timeout_s=args.comms_timeout,
    )
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    sim.start()
    try:
        info = {
            "url": sim.url,
            "device": getattr(sim.endpoint, "device", None),
            "line_input": sim.line_url,
            "control": sim.control.url if sim.control else None,
            "recordings": str(sim.recordings.resolve()),
            "zones": sim.zones,
            "baud": sim.baudrate,
        }
        print(json.dumps(info), flush=True)
        done.wait()
    finally:
        sim.stop()
        sim.cleanup()
    return 0
