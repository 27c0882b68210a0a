"""Controller → host events (``EV`` frames, the controller's own SEQ; the host must ACK each). No I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from drivers.pa.errors import BadField
from drivers.pa.faults import FaultType, Where, encode_fault_id, parse_fault_id, parse_fault_type
from drivers.pa.frames import EVENT_COMMAND, Frame, Status
from drivers.pa.zones import decode_call_id, decode_zones, encode_call_id, encode_zones

_SIGNED = re.compile(r"^(?P<sign>[-+])(?P<bits>.*)$")


class CallState(Enum):
    """States a call reports in ``EV CALL``."""

    START = "START"
    STARTCHIME = "STARTCHIME"
    MESSAGES = "MESSAGES"
    LIVESPEECH = "LIVESPEECH"
    END = "END"
    ABORT = "ABORT"
    REPLAY = "REPLAY"


class EmergencyState(Enum):
    """States reported in ``EV EMERG``."""

    ACTIVE = "ACTIVE"
    ACK = "ACK"
    RESET = "RESET"


@dataclass(frozen=True)
class CallEvent:
    """``EV CALL,<id>,<state>,<zones>``."""

    call_id: int
    state: CallState
    zones: frozenset[int]

    def fields(self) -> tuple[str, ...]:
        return ("CALL", encode_call_id(self.call_id), self.state.value, encode_zones(self.zones))


@dataclass(frozen=True)
class ChangeEvent:
    """``EV CHANGE,<id>,-<zones lost>,+<zones gained>`` (pre-emption, or a zone dropped for a fault)."""

    call_id: int
    lost: frozenset[int]
    gained: frozenset[int]

    def fields(self) -> tuple[str, ...]:
        return ("CHANGE", encode_call_id(self.call_id), "-" + encode_zones(self.lost), "+" + encode_zones(self.gained))


@dataclass(frozen=True)
class TimeoutEvent:
    """``EV TIMEOUT,<id>,<zones not reached>`` (a stacked call gave up on some zones)."""

    call_id: int
    zones: frozenset[int]

    def fields(self) -> tuple[str, ...]:
        return ("TIMEOUT", encode_call_id(self.call_id), encode_zones(self.zones))


@dataclass(frozen=True)
class FaultEvent:
    """``EV FAULT,<fid>,NEW|RESOLVED,<type>,<where>``."""

    fault_id: int
    new: bool
    kind: FaultType
    where: Where

    def fields(self) -> tuple[str, ...]:
        state = "NEW" if self.new else "RESOLVED"
        return ("FAULT", encode_fault_id(self.fault_id), state, self.kind.value, self.where.encode())


@dataclass(frozen=True)
class EmergencyEvent:
    """``EV EMERG,ACTIVE|ACK|RESET``."""

    state: EmergencyState

    def fields(self) -> tuple[str, ...]:
        return ("EMERG", self.state.value)


Event = CallEvent | ChangeEvent | TimeoutEvent | FaultEvent | EmergencyEvent


def event_frame(event: Event, address: int, seq: int) -> Frame:
    """The ``EV`` frame carrying ``event``."""
    return Frame(address, EVENT_COMMAND, seq, event.fields())


def _signed(text: str, sign: str) -> frozenset[int]:
    m = _SIGNED.match(text)
    if not m or m["sign"] != sign:
        raise BadField(f"zone change {text!r} does not start with {sign!r}")
    return decode_zones(m["bits"])


def _parse(fields: tuple[str, ...]) -> Event:
    if not fields:
        raise BadField("EV frame has no fields")
    kind, args = fields[0], fields[1:]
    if kind == "CALL" and len(args) == 3:
        try:
            state = CallState(args[1])
        except ValueError as err:
            raise BadField(f"call state {args[1]!r} is unknown") from err
        return CallEvent(decode_call_id(args[0]), state, decode_zones(args[2]))
    if kind == "CHANGE" and len(args) == 3:
        return ChangeEvent(decode_call_id(args[0]), _signed(args[1], "-"), _signed(args[2], "+"))
    if kind == "TIMEOUT" and len(args) == 2:
        return TimeoutEvent(decode_call_id(args[0]), decode_zones(args[1]))
    if kind == "FAULT" and len(args) == 4:
        if args[1] not in ("NEW", "RESOLVED"):
            raise BadField(f"fault state {args[1]!r} is not NEW or RESOLVED")
        return FaultEvent(parse_fault_id(args[0]), args[1] == "NEW", parse_fault_type(args[2]), Where.parse(args[3]))
    if kind == "EMERG" and len(args) == 1:
        try:
            return EmergencyEvent(EmergencyState(args[0]))
        except ValueError as err:
            raise BadField(f"emergency state {args[0]!r} is not ACTIVE, ACK or RESET") from err
    raise BadField(f"event {kind!r} with {len(args)} fields is not a known event")


def parse_event(frame: Frame) -> Event:
    """The typed event in an ``EV`` frame (:class:`BadField` naming the defect)."""
    if frame.command != EVENT_COMMAND or frame.status is not Status.NONE:
        raise BadField(f"{frame.command} frame is not an event", frame.header)
    try:
        return _parse(frame.fields)
    except BadField as err:
        raise BadField(f"EV: {err.sentence}", frame.header) from err


def ack_frame(event: Frame) -> Frame:
    """The host's ACK of an event frame (same ADDR/CMD/SEQ, no fields)."""
    return Frame(event.address, event.command, event.seq, (), Status.ACK)
