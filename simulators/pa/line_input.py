"""The controller's audio line input: a TCP listener taking one CEPA line stream per connection.

Each chunk is placed on the timeline when it arrives (or straight after the previous chunk of the same stream, if
the sender is slightly ahead) and handed to the core, which attributes it to the LINE calls open at that moment.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

import numpy as np

from drivers.pa.errors import BadField
from drivers.pa.line_codec import HEADER_LEN, decode_header
from simulators.pa.sounds import RATE
from simulators.pa.tcp_listener import TcpListener

log = logging.getLogger(__name__)


def resample(samples: np.ndarray, rate: int, to: int = RATE) -> np.ndarray:
    """Linear resampling (good enough to judge what a zone heard)."""
    if rate == to or samples.size == 0:
        return samples
    n = round(samples.size * to / rate)
    x = np.linspace(0, samples.size - 1, n)
    return np.interp(x, np.arange(samples.size), samples.astype(np.float64)).astype(np.int16)


class LineInput(TcpListener):
    """TCP listener for line streams; ``deliver(at, samples)`` gets int16 samples at :data:`RATE`."""

    def __init__(self, host: str, port: int, deliver: Callable[[float, Any], None]) -> None:
        super().__init__(host, port)
        self.deliver = deliver
        self.streams = 0
        self.rejected = 0

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        loop = asyncio.get_running_loop()
        try:
            fmt = decode_header(await reader.readexactly(HEADER_LEN))
            self.streams += 1
            next_at: float | None = None
            rest = b""
            while data := await reader.read(8192):
                data = rest + data
                usable = len(data) - len(data) % 2
                rest = data[usable:]
                if not usable:
                    continue
                samples = resample(np.frombuffer(data[:usable], dtype="<i2"), fmt.rate)
                now = loop.time()
                at = now if next_at is None or next_at < now else next_at
                next_at = at + samples.size / RATE
                self.deliver(at, samples)
        except (BadField, asyncio.IncompleteReadError) as err:
            self.rejected += 1
            log.warning("line input stream rejected: %s", err)
