"""The announcement engine's vocabulary: requests, lifecycle states, and the snapshots it reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum

from edge.contract.payloads import Approval


def utcnow() -> datetime:
    return datetime.now(UTC)


class State(StrEnum):
    """Lifecycle of an announcement and of each of its zones: queued → playing → a terminal state."""

    QUEUED = "queued"
    PLAYING = "playing"
    COMPLETED = "completed"
    PREEMPTED = "preempted"
    FAILED = "failed"
    CANCELLED = "cancelled"
    EXPIRED = "expired"

    @property
    def terminal(self) -> bool:
        """No way out, except PREEMPTED, which a resumed zone leaves for queued/playing."""
        return self not in (State.QUEUED, State.PLAYING)


class PreemptPolicy(StrEnum):
    """What happens to a zone taken by a higher priority: queued again and replayed, or dropped."""

    RESUME = "resume"
    DROP = "drop"


@dataclass(frozen=True)
class Request:
    """An announcement as the engine takes it (already resolved to zone numbers and a number priority)."""

    zones: frozenset[int]
    priority: int
    message_ids: tuple[int, ...] = ()
    text: str | None = None
    chime: int | None = None  # None: the configured chime for the priority
    repeat: int = 0  # repeats after the first play
    interval_s: float = 0.0  # pause between plays
    policy: PreemptPolicy | None = None  # None: resume for emergency/alert, drop below
    max_wait_s: float | None = None  # queued zones expire after this long (None: the configured default)
    label: str = ""
    origin: str = "operator"
    announcement_id: str | None = None
    approval: Approval | None = None  # a supervisor's approval (two-person rule), carried into every report

    @property
    def needs_line(self) -> bool:
        """Spoken text goes through the line input (one stream at a time)."""
        return self.text is not None


@dataclass(frozen=True)
class Transition:
    """One step of a lifecycle."""

    state: State
    at: datetime
    reason: str = ""


@dataclass
class ZoneOutcome:
    """One zone of one announcement."""

    zone: int
    state: State = State.QUEUED
    reason: str = ""
    plays: int = 0
    history: list[Transition] = field(default_factory=list)

    def move(self, state: State, reason: str = "") -> bool:
        """Change state (terminal states are final, but a pre-empted zone may resume); True if it changed."""
        resumed = self.state is State.PREEMPTED and state in (State.QUEUED, State.PLAYING)
        if (self.state.terminal and not resumed) or (state is self.state and reason == self.reason):
            return False
        self.state, self.reason = state, reason
        self.history.append(Transition(state, utcnow(), reason))
        return True


@dataclass
class AnnouncementSnapshot:
    """What the engine reports about an announcement."""

    id: str
    state: State
    priority: int
    zones: dict[int, ZoneOutcome]
    content: str
    created_at: datetime
    history: list[Transition]
    label: str = ""
    origin: str = "operator"
    reason: str = ""
    call_ids: list[int] = field(default_factory=list)
    approval: Approval | None = None


@dataclass(frozen=True)
class ZoneSnapshot:
    """A zone as the engine sees it: who holds it, what is waiting, whether it is in fault."""

    zone: int
    name: str
    busy_with: str | None
    priority: int | None
    queued: tuple[str, ...]
    faults: tuple[str, ...]
    controller: str  # last ZS entry: I, F, B<call><prio>, or "?" when unknown


@dataclass(frozen=True)
class FaultSnapshot:
    """A fault the controller reported."""

    fault_id: int
    kind: str
    where: str
    description: str
    active: bool
    zones: tuple[int, ...]


@dataclass(frozen=True)
class ControllerSnapshot:
    """The controller link and mode."""

    connection: str
    reason: str
    mode: str | None
    active_calls: int | None
    open_faults: int | None
