"""Controller → host events with the protocol's resend rule: one event outstanding at a time, resent every 500 ms
up to 3 times until the host ACKs it; after that a COMMS fault is latched and the queue waits until the host is
heard from again (then the outstanding event is sent afresh)."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from drivers.pa.codec import Event, encode_frame, event_frame

MAX_QUEUE = 256


@dataclass
class _Outstanding:
    seq: int
    data: bytes
    sends: int
    timer: asyncio.TimerHandle | None = None


class EventSender:
    """Queues events and delivers them with resends; ``send(bytes)`` writes a frame to the line."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        address: int,
        send: Callable[[bytes], None],
        on_give_up: Callable[[], None],
        resend_interval_s: float = 0.5,
        resends: int = 3,
    ) -> None:
        self.loop = loop
        self.address = address
        self.send = send
        self.on_give_up = on_give_up
        self.resend_interval_s = resend_interval_s
        self.resends = resends
        self.queue: deque[Event] = deque()
        self.dropped = 0
        self.held = False
        self.sent: list[tuple[float, Event]] = []
        self._out: _Outstanding | None = None
        self._seq = 0x7E  # the worked example's first event is 7F

    def post(self, event: Event) -> None:
        """Queue an event; it goes out after the reply now being built (the host sees ACK, then events)."""
        if len(self.queue) >= MAX_QUEUE:
            self.queue.popleft()
            self.dropped += 1
        self.queue.append(event)
        self.loop.call_soon(self._pump)

    def on_ack(self, seq: int) -> None:
        """The host ACKed event ``seq``."""
        if self._out is not None and self._out.seq == seq:
            if self._out.timer is not None:
                self._out.timer.cancel()
            self._out = None
            self._pump()

    def host_heard(self) -> None:
        """The host is back: lift the hold and resend the outstanding event."""
        if self.held:
            self.held = False
            if self._out is not None:
                self._out.sends = 0
                self._transmit()
            else:
                self._pump()

    @property
    def outstanding(self) -> int | None:
        """SEQ of the event waiting for the host's ACK."""
        return self._out.seq if self._out is not None else None

    def stop(self) -> None:
        if self._out is not None and self._out.timer is not None:
            self._out.timer.cancel()

    def _pump(self) -> None:
        if self._out is not None or self.held or not self.queue:
            return
        event = self.queue.popleft()
        self._seq = (self._seq + 1) & 0xFF
        self._out = _Outstanding(self._seq, encode_frame(event_frame(event, self.address, self._seq)), 0)
        self.sent.append((self.loop.time(), event))
        self._transmit()

    def _transmit(self) -> None:
        out = self._out
        if out is None:
            return
        out.sends += 1
        self.send(out.data)
        out.timer = self.loop.call_later(self.resend_interval_s, self._expired)

    def _expired(self) -> None:
        out = self._out
        if out is None:
            return
        if out.sends <= self.resends:
            self._transmit()
            return
        out.timer = None
        self.held = True
        self.on_give_up()
