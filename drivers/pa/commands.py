"""Typed host → controller commands of the PA protocol and their fields. No I/O.

Where protocols.md is silent this module fixes the form (and the docs say so): message ids and chime ids are two
hex digits; ``repeat`` is the number of repeats after the first play (``0`` plays once, ``I`` until stopped);
``ZS`` and ``FL`` take an optional first field, the first zone / first fault index of the page asked for (a reply
must fit the 256-byte frame); ``TM`` carries UTC time as ``YYYYMMDDhhmmss``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from typing import ClassVar

from drivers.pa.errors import BadField, UnknownCommand
from drivers.pa.frames import Frame
from drivers.pa.zones import MAX_ZONES, check_priority, decode_call_id, decode_zones, encode_call_id, encode_zones

LINE = "LINE"
_HEX2 = re.compile(r"^[0-9A-F]{2}$")
_DEC = re.compile(r"^[0-9]{1,3}$")


class Handling(Enum):
    """How a call treats zones it cannot have: refuse all (N), start in the free ones (P), queue and replay (S)."""

    NON_PARTIAL = "N"
    PARTIAL = "P"
    STACKED = "S"


def _id(value: int, what: str) -> str:
    if not 0 <= value <= 0xFF:
        raise BadField(f"{what} {value} is outside 00-FF")
    return f"{value:02X}"


def _parse_id(text: str, what: str) -> int:
    if not _HEX2.match(text):
        raise BadField(f"{what} {text!r} is not two uppercase hex digits")
    return int(text, 16)


def _parse_dec(text: str, what: str, low: int, high: int) -> int:
    if not _DEC.match(text) or not low <= int(text) <= high:
        raise BadField(f"{what} {text!r} is not a number {low}-{high}")
    return int(text)


def _no_fields(code: str, fields: tuple[str, ...]) -> None:
    if fields:
        raise BadField(f"{code} takes no fields, got {len(fields)}")


@dataclass(frozen=True)
class _NoFields:
    CODE: ClassVar[str] = ""

    def fields(self) -> tuple[str, ...]:
        return ()

    @classmethod
    def parse(cls, fields: tuple[str, ...]) -> _NoFields:
        _no_fields(cls.CODE, fields)
        return cls()


@dataclass(frozen=True)
class Poll(_NoFields):
    """``PG``: are you there; the reply carries mode, active calls and open faults."""

    CODE: ClassVar[str] = "PG"


@dataclass(frozen=True)
class FaultAcknowledge(_NoFields):
    """``FK``: acknowledge every open fault."""

    CODE: ClassVar[str] = "FK"


@dataclass(frozen=True)
class FaultReset(_NoFields):
    """``FR``: reset every fault (refused while one is unresolved)."""

    CODE: ClassVar[str] = "FR"


@dataclass(frozen=True)
class EmergencyAcknowledge(_NoFields):
    """``EK``: acknowledge the emergency state."""

    CODE: ClassVar[str] = "EK"


@dataclass(frozen=True)
class EmergencyReset(_NoFields):
    """``ER``: leave emergency mode (refused while an emergency call still holds zones)."""

    CODE: ClassVar[str] = "ER"


@dataclass(frozen=True)
class DeviceType(_NoFields):
    """``DT``: device type and firmware."""

    CODE: ClassVar[str] = "DT"


@dataclass(frozen=True)
class StartCall:
    """``CS``: start a call in ``zones`` with pre-recorded ``messages`` or the ``line`` input."""

    CODE: ClassVar[str] = "CS"
    zones: frozenset[int]
    priority: int
    chime: int = 0
    messages: tuple[int, ...] = ()
    line: bool = False
    repeat: int | None = 0
    handling: Handling = Handling.PARTIAL
    live: bool = False

    def __post_init__(self) -> None:
        if not self.zones:
            raise BadField("a call needs at least one zone")
        check_priority(self.priority)
        _id(self.chime, "chime id")
        if self.line == bool(self.messages):
            raise BadField("a call plays either pre-recorded messages or the LINE input")
        for msg in self.messages:
            if not 1 <= msg <= 0xFF:
                raise BadField(f"message id {msg} is outside 01-FF")
        if self.repeat is not None and not 0 <= self.repeat <= 9:
            raise BadField(f"repeat {self.repeat} is outside 0-9 (None repeats until stopped)")

    def fields(self) -> tuple[str, ...]:
        msgs = LINE if self.line else "+".join(_id(m, "message id") for m in self.messages)
        return (
            encode_zones(self.zones),
            str(self.priority),
            _id(self.chime, "chime id"),
            msgs,
            "I" if self.repeat is None else str(self.repeat),
            self.handling.value,
            "1" if self.live else "0",
        )

    @classmethod
    def parse(cls, fields: tuple[str, ...]) -> StartCall:
        if len(fields) != 7:
            raise BadField(f"CS takes 7 fields (zones, prio, chime, msgs, repeat, handling, live), got {len(fields)}")
        zones, prio, chime, msgs, repeat, handling, live = fields
        if repeat != "I" and not re.match(r"^[0-9]$", repeat):
            raise BadField(f"repeat {repeat!r} is not 0-9 or I")
        try:
            hand = Handling(handling)
        except ValueError as err:
            raise BadField(f"handling {handling!r} is not N, P or S") from err
        if live not in ("0", "1"):
            raise BadField(f"live {live!r} is not 0 or 1")
        line = msgs == LINE
        ids = () if line else tuple(_parse_id(m, "message id") for m in msgs.split("+"))
        return cls(
            zones=decode_zones(zones),
            priority=_parse_dec(prio, "priority", 0, 255),
            chime=_parse_id(chime, "chime id"),
            messages=ids,
            line=line,
            repeat=None if repeat == "I" else int(repeat),
            handling=hand,
            live=live == "1",
        )


@dataclass(frozen=True)
class _CallIdCommand:
    CODE: ClassVar[str] = ""
    call_id: int

    def fields(self) -> tuple[str, ...]:
        return (encode_call_id(self.call_id),)

    @classmethod
    def parse(cls, fields: tuple[str, ...]) -> _CallIdCommand:
        if len(fields) != 1:
            raise BadField(f"{cls.CODE} takes one field (call id), got {len(fields)}")
        return cls(decode_call_id(fields[0]))


@dataclass(frozen=True)
class StopCall(_CallIdCommand):
    """``CX``: stop the call after the message now playing."""

    CODE: ClassVar[str] = "CX"


@dataclass(frozen=True)
class AbortCall(_CallIdCommand):
    """``CA``: abort the call now."""

    CODE: ClassVar[str] = "CA"


@dataclass(frozen=True)
class _PagedQuery:
    CODE: ClassVar[str] = ""
    first: int = 1

    def fields(self) -> tuple[str, ...]:
        return () if self.first == 1 else (str(self.first),)

    @classmethod
    def parse(cls, fields: tuple[str, ...]) -> _PagedQuery:
        if len(fields) > 1:
            raise BadField(f"{cls.CODE} takes at most one field (first item), got {len(fields)}")
        return cls(_parse_dec(fields[0], "first item", 1, 255) if fields else 1)


@dataclass(frozen=True)
class ZoneStatusQuery(_PagedQuery):
    """``ZS``: per-zone status, from zone ``first`` (one page per reply)."""

    CODE: ClassVar[str] = "ZS"

    def __post_init__(self) -> None:
        if not 1 <= self.first <= MAX_ZONES:
            raise BadField(f"first zone {self.first} is outside 1-{MAX_ZONES}")


@dataclass(frozen=True)
class FaultListQuery(_PagedQuery):
    """``FL``: the fault list, from the ``first``-th fault (one page per reply)."""

    CODE: ClassVar[str] = "FL"


@dataclass(frozen=True)
class SetTime:
    """``TM``: set the controller clock (UTC)."""

    CODE: ClassVar[str] = "TM"
    when: datetime = field(default_factory=lambda: datetime.now(UTC))

    def fields(self) -> tuple[str, ...]:
        return (self.when.astimezone(UTC).strftime("%Y%m%d%H%M%S"),)

    @classmethod
    def parse(cls, fields: tuple[str, ...]) -> SetTime:
        if len(fields) != 1 or not re.match(r"^[0-9]{14}$", fields[0]):
            raise BadField("TM takes one field, the UTC time as YYYYMMDDhhmmss")
        try:
            return cls(datetime.strptime(fields[0], "%Y%m%d%H%M%S").replace(tzinfo=UTC))
        except ValueError as err:
            raise BadField(f"time {fields[0]!r} is not a valid date and time") from err


HostCommand = (
    Poll
    | StartCall
    | StopCall
    | AbortCall
    | ZoneStatusQuery
    | FaultListQuery
    | FaultAcknowledge
    | FaultReset
    | EmergencyAcknowledge
    | EmergencyReset
    | DeviceType
    | SetTime
)

_BY_CODE: dict[str, type[HostCommand]] = {
    c.CODE: c
    for c in (
        Poll,
        StartCall,
        StopCall,
        AbortCall,
        ZoneStatusQuery,
        FaultListQuery,
        FaultAcknowledge,
        FaultReset,
        EmergencyAcknowledge,
        EmergencyReset,
        DeviceType,
        SetTime,
    )
}


def command_frame(command: HostCommand, address: int, seq: int) -> Frame:
    """The frame that carries ``command``."""
    return Frame(address, command.CODE, seq, command.fields())


def parse_command(frame: Frame) -> HostCommand:
    """The typed command in a host frame; :class:`UnknownCommand` or :class:`BadField` naming the defect."""
    cls = _BY_CODE.get(frame.command)
    if cls is None:
        raise UnknownCommand(f"{frame.command!r} is not a host command", frame.header)
    try:
        return cls.parse(frame.fields)  # type: ignore[return-value]
    except BadField as err:
        raise BadField(f"{frame.command}: {err.sentence}", frame.header) from err
