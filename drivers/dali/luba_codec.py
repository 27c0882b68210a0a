"""Lunatone LUBA RS-232 protocol: bytes ⇄ messages ⇄ typed requests, replies and events. No I/O.

A message is ``0x59 | cmd | len | payload | XOR(cmd, len, payload)``. The subset here is what a host needs to
drive DALI lines through the gateway (and what python-dali's ``luba232`` driver uses): device info
(0x20 → 0x21), settings (0x2A → 0x2B), line status (0x2C → 0x2D), "add DALI frame to transmit"
(0x32 → 0x33) and events (0x31) of type 0 (frame sent), 2 (frame received) and 3 (bus power; a cityedge
extension that drivers which do not know it ignore). Source: Lunatone ``LUBA_Protocol_EN.pdf``.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, IntFlag
from functools import reduce
from operator import xor

START = 0x59
MAX_PAYLOAD = 64
DEVICE_INFO_LEN = 20
FRAME_BYTES = 3  # the 0x32 payload always carries three data bytes plus one pad byte


class Cmd(IntEnum):
    """LUBA command codes of the supported subset."""

    QUERY_DEVICE_INFO = 0x20
    DEVICE_INFO = 0x21
    SETTINGS = 0x2A
    SETTINGS_REPLY = 0x2B
    READ_STATUS = 0x2C
    STATUS_REPLY = 0x2D
    EVENT = 0x31
    ADD_FRAME = 0x32
    ADD_FRAME_REPLY = 0x33


class TxError(IntEnum):
    """Why the gateway refused a frame (reply 0x33 with one payload byte)."""

    BUS_VOLTAGE_ERROR = 1
    INITIALIZE_MODE = 2
    QUIESCENT_MODE = 3
    SEND_BUFFER_FULL = 4
    LINE_NOT_AVAILABLE = 5
    SYNTAX_ERROR = 6
    MACRO_RUNNING = 7


class EventFilter(IntFlag):
    """Settings byte 2: each set bit turns a kind of event (or event field) off."""

    NONE = 0
    NO_MACRO_EVENTS = 0x02
    NO_LINE_FIELD = 0x04
    NO_TICK_FIELD = 0x08
    NO_BUFFER_EVENTS = 0x10
    NO_RECEIVE_EVENTS = 0x20
    NO_SENT_EVENTS = 0x40
    NO_EVENTS = 0x80


class EventType(IntEnum):
    """Top two bits of an event's status byte."""

    FRAME_SENT = 0
    FRAME_RECEIVED = 2
    BUS_POWER = 3


class ReceiveError(IntEnum):
    """Event info of a type-2 event that carries no data."""

    START_STOP_ONLY = 62
    FRAMING_ERROR = 63


class BusPowerState(IntEnum):
    """Event info of a type-3 (bus power) event."""

    RESTORED = 0
    LOST = 1
    SHORT_CIRCUIT = 2


SEND_TWICE_FLAG = 0x80
PRIORITY_MASK = 0x07
HW_BUS_POWER_ON = 0x80
LINE_STATUS_BUS_VOLTAGE_ERROR = 0x80
_TYPE_SHIFT = 6
_INFO_MASK = 0x3F


class LubaDecodeError(ValueError):
    """Bytes or a payload that do not follow the LUBA protocol."""


@dataclass(frozen=True, slots=True)
class Message:
    """One LUBA message: a command code and its payload."""

    cmd: int
    payload: bytes = b""

    def encode(self) -> bytes:
        """The message on the wire, with start byte, length and XOR checksum."""
        if len(self.payload) > MAX_PAYLOAD:
            raise LubaDecodeError(f"payload of {len(self.payload)} bytes exceeds {MAX_PAYLOAD}")
        body = bytes([self.cmd, len(self.payload)]) + self.payload
        return bytes([START]) + body + bytes([checksum(body)])


def checksum(body: bytes) -> int:
    """XOR of command, length and payload bytes."""
    return reduce(xor, body, 0)


@dataclass(frozen=True, slots=True)
class StreamError:
    """Something the stream decoder dropped, and why (the decoder resynchronises on the next start byte)."""

    reason: str
    data: bytes


class StreamDecoder:
    """Incremental decoder: feed any chunking of the byte stream, get whole messages back in order."""

    def __init__(self) -> None:
        self._buf = bytearray()

    def feed(self, data: bytes) -> list[Message | StreamError]:
        """Add bytes; return the messages (and dropped garbage) they complete."""
        self._buf += data
        out: list[Message | StreamError] = []
        while self._buf:
            if self._buf[0] != START:
                end = self._buf.find(START)
                end = len(self._buf) if end < 0 else end
                out.append(StreamError("bytes outside a message", bytes(self._buf[:end])))
                del self._buf[:end]
                continue
            if len(self._buf) < 3:
                break
            length = self._buf[2]
            if length > MAX_PAYLOAD:
                out.append(StreamError(f"length {length} exceeds {MAX_PAYLOAD}", bytes(self._buf[:3])))
                del self._buf[:1]
                continue
            total = 4 + length
            if len(self._buf) < total:
                break
            frame = bytes(self._buf[:total])
            if checksum(frame[1:-1]) != frame[-1]:
                out.append(StreamError("bad checksum", frame))
                del self._buf[:1]
                continue
            out.append(Message(frame[1], frame[3:-1]))
            del self._buf[:total]
        return out


# --- add DALI frame to transmit (0x32 → 0x33) -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AddFrame:
    """0x32: queue a DALI forward frame for transmission on ``line``."""

    line: int
    nbits: int
    data: bytes
    priority: int = 2
    send_twice: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.line <= 255:
            raise LubaDecodeError(f"line {self.line} out of range 0-255")
        if self.nbits not in (8, 16, 24):
            raise LubaDecodeError(f"DALI frames of {self.nbits} bits are not supported (8, 16 or 24)")
        if len(self.data) != self.nbits // 8:
            raise LubaDecodeError(f"{self.nbits}-bit frame needs {self.nbits // 8} data bytes, got {len(self.data)}")
        if not 0 <= self.priority <= PRIORITY_MASK:
            raise LubaDecodeError(f"priority {self.priority} out of range 0-7")

    def encode(self) -> Message:
        """The 0x32 message."""
        mode = self.priority | (SEND_TWICE_FLAG if self.send_twice else 0)
        padded = self.data.ljust(FRAME_BYTES, b"\x00")
        return Message(Cmd.ADD_FRAME, bytes([self.line, self.nbits, mode]) + padded + b"\x00")

    @classmethod
    def decode(cls, payload: bytes) -> AddFrame:
        """Parse a 0x32 payload (raises :class:`LubaDecodeError` naming the problem)."""
        if len(payload) != 7:
            raise LubaDecodeError(f"add-frame payload must be 7 bytes, got {len(payload)}")
        line, nbits, mode = payload[0], payload[1], payload[2]
        if nbits not in (8, 16, 24):
            raise LubaDecodeError(f"DALI frames of {nbits} bits are not supported")
        return cls(
            line=line,
            nbits=nbits,
            data=bytes(payload[3 : 3 + nbits // 8]),
            priority=mode & PRIORITY_MASK,
            send_twice=bool(mode & SEND_TWICE_FLAG),
        )


@dataclass(frozen=True, slots=True)
class FrameAccepted:
    """0x33 with two bytes: the frame is queued under ``tx_id``."""

    tx_id: int

    def encode(self) -> Message:
        """The 0x33 message."""
        return Message(Cmd.ADD_FRAME_REPLY, bytes([self.tx_id & 0xFF, 0]))


@dataclass(frozen=True, slots=True)
class FrameRefused:
    """0x33 with one byte: the frame was not queued."""

    error: TxError

    def encode(self) -> Message:
        """The 0x33 message."""
        return Message(Cmd.ADD_FRAME_REPLY, bytes([self.error]))


def decode_add_frame_reply(payload: bytes) -> FrameAccepted | FrameRefused:
    """Parse a 0x33 payload."""
    if len(payload) == 2:
        return FrameAccepted(payload[0])
    if len(payload) == 1:
        try:
            return FrameRefused(TxError(payload[0]))
        except ValueError as err:
            raise LubaDecodeError(f"unknown transmit error code {payload[0]}") from err
    raise LubaDecodeError(f"add-frame reply must be 1 or 2 bytes, got {len(payload)}")


# --- events (0x31) --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FrameSent:
    """Event type 0: the gateway put frame ``tx_id`` on ``line``."""

    line: int
    tx_id: int
    data: bytes
    tick: int = 0


@dataclass(frozen=True, slots=True)
class FrameReceived:
    """Event type 2 with data: a backward frame (8 bits, an answer) or another master's forward frame."""

    line: int
    data: bytes
    tick: int = 0


@dataclass(frozen=True, slots=True)
class FrameError:
    """Event type 2 without data: a framing error (several gear answering at once) or a bare start/stop."""

    line: int
    error: ReceiveError
    tick: int = 0


@dataclass(frozen=True, slots=True)
class BusPower:
    """Event type 3 (cityedge extension): the line's bus voltage was lost, shorted or restored."""

    line: int
    state: BusPowerState
    tick: int = 0


Event = FrameSent | FrameReceived | FrameError | BusPower


def encode_event(event: Event, event_filter: EventFilter = EventFilter.NONE) -> Message:
    """The 0x31 message for ``event``; tick and line fields are left out when the filter says so."""
    if isinstance(event, FrameSent):
        status, tail = (EventType.FRAME_SENT << _TYPE_SHIFT) | (8 * len(event.data)), bytes([event.tx_id]) + event.data
    elif isinstance(event, FrameReceived):
        status, tail = (EventType.FRAME_RECEIVED << _TYPE_SHIFT) | (8 * len(event.data)), event.data
    elif isinstance(event, FrameError):
        status, tail = (EventType.FRAME_RECEIVED << _TYPE_SHIFT) | event.error, b""
    else:
        status, tail = (EventType.BUS_POWER << _TYPE_SHIFT) | event.state, b""
    head = b""
    if not event_filter & EventFilter.NO_TICK_FIELD:
        head += (event.tick & 0xFFFF).to_bytes(2, "big")
    if not event_filter & EventFilter.NO_LINE_FIELD:
        head += bytes([event.line])
    return Message(Cmd.EVENT, head + bytes([status]) + tail)


def decode_event(payload: bytes, event_filter: EventFilter = EventFilter.NONE) -> Event | None:
    """Parse a 0x31 payload; ``None`` for event types this subset does not use (buffer, macro)."""
    pos, tick, line = 0, 0, 0
    if not event_filter & EventFilter.NO_TICK_FIELD:
        if len(payload) < 2:
            raise LubaDecodeError("event too short for its tick field")
        tick, pos = int.from_bytes(payload[0:2], "big"), 2
    if not event_filter & EventFilter.NO_LINE_FIELD:
        if len(payload) <= pos:
            raise LubaDecodeError("event too short for its line field")
        line, pos = payload[pos], pos + 1
    if len(payload) <= pos:
        raise LubaDecodeError("event without a status byte")
    status, rest = payload[pos], payload[pos + 1 :]
    kind, info = status >> _TYPE_SHIFT, status & _INFO_MASK
    if kind == EventType.FRAME_SENT:
        if not rest:
            raise LubaDecodeError("frame-sent event without a transmit id")
        return FrameSent(line=line, tx_id=rest[0], data=bytes(rest[1:]), tick=tick)
    if kind == EventType.FRAME_RECEIVED:
        if info in (ReceiveError.FRAMING_ERROR, ReceiveError.START_STOP_ONLY):
            return FrameError(line=line, error=ReceiveError(info), tick=tick)
        if not 1 <= info <= 32 or len(rest) != (info + 7) // 8:
            raise LubaDecodeError(f"frame-received event of {info} bits carries {len(rest)} bytes")
        return FrameReceived(line=line, data=bytes(rest), tick=tick)
    if kind == EventType.BUS_POWER:
        try:
            return BusPower(line=line, state=BusPowerState(info), tick=tick)
        except ValueError as err:
            raise LubaDecodeError(f"unknown bus power state {info}") from err
    return None


# --- device info, settings, line status ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class DeviceInfo:
    """0x21 (info set 0): what the gateway is."""

    gtin: int
    serial: int
    pcb_version: int
    assembly_version: int
    article_number: int

    def encode(self) -> Message:
        """The 0x21 message."""
        payload = (
            self.gtin.to_bytes(6, "big")
            + self.serial.to_bytes(8, "big")
            + bytes([self.pcb_version, self.assembly_version])
            + self.article_number.to_bytes(4, "big")
        )
        return Message(Cmd.DEVICE_INFO, payload)

    @classmethod
    def decode(cls, payload: bytes) -> DeviceInfo:
        """Parse a 0x21 payload of info set 0."""
        if len(payload) != DEVICE_INFO_LEN:
            raise LubaDecodeError(f"device info (set 0) must be {DEVICE_INFO_LEN} bytes, got {len(payload)}")
        return cls(
            gtin=int.from_bytes(payload[0:6], "big"),
            serial=int.from_bytes(payload[6:14], "big"),
            pcb_version=payload[14],
            assembly_version=payload[15],
            article_number=int.from_bytes(payload[16:20], "big"),
        )


def query_device_info() -> Message:
    """0x20 asking for info set 0."""
    return Message(Cmd.QUERY_DEVICE_INFO, b"\x00")


@dataclass(frozen=True, slots=True)
class Settings:
    """0x2A (write) and 0x2B (the gateway's settings after the write): mode, event filter, hardware."""

    mode: int = 0
    event_filter: EventFilter = EventFilter.NO_BUFFER_EVENTS | EventFilter.NO_MACRO_EVENTS
    bus_power: bool = False

    def encode(self, cmd: Cmd = Cmd.SETTINGS) -> Message:
        """The settings message (write by default, or the reply)."""
        return Message(cmd, bytes([self.mode, int(self.event_filter), HW_BUS_POWER_ON if self.bus_power else 0]))

    @classmethod
    def decode(cls, payload: bytes) -> Settings:
        """Parse a settings payload (2 or 3 bytes; the hardware byte is optional in replies)."""
        if len(payload) not in (2, 3):
            raise LubaDecodeError(f"settings must be 2 or 3 bytes, got {len(payload)}")
        hardware = payload[2] if len(payload) == 3 else 0
        return cls(mode=payload[0], event_filter=EventFilter(payload[1]), bus_power=bool(hardware & HW_BUS_POWER_ON))


def read_status(line: int) -> Message:
    """0x2C asking for the status of ``line``."""
    return Message(Cmd.READ_STATUS, bytes([line]))


@dataclass(frozen=True, slots=True)
class LineStatus:
    """0x2D: a line's status (bit 7 of the status byte: no bus voltage)."""

    line: int
    bus_voltage_error: bool
    tick: int = 0
    last_tx_id: int = 0
    queued: int = 0

    def encode(self) -> Message:
        """The 0x2D message: line, tick (2), id, number of entries, status."""
        status = LINE_STATUS_BUS_VOLTAGE_ERROR if self.bus_voltage_error else 0
        payload = bytes([self.line]) + (self.tick & 0xFFFF).to_bytes(2, "big")
        return Message(Cmd.STATUS_REPLY, payload + bytes([self.last_tx_id & 0xFF, self.queued & 0xFF, status]))

    @classmethod
    def decode(cls, payload: bytes) -> LineStatus:
        """Parse a 0x2D payload (one byte means the line does not exist)."""
        if len(payload) == 1:
            raise LubaDecodeError(f"line {payload[0]} does not exist on this gateway")
        if len(payload) < 6:
            raise LubaDecodeError(f"line status must be 6 bytes, got {len(payload)}")
        return cls(
            line=payload[0],
            tick=int.from_bytes(payload[1:3], "big"),
            last_tx_id=payload[3],
            queued=payload[4],
            bus_voltage_error=bool(payload[5] & LINE_STATUS_BUS_VOLTAGE_ERROR),
        )
