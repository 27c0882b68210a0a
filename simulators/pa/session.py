"""The controller's serial side: deframes host bytes at the line's pace, answers, and sends events.

Timing honours the baud rate (8N1, 10 bits a byte): a host frame counts as received no earlier than its wire time
after its first byte, and each outgoing frame reaches the host when its last byte would have, one after another.
Faults a test or an engineer can inject: garble the next N received frames (answered NAK 01) or sent frames (bad
checksum at the host), go silent (no answers, no events), ignore the next N event ACKs (the controller resends).
A frame repeated with the same ADDR/CMD/SEQ and fields is answered again without being executed twice.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from drivers.pa.codec import (
    BareNak,
    Deframer,
    Frame,
    Nak,
    NakCode,
    Reply,
    Status,
    encode_frame,
    parse_command,
    reply_frame,
)
from drivers.pa.errors import BadField, ChecksumError, LineNoise, PaProtocolError, UnknownCommand
from drivers.pa.frames import EVENT_COMMAND, NAK, STX
from drivers.transport import wire_time_s
from simulators.pa.core import ControllerCore
from simulators.pa.event_sender import EventSender

log = logging.getLogger(__name__)


@dataclass
class FrameTiming:
    """When a host frame's first byte arrived and when it counted as received (loop/monotonic seconds)."""

    first_byte: float
    received: float
    command: str
    seq: int


@dataclass
class Faults:
    """Injected line faults."""

    garble_rx: int = 0
    garble_tx: int = 0
    silent: bool = False
    drop_acks: int = 0


class Session:
    """Connects an endpoint's bytes to the controller core and the event sender."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        core: ControllerCore,
        address: int,
        baudrate: int,
        write: Callable[[bytes], None],
    ) -> None:
        self.loop = loop
        self.core = core
        self.address = address
        self.baudrate = baudrate
        self._write = write
        self.faults = Faults()
        self.timings: deque[FrameTiming] = deque(maxlen=10_000)
        self.protocol_errors = 0
        self.events = EventSender(loop, address, self.send, core.comms_lost)
        self._deframer = Deframer()
        self._first_byte: float | None = None
        self._rx_free = 0.0
        self._tx_free = 0.0
        self._last: tuple[tuple[int, str, int], tuple[str, ...], bytes] | None = None

    @property
    def tx_free_at(self) -> float:
        """When the line to the host has sent everything queued (loop time)."""
        return self._tx_free

    def reset_line(self) -> None:
        """The port was unplugged: drop partial input."""
        self._deframer = Deframer()
        self._first_byte = None

    # ---- receive ----------------------------------------------------------------------------------------------

    def on_bytes(self, data: bytes) -> None:
        """Bytes from the host, as they arrive."""
        now = self.loop.time()
        if self._first_byte is None and (self._deframer.pending or STX in data or NAK in data):
            self._first_byte = now
        for item in self._deframer.feed(data):
            first = self._first_byte if self._first_byte is not None else now
            size = len(encode_frame(item)) if isinstance(item, Frame) else 1
            done = max(now, max(first, self._rx_free) + wire_time_s(size, self.baudrate))
            self._rx_free = done
            if isinstance(item, Frame):
                self.timings.append(FrameTiming(first, done, item.command, item.seq))
            self.loop.call_at(done, self._process, item)
            self._first_byte = None
        if self._first_byte is None and self._deframer.pending:
            self._first_byte = now

    def _process(self, item: Frame | BareNak | PaProtocolError) -> None:
        if self.faults.silent or isinstance(item, BareNak | LineNoise):
            return
        if isinstance(item, PaProtocolError):
            self.protocol_errors += 1
            if isinstance(item, ChecksumError):
                if item.header is None:
                    self.send(bytes([NAK]))
                else:
                    self._reply_to(Frame(*item.header), Nak(NakCode.CHECKSUM))
            elif isinstance(item, UnknownCommand) and item.header is not None:
                self._reply_to(Frame(*item.header), Nak(NakCode.UNKNOWN_COMMAND))
            return
        if item.address != self.address:
            return
        self.core.host_heard()
        self.events.host_heard()
        if item.command == EVENT_COMMAND:
            if item.status is Status.ACK:
                if self.faults.drop_acks:
                    self.faults.drop_acks -= 1
                else:
                    self.events.on_ack(item.seq)
            return
        if item.status is not Status.NONE:
            return
        if self.faults.garble_rx:
            self.faults.garble_rx -= 1
            self._reply_to(item, Nak(NakCode.CHECKSUM))
            return
        if self._last is not None and self._last[0] == item.header and self._last[1] == item.fields:
            self.send(self._last[2])  # a retransmission: answer again, do not execute twice
            return
        try:
            reply = self.core.handle(parse_command(item))
        except BadField:
            reply = Nak(NakCode.BAD_FIELD)
        data = self._reply_to(item, reply)
        self._last = (item.header, item.fields, data)

    def _reply_to(self, request: Frame, reply: Reply) -> bytes:
        data = encode_frame(reply_frame(request, reply))
        self.send(data)
        return data

    # ---- transmit ---------------------------------------------------------------------------------------------

    def send(self, data: bytes) -> None:
        """Queue bytes on the line; they reach the host after their wire time, in order."""
        if self.faults.silent:
            return
        if self.faults.garble_tx and len(data) > 4:
            self.faults.garble_tx -= 1
            mid = len(data) // 2
            data = data[:mid] + bytes([data[mid] ^ 0x01]) + data[mid + 1 :]
        now = self.loop.time()
        start = max(now, self._tx_free)
        done = start + wire_time_s(len(data), self.baudrate)
        self._tx_free = done
        self.loop.call_at(done, self._write, data)
