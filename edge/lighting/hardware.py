"""What the lighting service needs of each kind of lighting hardware (MQTT street-light nodes, DALI gear).

A zone may hold luminaires of both kinds; the service asks each kind to set its share of the zone, in the fewest
messages or frames, and to say which luminaires confirmed the level.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from edge.contract.lighting import LuminaireState
from edge.contract.payloads import DeviceDescription


@dataclass
class ApplyResult:
    """Outcome of setting some luminaires to a level."""

    level: int
    reached: set[str] = field(default_factory=set)
    missing: list[str] = field(default_factory=list)
    messages: int = 0
    frames: int = 0
    elapsed_s: float = 0.0
    errors: list[tuple[str, str]] = field(default_factory=list)
    """(code, sentence) of what went wrong beyond single luminaires, e.g. an unreachable broker or gateway."""

    def merge(self, other: ApplyResult) -> ApplyResult:
        """Both results together (hardware kinds run side by side, so the elapsed time is the longer one)."""
        return ApplyResult(
            self.level,
            self.reached | other.reached,
            sorted(set(self.missing) | set(other.missing)),
            self.messages + other.messages,
            self.frames + other.frames,
            max(self.elapsed_s, other.elapsed_s),
            self.errors + other.errors,
        )


@dataclass
class Summary:
    """A zone's share of luminaires on one kind of hardware, summed up."""

    online: int = 0
    lowest: int | None = None
    at_level: int = 0
    faults: list[str] = field(default_factory=list)

    def add(self, other: Summary) -> Summary:
        """Both shares together."""
        lows = [v for v in (self.lowest, other.lowest) if v is not None]
        return Summary(
            self.online + other.online,
            min(lows, default=None),
            self.at_level + other.at_level,
            self.faults + other.faults,
        )


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a luminaire is: its zone and the labels used in alerts."""

    zone: str
    zone_label: str
    location: str | None


class Listener(Protocol):
    """How hardware tells the service that something changed (called on the event loop)."""

    def changed(self, device: str) -> None:
        """A luminaire's or gateway's state changed (publish it; energy; reconciliation)."""

    def returned(self, luminaires: Iterable[str]) -> None:
        """Luminaires are reachable again (back online, bus power back): give them their zone's level."""


class Hardware(ABC):
    """One kind of lighting hardware on this node."""

    kind: Literal["mqtt", "dali"]

    @abstractmethod
    def luminaires(self) -> list[str]:
        """Ids of every luminaire this hardware reaches."""

    @abstractmethod
    def descriptions(self) -> list[DeviceDescription]:
        """Device descriptions of its luminaires (and gateways) for the birth message."""

    @abstractmethod
    async def start(self) -> None:
        """Connect in the background; never block on unreachable hardware."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop every task, thread and connection."""

    async def ready(self, timeout: float) -> None:
        """Wait (at most ``timeout``) until the hardware is reachable; return quietly either way."""
        return None

    @abstractmethod
    async def apply(self, luminaires: Sequence[str], level: int, fade_ms: int, tag: str) -> ApplyResult:
        """Set the luminaires to ``level`` % in the fewest messages/frames; report which confirmed it."""

    @abstractmethod
    async def resend(self, luminaires: Sequence[str], level: int, tag: str) -> ApplyResult:
        """Set each luminaire individually (a retry for those that did not follow)."""

    async def requery(self, luminaires: Sequence[str]) -> None:
        """Refresh what the luminaires report (DALI: QUERY ACTUAL LEVEL). Default: nothing to ask."""
        return None

    @abstractmethod
    def reachable(self, luminaire: str) -> bool:
        """The luminaire can be commanded now (online, its bus powered, its gateway connected)."""

    @abstractmethod
    def at_level(self, luminaire: str, level: int) -> bool:
        """The luminaire last reported ``level`` %."""

    @abstractmethod
    def state(self, luminaire: str) -> LuminaireState | None:
        """The luminaire's state, or ``None`` before anything is known."""

    def summarise(self, luminaires: Sequence[str], commanded: int | None) -> Summary:
        """Online count, lowest reported level, how many are at ``commanded``, which have faults."""
        out = Summary()
        for lum in luminaires:
            st = self.state(lum)
            if st is None:
                continue
            if st.faults:
                out.faults.append(lum)
            if not st.online:
                continue
            out.online += 1
            if st.level is not None:
                out.lowest = st.level if out.lowest is None else min(out.lowest, st.level)
            if commanded is not None and self.at_level(lum, commanded):
                out.at_level += 1
        return out

    @abstractmethod
    def energy_input(self, luminaire: str) -> tuple[Literal["meter", "power"], float | None]:
        """What feeds the energy ledger: a meter reading in Wh, or an estimated power in W."""

    def extra_states(self) -> dict[str, tuple[str, dict[str, Any]]]:
        """States of devices other than luminaires (gateways), by device id: (kind, state)."""
        return {}

    def health(self) -> dict[str, Any]:
        """A health summary."""
        return {}
