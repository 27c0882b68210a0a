"""Real parts for end-to-end tests: an edge node process, a control room served by uvicorn, clients."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from websockets.sync.client import ClientConnection, connect

from control_room.app import create_app
from control_room.settings import Settings
from edge.stack.ports import free_port
from edge.stack.procs import stop_process

ADMIN_PASSWORD = "correct-horse-battery-9"


def wait_until(predicate: Callable[[], Any], timeout: float = 20.0, what: str = "condition") -> Any:
    """Poll ``predicate`` until it returns something truthy; fail the test after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)


class EdgeProcess:
    """``python -m edge --config FILE`` as a child process."""

    def __init__(self, config_text: str, workdir: Path) -> None:
        self.config = workdir / "edge.toml"
        self.config.write_text(config_text)
        self.log = workdir / "edge.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> EdgeProcess:
        """Spawn the node."""
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "edge", "--config", str(self.config)],
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        return self

    def stop(self) -> int | None:
        """SIGTERM and wait (a clean stop)."""
        code = stop_process(self.proc, 20) if self.proc else None
        self.proc = None
        return code

    def kill(self) -> None:
        """SIGKILL: the node vanishes without saying goodbye."""
        if self.proc:
            self.proc.kill()
            self.proc.wait()
            self.proc = None

    def log_text(self) -> str:
        """Everything the node logged."""
        return self.log.read_text() if self.log.exists() else ""


def edge_config(node_id: str, data_dir: Path, broker_url: str, extra: str = "") -> str:
    """A minimal edge config plus ``extra`` TOML."""
    return (
        f'[node]\nid = "{node_id}"\ndata_dir = "{data_dir}"\n\n'
        f'[mqtt]\nurl = "{broker_url}"\ncontrol_room_host = "jccr"\nkeepalive_s = 5\nreconnect_min_s = 0.5\n'
        f'reconnect_max_s = 1\n\n[metrics]\nlisten = "127.0.0.1:0"\n\n{extra}'
    )


class ControlRoom:
    """The control-room app served by uvicorn in a thread of the test process."""

    def __init__(
        self,
        data_dir: Path,
        broker_url: str,
        database_url: str | None = None,
        port: int | None = None,
        **overrides: Any,
    ) -> None:
        self.port = port or free_port()  # a port of an earlier instance: a restart at the same address
        self.settings = Settings(
            data_dir=data_dir,
            database_url=database_url,
            mqtt_url=broker_url,
            http_port=self.port,
            admin_password=ADMIN_PASSWORD,  # type: ignore[arg-type]
            **overrides,
        )
        self.app = create_app(self.settings)
        self.ctx = self.app.state.ctx
        self.server = uvicorn.Server(
            uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning", ws="websockets-sansio")
        )
        self.thread = threading.Thread(target=self.server.run, name="test-control-room", daemon=True)
        self.url = f"http://127.0.0.1:{self.port}"

    def start(self) -> ControlRoom:
        """Serve and wait until it answers."""
        self.thread.start()
        wait_until(lambda: self.server.started or not self.thread.is_alive(), 30, "uvicorn start-up")
        if not self.server.started:
            raise RuntimeError("the control room failed to start (see the captured log)")
        return self

    def stop(self) -> None:
        """Shut down (the app's lifespan stops MQTT and ingest threads)."""
        self.server.should_exit = True
        self.thread.join(30)

    def client(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> httpx.Client:
        """An HTTP client logged in as ``username``."""
        token = login(self.url, username, password)
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=20)


def login(url: str, username: str, password: str) -> str:
    """A bearer token for the account."""
    r = httpx.post(f"{url}/api/v1/auth/token", data={"username": username, "password": password}, timeout=20)
    r.raise_for_status()
    return str(r.json()["access_token"])


class StreamClient:
    """A WebSocket client of /api/v1/stream collecting every message in a thread."""

    def __init__(self, url: str, token: str) -> None:
        self.ws_url = url.replace("http://", "ws://") + f"/api/v1/stream?access_token={token}"
        self.messages: list[dict[str, Any]] = []
        self.received_at: list[float] = []
        self.conn: ClientConnection | None = None
        self.error: BaseException | None = None
        self._ready = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, name="test-ws-client", daemon=True)
        self._thread.start()
        if not self._ready.wait(20) or self.conn is None:
            raise RuntimeError(f"WebSocket did not open: {self.error!r}")

    def _read(self) -> None:
        try:
            with connect(self.ws_url, open_timeout=20, max_size=None) as conn:
                self.conn = conn
                self._ready.set()
                for raw in conn:
                    now = time.time()
                    with self._lock:
                        self.messages.append(json.loads(raw))
                        self.received_at.append(now)
        except Exception as err:
            self.error = err
        finally:
            self._ready.set()

    def of_type(self, type_: str) -> list[dict[str, Any]]:
        """Messages of one type so far."""
        with self._lock:
            return [m for m in self.messages if m["type"] == type_]

    def close(self) -> None:
        """Close and join the reader."""
        if self.conn is not None:
            self.conn.close()
        self._thread.join(10)


@contextmanager
def stream_client(url: str, token: str) -> Iterator[StreamClient]:
    """A stream client closed after use."""
    client = StreamClient(url, token)
    try:
        yield client
    finally:
        client.close()
