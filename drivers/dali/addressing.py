"""Who a DALI forward frame is for: one gear (short 0-63), a group (0-15) or every gear on the line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from dali import address

SHORTS = range(64)
GROUPS = range(16)

Kind = Literal["short", "group", "broadcast"]


@dataclass(frozen=True, slots=True, order=True)
class Target:
    """A DALI gear address, independent of python-dali so pure planners can use it."""

    kind: Kind
    number: int = 0

    def __post_init__(self) -> None:
        if self.kind == "short" and self.number not in SHORTS:
            raise ValueError(f"DALI short address {self.number} out of range 0-63")
        if self.kind == "group" and self.number not in GROUPS:
            raise ValueError(f"DALI group {self.number} out of range 0-15")
        if self.kind == "broadcast" and self.number != 0:
            raise ValueError("a broadcast target has no number")

    @classmethod
    def short(cls, number: int) -> Target:
        """One gear by short address."""
        return cls("short", number)

    @classmethod
    def group(cls, number: int) -> Target:
        """Every gear in group ``number``."""
        return cls("group", number)

    @classmethod
    def broadcast(cls) -> Target:
        """Every gear on the line."""
        return cls("broadcast")

    def to_dali(self) -> address.GearAddress:
        """The python-dali address object."""
        if self.kind == "short":
            return address.GearShort(self.number)
        if self.kind == "group":
            return address.GearGroup(self.number)
        return address.GearBroadcast()

    def __str__(self) -> str:
        return "broadcast" if self.kind == "broadcast" else f"{self.kind} {self.number}"
