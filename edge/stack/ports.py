"""Finding free loopback ports and waiting for a listener."""

from __future__ import annotations

import random
import socket
import time
from pathlib import Path


def _ephemeral_range() -> tuple[int, int]:
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return 32768, 60999


# Ports this process has handed out: a port checked free but not yet bound by its listener would otherwise be
# handed out twice (e.g. to two simulated cameras started by one ``cityedge up``).
_handed: set[int] = set()


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free on ``host`` a moment ago, never the same one twice in this process.

    Chosen below the kernel's ephemeral range: a port from that range can be taken by any outgoing connection
    (our own MQTT clients included) between this check and the listener's bind.
    """
    low, _ = _ephemeral_range()
    for _ in range(200):
        port = random.randrange(max(1024, low - 12000), low)
        if port in _handed:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            _handed.add(port)
            return port
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float = 10.0) -> None:
    """Block until a TCP connect to ``host:port`` succeeds, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    delay = 0.01
    while True:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError as err:
            if time.monotonic() > deadline:
                raise TimeoutError(f"nothing listens on {host}:{port} after {timeout:.0f} s") from err
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
