"""``cityedge up``: the whole stack on one machine — broker, simulators (street lights, a DALI gateway), one edge
node, the control room.

Each part is a child process of this one, stopped in reverse order on Ctrl-C or SIGTERM (and, on Linux, if this
process dies). Children log to DATA_DIR/logs/.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from edge.stack.layout import (
    CAMERA_PASSWORD_ENV,
    CameraPorts,
    camera_simulator_args,
    cctv_config_toml,
    dali_simulator_args,
    edge_config_toml,
    simulator_node_args,
    video_config_toml,
)
from edge.stack.mosquitto import MAX_QUEUED_MESSAGES, Mosquitto, MosquittoSettings
from edge.stack.ports import free_port
from edge.stack.procs import die_with_parent, stop_process


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass
class Child:
    """A child process of the stack."""

    name: str
    proc: subprocess.Popen[bytes]
    log: IO[bytes] = field(repr=False)


class Stack:
    """Starts and stops the children in order."""

    def __init__(self, data_dir: Path, http_host: str, http_port: int, lights: int) -> None:
        self.data_dir = data_dir.resolve()
        self.http_host = http_host
        self.http_port = http_port
        self.lights = lights
        self.logs = self.data_dir / "logs"
        self.children: list[Child] = []
        self.broker = Mosquitto(MosquittoSettings(data_dir=self.data_dir / "mosquitto"))
        self.pa_control_port = 0
        self.pa_recordings = self.data_dir / "pa" / "recordings"

    def spawn(self, name: str, args: list[str], env: dict[str, str] | None = None) -> Child:
        """Start ``python -m ARGS`` with its output in logs/NAME.log."""
        self.logs.mkdir(parents=True, exist_ok=True)
        log = (self.logs / f"{name}.log").open("ab")
        proc = subprocess.Popen(
            [sys.executable, "-m", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            preexec_fn=die_with_parent,
            start_new_session=True,  # Ctrl-C reaches only us; we stop the children in order
        )
        child = Child(name, proc, log)
        self.children.append(child)
        return child

    def control_room_env(self) -> dict[str, str]:
        """Environment of the control-room child."""
        return {
            "CITYEDGE_DATA_DIR": str(self.data_dir / "control-room"),
            "CITYEDGE_MQTT_URL": self.broker.url,
            "CITYEDGE_HTTP_HOST": self.http_host,
            "CITYEDGE_HTTP_PORT": str(self.http_port),
        }

    def start(self) -> str | None:
        """Start everything; return a generated admin password (first start only)."""
        self.broker.start()
        edge_dir = self.data_dir / "edge"
        edge_dir.mkdir(parents=True, exist_ok=True)
        config = self.data_dir / "edge.toml"
        pa_dir = self.data_dir / "pa"
        pa_dir.mkdir(parents=True, exist_ok=True)
        pa_tty, line_port, self.pa_control_port = pa_dir / "controller.tty", free_port(), free_port()
        self.pa_recordings = pa_dir / "recordings"
        pa = (str(pa_tty), f"tcp://127.0.0.1:{line_port}")
        dali_listen = f"127.0.0.1:{free_port()}"
        ports = CameraPorts(*(free_port("127.0.0.1") for _ in range(4)))
        clip = str(self.data_dir / "cameras" / "guildhall.mp4")
        config.write_text(
            edge_config_toml("edge-city-1", str(edge_dir), self.broker.url, self.lights, f"socket://{dali_listen}", pa)
            + "\n"
            + cctv_config_toml("127.0.0.1", ports, clip)
            + "\n"
            + video_config_toml()
        )
        # the simulated cameras' password: fresh for every start, handed to both sides through the environment
        camera_env = {CAMERA_PASSWORD_ENV: secrets.token_urlsafe(16)}
        env = self.control_room_env()
        out = subprocess.run(
            [sys.executable, "-m", "control_room", "create-admin"],
            env={**os.environ, **env},
            capture_output=True,
            check=True,
        )
        generated = json.loads(out.stdout.decode().strip().splitlines()[-1]).get("password")
        self.spawn(
            "simulators", ["simulators", "streetlights", "--broker", self.broker.url, *simulator_node_args(self.lights)]
        )
        self.spawn("dali-simulator", ["simulators", *dali_simulator_args(dali_listen)])
        self.spawn(
            "cameras",
            ["simulators", "cameras", *camera_simulator_args("127.0.0.1", ports, clip)],
            {"CAMERA_PASSWORD": camera_env[CAMERA_PASSWORD_ENV]},
        )
        self.wait_for_file(Path(clip))
        self.spawn(
            "pa-simulator",
            [
                *("simulators", "pa", "--pty-link", str(pa_tty), "--line-input", f"127.0.0.1:{line_port}"),
                *("--control", f"127.0.0.1:{self.pa_control_port}", "--recordings", str(self.pa_recordings)),
            ],
        )
        self.spawn("control-room", ["control_room", "serve"], env)
        self.spawn("edge", ["edge", "--config", str(config)], camera_env)
        self.wait_ready()
        return str(generated) if generated else None

    def wait_for_file(self, path: Path, timeout: float = 60.0) -> None:
        """Wait until a child has written ``path`` (the file camera's clip)."""
        deadline = time.monotonic() + timeout
        while not path.exists():
            self.check_children()
            if time.monotonic() > deadline:
                raise RuntimeError(f"{path} was not written in {timeout:.0f} s; see {self.logs}")
            time.sleep(0.1)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Wait for the control room to answer /healthz."""
        url = f"http://{self.http_host}:{self.http_port}/healthz"
        deadline = time.monotonic() + timeout
        while True:
            self.check_children()
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"control room did not answer {url} in {timeout:.0f} s; see {self.logs}")
            time.sleep(0.2)

    def check_children(self) -> None:
        """Raise if a child has exited."""
        for child in self.children:
            code = child.proc.poll()
            if code is not None:
                raise RuntimeError(f"{child.name} exited with code {code}; see {self.logs / child.name}.log")

    def stop(self) -> None:
        """Stop children newest first, then the broker."""
        for child in reversed(self.children):
            stop_process(child.proc, 15)
            child.log.close()
        self.children.clear()
        self.broker.stop()


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``cityedge up``."""
    parser = argparse.ArgumentParser(prog="cityedge up", description=__doc__)
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=Path(os.environ.get("CITYEDGE_DATA_DIR", ".cityedge")),
        help="where everything is kept (env CITYEDGE_DATA_DIR; default .cityedge)",
    )
    parser.add_argument(
        "--http-port",
        type=int,
        default=_env_int("CITYEDGE_HTTP_PORT", 8080),
        help="console and API port (env CITYEDGE_HTTP_PORT; default 8080)",
    )
    parser.add_argument(
        "--http-host",
        default=os.environ.get("CITYEDGE_HTTP_HOST", "127.0.0.1"),
        help="address to bind (env CITYEDGE_HTTP_HOST; default 127.0.0.1)",
    )
    parser.add_argument(
        "--streetlights",
        type=int,
        default=_env_int("CITYEDGE_STREETLIGHTS", 120),
        help="simulated street lights (env CITYEDGE_STREETLIGHTS; default 120)",
    )
    args = parser.parse_args(argv)
    if args.http_port == 0:
        args.http_port = free_port(args.http_host)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    stack = Stack(args.data_dir, args.http_host, args.http_port, args.streetlights)
    code = 0
    try:
        generated = stack.start()
        print(f"cityedge is up: console at http://{args.http_host}:{args.http_port}/", flush=True)
        if generated:
            print(f"operator login: admin / {generated}   (shown once; only its argon2id hash is stored)", flush=True)
        elif os.environ.get("CITYEDGE_ADMIN_PASSWORD"):
            print("operator login: admin / the password in CITYEDGE_ADMIN_PASSWORD", flush=True)
        else:
            print("operator login: admin / the password shown at first start", flush=True)
        print(
            f"broker {stack.broker.url} (max_queued_messages {MAX_QUEUED_MESSAGES}); logs in {stack.logs}", flush=True
        )
        print(
            f"PA simulator: control port 127.0.0.1:{stack.pa_control_port} (nc; 'help'), "
            f"zone recordings in {stack.pa_recordings}",
            flush=True,
        )
        print("Ctrl-C stops everything.", flush=True)
        while not stop.wait(0.5):
            stack.check_children()
    except (RuntimeError, subprocess.CalledProcessError) as err:
        print(f"cityedge up: {err}", file=sys.stderr, flush=True)
        code = 1
    finally:
        stack.stop()
        print("cityedge stopped.", flush=True)
    return code
