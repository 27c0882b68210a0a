"""Fault kinds and locations of the PA protocol. No I/O.

``where`` is ``Znn`` for a zone line (zone nn, 1-32), ``Ann`` for an amplifier (nn, 1-99) and ``SYS`` for the
controller itself (mains, battery, charger, message store, communications).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from drivers.pa.errors import BadField
from drivers.pa.zones import MAX_ZONES

_WHERE = re.compile(r"^(?:(?P<kind>[ZA])(?P<num>[0-9]{2})|SYS)$")
_FID = re.compile(r"^[0-9A-F]{4}$")


class FaultType(Enum):
    """What failed, as the controller's line supervision reports it."""

    LINE_OPEN = "LINE_OPEN"
    LINE_SHORT = "LINE_SHORT"
    EARTH = "EARTH"
    AMP = "AMP"
    MAINS = "MAINS"
    BATTERY = "BATTERY"
    CHARGER = "CHARGER"
    MSG_STORE = "MSG_STORE"
    COMMS = "COMMS"


ZONE_FAULTS = frozenset({FaultType.LINE_OPEN, FaultType.LINE_SHORT, FaultType.EARTH})

FAULT_SENTENCES = {
    FaultType.LINE_OPEN: "loudspeaker line open circuit",
    FaultType.LINE_SHORT: "loudspeaker line short circuit",
    FaultType.EARTH: "earth fault on the loudspeaker line",
    FaultType.AMP: "amplifier failure",
    FaultType.MAINS: "mains power failure",
    FaultType.BATTERY: "standby battery fault",
    FaultType.CHARGER: "battery charger fault",
    FaultType.MSG_STORE: "message store fault",
    FaultType.COMMS: "loss of communication with the host",
}


@dataclass(frozen=True)
class Where:
    """A fault location: a zone line, an amplifier, or the controller (``kind`` ``Z``, ``A`` or ``SYS``)."""

    kind: str
    number: int = 0

    def __post_init__(self) -> None:
        if self.kind == "SYS":
            if self.number:
                raise BadField("a SYS location has no number")
        elif self.kind == "Z":
            if not 1 <= self.number <= MAX_ZONES:
                raise BadField(f"zone {self.number} is outside 1-{MAX_ZONES}")
        elif self.kind == "A":
            if not 1 <= self.number <= 99:
                raise BadField(f"amplifier {self.number} is outside 1-99")
        else:
            raise BadField(f"fault location kind {self.kind!r} is not Z, A or SYS")

    def encode(self) -> str:
        """``Z03``, ``A02`` or ``SYS``."""
        return "SYS" if self.kind == "SYS" else f"{self.kind}{self.number:02d}"

    @classmethod
    def parse(cls, text: str) -> Where:
        """The location written ``Z03``, ``A02`` or ``SYS``."""
        m = _WHERE.match(text)
        if not m:
            raise BadField(f"fault location {text!r} is not Znn, Ann or SYS")
        return cls("SYS") if text == "SYS" else cls(m["kind"], int(m["num"]))

    def describe(self) -> str:
        """``zone 3``, ``amplifier 2`` or ``the controller``."""
        return {"Z": f"zone {self.number}", "A": f"amplifier {self.number}"}.get(self.kind, "the controller")


def parse_fault_type(text: str) -> FaultType:
    """A fault type by its protocol name."""
    try:
        return FaultType(text)
    except ValueError as err:
        raise BadField(f"fault type {text!r} is unknown") from err


def encode_fault_id(fid: int) -> str:
    """A fault id as 4 hex digits."""
    if not 0 <= fid <= 0xFFFF:
        raise BadField(f"fault id {fid} is outside 0000-FFFF")
    return f"{fid:04X}"


def parse_fault_id(text: str) -> int:
    """A fault id from 4 hex digits."""
    if not _FID.match(text):
        raise BadField(f"fault id {text!r} is not 4 uppercase hex digits")
    return int(text, 16)


def describe_fault(kind: FaultType, where: Where) -> str:
    """``loudspeaker line open circuit on zone 3``."""
    return f"{FAULT_SENTENCES[kind]} on {where.describe()}"
