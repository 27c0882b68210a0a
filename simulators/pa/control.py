"""A line-based TCP control port for engineers driving a running simulator (``nc 127.0.0.1 PORT``).

Commands (one per line; answers start with ``ok`` or ``error``)::

    status                      zones, calls, faults, mode (JSON)
    fault TYPE WHERE            raise a fault, e.g. ``fault LINE_OPEN Z03``, ``fault AMP A02``; answers its id
    resolve FID                 the fault clears (it stays listed until the host resets faults)
    unplug | plug               the serial port disappears / comes back
    garble rx|tx N              corrupt the next N received / sent frames
    silent on|off               stop / resume answering the host
    drop-acks N                 ignore the host's next N event ACKs (the controller resends)
    calls                       finished calls (JSON lines), then ``ok N``
    help
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from drivers.errors import DriverError
from simulators.pa.tcp_listener import TcpListener

log = logging.getLogger(__name__)

Handler = Callable[[list[str]], Awaitable[str]]


class ControlPort(TcpListener):
    """Serves the control commands; ``handlers`` maps a command word to a coroutine taking its arguments."""

    def __init__(self, host: str, port: int, handlers: dict[str, Handler]) -> None:
        super().__init__(host, port)
        self.handlers = handlers

    async def execute(self, line: str) -> str:
        """Run one command line; the answer text."""
        words = line.split()
        if not words:
            return "error empty command"
        if words[0] == "help":
            return "ok " + " | ".join(sorted([*self.handlers, "help"]))
        handler = self.handlers.get(words[0])
        if handler is None:
            return f"error unknown command {words[0]!r} (try help)"
        try:
            return await handler(words[1:])
        except (ValueError, KeyError, IndexError, DriverError) as err:
            return f"error {err}"

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while raw := await reader.readline():
            answer = await self.execute(raw.decode("utf-8", "replace").strip())
            writer.write(answer.encode() + b"\n")
            await writer.drain()


def as_json(value: Any) -> str:
    return json.dumps(value, default=str)
