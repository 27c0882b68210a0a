"""WebSocket fan-out: every state change, event, alert and command stage goes to every connected client.

Producers on other threads call :meth:`Hub.publish_threadsafe`. Each client has a bounded queue; a client that
falls that far behind is disconnected (it reconnects and re-reads the REST API) rather than slowing the rest.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)


@dataclass(eq=False)
class Subscriber:
    """One WebSocket client."""

    username: str
    queue: asyncio.Queue[str]
    overflowed: asyncio.Event = field(default_factory=asyncio.Event)


class Hub:
    """Broadcasts JSON messages ``{"type", "ts", "data"}`` to subscribers."""

    def __init__(self, queue_size: int = 10_000) -> None:
        self.queue_size = queue_size
        self._subs: set[Subscriber] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.sent = 0
        self.cut = 0

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to the server's event loop (done at app start-up)."""
        self._loop = loop

    def subscribe(self, username: str) -> Subscriber:
        """Register a client."""
        sub = Subscriber(username, asyncio.Queue(self.queue_size))
        self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscriber) -> None:
        """Forget a client."""
        self._subs.discard(sub)

    @property
    def clients(self) -> int:
        """Connected clients."""
        return len(self._subs)

    def publish(self, type_: str, data: dict[str, Any]) -> None:
        """Queue a message for every client (event-loop thread only)."""
        if not self._subs:
            return
        text = json.dumps({"type": type_, "ts": time.time(), "data": data}, default=str, separators=(",", ":"))
        for sub in list(self._subs):
            try:
                sub.queue.put_nowait(text)
                self.sent += 1
            except asyncio.QueueFull:
                self.cut += 1
                sub.overflowed.set()
                self._subs.discard(sub)
                log.warning(
                    "WebSocket client %s fell %d messages behind; disconnecting it", sub.username, self.queue_size
                )

    def publish_threadsafe(self, type_: str, data: dict[str, Any]) -> None:
        """Queue a message from any thread."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        try:
            loop.call_soon_threadsafe(self.publish, type_, data)
        except RuntimeError:
            pass

    def publish_many_threadsafe(self, messages: list[tuple[str, dict[str, Any]]]) -> None:
        """Queue several messages with one hop to the event loop."""
        loop = self._loop
        if not messages or loop is None or loop.is_closed():
            return

        def deliver() -> None:
            for type_, data in messages:
                self.publish(type_, data)

        try:
            loop.call_soon_threadsafe(deliver)
        except RuntimeError:
            pass
