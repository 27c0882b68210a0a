"""Controller replies (ACK with fields, NAK with a code) and their typed readings. No I/O.

Reply fields where protocols.md is silent: ``PG`` → ``mode,active calls,open faults``; ``CS`` → ``call id``;
``ZS`` → ``first zone,zone count,entry…`` with ``I`` idle, ``F`` fault, ``B<call id><priority>`` busy;
``FL`` → ``fault count,entry…`` with entry ``fid:TYPE:WHERE:<A|R><U|K>`` (active/resolved,
unacknowledged/acknowledged); ``DT`` → ``type,firmware``. NAK 04 and NAK 05 carry the refusing zones' bitmap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum, IntEnum

from drivers.pa.errors import BadField
from drivers.pa.faults import FaultType, Where, encode_fault_id, parse_fault_id, parse_fault_type
from drivers.pa.frames import Frame, Status
from drivers.pa.zones import decode_call_id, decode_zones, describe_zones, encode_call_id, encode_zones

_NUM = re.compile(r"^[0-9]{1,3}$")
_BUSY = re.compile(r"^B(?P<call>[0-9A-F]{4})(?P<prio>[0-9]{1,3})$")


class NakCode(IntEnum):
    """The first field of a NAK."""

    CHECKSUM = 1
    UNKNOWN_COMMAND = 2
    BAD_FIELD = 3
    ZONE_BUSY = 4
    ZONE_FAULT = 5
    UNKNOWN_ID = 6
    EMERGENCY_LOCK = 7
    UNKNOWN_CALL = 8


NAK_SENTENCES = {
    NakCode.CHECKSUM: "the controller received a corrupted frame (checksum error)",
    NakCode.UNKNOWN_COMMAND: "the controller does not know this command",
    NakCode.BAD_FIELD: "the controller rejected a field of the command as malformed or out of range",
    NakCode.ZONE_BUSY: "busy with a call of equal or higher priority",
    NakCode.ZONE_FAULT: "in fault (line or amplifier), so the controller will not use them",
    NakCode.UNKNOWN_ID: "the controller holds no message or chime with this id",
    NakCode.EMERGENCY_LOCK: "the PA is in emergency mode: only emergency-priority calls (224 and above) are accepted"
    " until the emergency is reset",
    NakCode.UNKNOWN_CALL: "the controller has no call with this id (it may already have ended)",
}


@dataclass(frozen=True)
class Nak:
    """A refusal: ``code``, and for ZONE_BUSY / ZONE_FAULT the zones concerned."""

    code: NakCode
    zones: frozenset[int] | None = None

    def sentence(self) -> str:
        """What an operator is told."""
        text = NAK_SENTENCES[self.code]
        if self.code in (NakCode.ZONE_BUSY, NakCode.ZONE_FAULT):
            where = describe_zones(self.zones) if self.zones else "some zones"
            verb = "is" if self.zones is not None and len(self.zones) == 1 else "are"
            return f"{where} {verb} {text}"
        return text

    def fields(self) -> tuple[str, ...]:
        code = f"{self.code.value:02d}"
        return (code,) if self.zones is None else (code, encode_zones(self.zones))


@dataclass(frozen=True)
class Ack:
    """An acceptance; ``fields`` are read by the typed helpers below according to the command."""

    fields: tuple[str, ...] = ()


Reply = Ack | Nak


class Mode(Enum):
    """Controller mode reported by a poll."""

    NORMAL = "N"
    EMERGENCY = "E"
    FAULT = "F"


@dataclass(frozen=True)
class PollStatus:
    """Answer to ``PG``."""

    mode: Mode
    active_calls: int
    open_faults: int

    def fields(self) -> tuple[str, ...]:
        return (self.mode.value, str(self.active_calls), str(self.open_faults))


@dataclass(frozen=True)
class ZoneEntry:
    """One zone in a ``ZS`` reply: idle, in fault, or busy with ``call_id`` at ``priority``."""

    state: str  # "I", "F" or "B"
    call_id: int | None = None
    priority: int | None = None

    def encode(self) -> str:
        if self.state == "B":
            assert self.call_id is not None and self.priority is not None
            return f"B{encode_call_id(self.call_id)}{self.priority}"
        return self.state


@dataclass(frozen=True)
class ZonePage:
    """Answer to ``ZS``: entries of zones ``first`` … ``first + len(entries) - 1`` of ``total``."""

    first: int
    total: int
    entries: tuple[ZoneEntry, ...]

    def fields(self) -> tuple[str, ...]:
        return (str(self.first), str(self.total), *(e.encode() for e in self.entries))


@dataclass(frozen=True)
class FaultRecord:
    """One fault in an ``FL`` reply (or the controller's fault table)."""

    fault_id: int
    kind: FaultType
    where: Where
    active: bool
    acknowledged: bool

    def encode(self) -> str:
        flags = ("A" if self.active else "R") + ("K" if self.acknowledged else "U")
        return f"{encode_fault_id(self.fault_id)}:{self.kind.value}:{self.where.encode()}:{flags}"

    @classmethod
    def parse(cls, text: str) -> FaultRecord:
        parts = text.split(":")
        if len(parts) != 4 or len(parts[3]) != 2 or parts[3][0] not in "AR" or parts[3][1] not in "UK":
            raise BadField(f"fault entry {text!r} is not fid:TYPE:WHERE:<A|R><U|K>")
        return cls(
            parse_fault_id(parts[0]),
            parse_fault_type(parts[1]),
            Where.parse(parts[2]),
            parts[3][0] == "A",
            parts[3][1] == "K",
        )


@dataclass(frozen=True)
class FaultPage:
    """Answer to ``FL``: ``total`` faults listed, this page's ``records``."""

    total: int
    records: tuple[FaultRecord, ...]

    def fields(self) -> tuple[str, ...]:
        return (str(self.total), *(r.encode() for r in self.records))


@dataclass(frozen=True)
class DeviceInfo:
    """Answer to ``DT``."""

    device_type: str
    firmware: str

    def fields(self) -> tuple[str, ...]:
        return (self.device_type, self.firmware)


def _num(text: str, what: str) -> int:
    if not _NUM.match(text):
        raise BadField(f"{what} {text!r} is not a number")
    return int(text)


def _count(fields: tuple[str, ...], n: int, what: str) -> None:
    if len(fields) != n:
        raise BadField(f"{what} reply has {len(fields)} fields, expected {n}")


def read_poll(ack: Ack) -> PollStatus:
    """The fields of an ACK to ``PG``."""
    _count(ack.fields, 3, "PG")
    try:
        mode = Mode(ack.fields[0])
    except ValueError as err:
        raise BadField(f"mode {ack.fields[0]!r} is not N, E or F") from err
    return PollStatus(mode, _num(ack.fields[1], "active calls"), _num(ack.fields[2], "open faults"))


def read_call_id(ack: Ack) -> int:
    """The call id in an ACK to ``CS``."""
    _count(ack.fields, 1, "CS")
    return decode_call_id(ack.fields[0])


def read_zone_page(ack: Ack) -> ZonePage:
    """The fields of an ACK to ``ZS``."""
    if len(ack.fields) < 2:
        raise BadField("ZS reply lacks first zone and zone count")
    entries = []
    for text in ack.fields[2:]:
        if text in ("I", "F"):
            entries.append(ZoneEntry(text))
            continue
        m = _BUSY.match(text)
        if not m or int(m["prio"]) > 255:
            raise BadField(f"zone entry {text!r} is not I, F or B<call id><priority>")
        entries.append(ZoneEntry("B", decode_call_id(m["call"]), int(m["prio"])))
    return ZonePage(_num(ack.fields[0], "first zone"), _num(ack.fields[1], "zone count"), tuple(entries))


def read_fault_page(ack: Ack) -> FaultPage:
    """The fields of an ACK to ``FL``."""
    if not ack.fields:
        raise BadField("FL reply lacks the fault count")
    return FaultPage(_num(ack.fields[0], "fault count"), tuple(FaultRecord.parse(t) for t in ack.fields[1:]))


def read_device_info(ack: Ack) -> DeviceInfo:
    """The fields of an ACK to ``DT``."""
    _count(ack.fields, 2, "DT")
    return DeviceInfo(ack.fields[0], ack.fields[1])


def reply_frame(request: Frame, reply: Reply) -> Frame:
    """The frame answering ``request`` (same ADDR/CMD/SEQ)."""
    if isinstance(reply, Nak):
        return Frame(request.address, request.command, request.seq, reply.fields(), Status.NAK)
    return Frame(request.address, request.command, request.seq, reply.fields, Status.ACK)


def parse_reply(frame: Frame) -> Reply:
    """The ACK or NAK carried by a reply frame."""
    if frame.status is Status.ACK:
        return Ack(frame.fields)
    if frame.status is not Status.NAK:
        raise BadField(f"{frame.command} frame is not a reply (no ACK/NAK)", frame.header)
    if not frame.fields:
        return Nak(NakCode.CHECKSUM)  # a bare NAK frame: the controller could not read ours
    try:
        code = NakCode(_num(frame.fields[0], "NAK code"))
    except ValueError as err:
        raise BadField(f"NAK code {frame.fields[0]!r} is not 01-08", frame.header) from err
    zones = decode_zones(frame.fields[1]) if len(frame.fields) > 1 else None
    return Nak(code, zones)
