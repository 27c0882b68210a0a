"""Live view, control-room side: relays a camera's JPEG frames from its edge's ZeroMQ endpoint to browsers,
subscribing only while at least one browser watches that camera.

One SUB socket per edge endpoint, one topic subscription per watched camera (reference-counted), one reader task
per socket on the app's event loop. Every watcher sees only the newest frame: a slow browser skips frames and
never builds a queue, and a short receive queue (RCVHWM) keeps the edge from queueing for us either.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import zmq
import zmq.asyncio

from edge.contract.cctv import LiveFrameHeader, live_topic
from edge.contract.errors import ContractError
from edge.contract.payloads import decode

log = logging.getLogger(__name__)
RECEIVE_HWM = 4


@dataclass
class LiveFrame:
    """One JPEG with its header."""

    header: LiveFrameHeader
    jpeg: bytes


@dataclass
class _Feed:
    topic: bytes
    watchers: set[Watcher] = field(default_factory=set)


class Watcher:
    """One viewer of one camera: waits for frames newer than the last it took."""

    def __init__(self) -> None:
        self._frame: LiveFrame | None = None
        self._new = asyncio.Event()

    def offer(self, frame: LiveFrame) -> None:
        """Replace the pending frame (latest-frame semantics)."""
        self._frame = frame
        self._new.set()

    async def next_frame(self, timeout: float) -> LiveFrame | None:
        """The newest frame not yet taken, or None after ``timeout`` seconds without one."""
        try:
            # asyncio.timeout rather than wait_for: on 3.11 wait_for can swallow a cancellation that races the wait.
            async with asyncio.timeout(timeout):
                await self._new.wait()
        except TimeoutError:
            return None
        self._new.clear()
        return self._frame


class _Connection:
    def __init__(self, ctx: zmq.asyncio.Context, endpoint: str) -> None:
        self.endpoint = endpoint
        self.socket = ctx.socket(zmq.SUB)
        self.socket.setsockopt(zmq.RCVHWM, RECEIVE_HWM)
        self.socket.setsockopt(zmq.LINGER, 0)
        self.socket.connect(endpoint)
        self.feeds: dict[bytes, _Feed] = {}
        self.reader = asyncio.create_task(self._read(), name=f"live-{endpoint}")

    async def _read(self) -> None:
        while True:
            parts = await self.socket.recv_multipart()
            if len(parts) != 3:
                continue
            feed = self.feeds.get(parts[0])
            if feed is None:
                continue
            try:
                frame = LiveFrame(decode(LiveFrameHeader, parts[1]), parts[2])
            except ContractError as err:
                log.warning("ignored a live frame from %s: %s", self.endpoint, err)
                continue
            for watcher in feed.watchers:
                watcher.offer(frame)

    async def close(self) -> None:
        self.reader.cancel()
        await asyncio.gather(self.reader, return_exceptions=True)
        self.socket.close(0)


class LiveRelay:
    """All live subscriptions of one control-room process."""

    def __init__(self) -> None:
        self._ctx: zmq.asyncio.Context | None = None
        self._connections: dict[str, _Connection] = {}

    @property
    def watched(self) -> dict[str, int]:
        """Viewers per camera topic, for tests and metrics."""
        return {
            t.decode().rstrip("\0"): len(f.watchers) for c in self._connections.values() for t, f in c.feeds.items()
        }

    @contextlib.asynccontextmanager
    async def watch(self, endpoint: str, camera: str) -> AsyncIterator[Watcher]:
        """Subscribe to ``camera`` at ``endpoint`` for the duration of the ``async with``."""
        if self._ctx is None:
            self._ctx = zmq.asyncio.Context.instance()
        conn = self._connections.get(endpoint)
        if conn is None:
            conn = self._connections[endpoint] = _Connection(self._ctx, endpoint)
        topic = live_topic(camera)
        feed = conn.feeds.get(topic)
        if feed is None:
            feed = conn.feeds[topic] = _Feed(topic)
            conn.socket.setsockopt(zmq.SUBSCRIBE, topic)
        watcher = Watcher()
        feed.watchers.add(watcher)
        try:
            yield watcher
        finally:
            feed.watchers.discard(watcher)
            if not feed.watchers:
                del conn.feeds[topic]
                conn.socket.setsockopt(zmq.UNSUBSCRIBE, topic)
            if not conn.feeds:
                del self._connections[endpoint]
                await conn.close()

    async def close(self) -> None:
        """Close every connection."""
        for conn in list(self._connections.values()):
            await conn.close()
        self._connections.clear()
