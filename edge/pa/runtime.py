"""Mutable runtime records of the engine: announcements in progress, their rounds, and zones."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from drivers.pa.codec import CallState
from drivers.pa.pcm import Pcm
from edge.pa.model import AnnouncementSnapshot, PreemptPolicy, Request, State, Transition, ZoneOutcome, utcnow
from edge.pa.rules import Claim, aggregate


@dataclass
class Round:
    """One go at playing an announcement in a set of zones: one controller call, or one per play with intervals."""

    ann: Ann
    zones: set[int]
    call_id: int | None = None
    started: asyncio.Event = field(default_factory=asyncio.Event)
    content: asyncio.Event = field(default_factory=asyncio.Event)
    ended: asyncio.Event = field(default_factory=asyncio.Event)
    end_state: CallState | None = None
    stop: tuple[State, str] | None = None
    yielding: dict[int, str] = field(default_factory=dict)
    suspended: set[int] = field(default_factory=set)
    task: asyncio.Task[None] | None = None
    chime_at: float | None = None
    progress: int = 0  # bumped by REPLAY/CHANGE: the call is still moving

    def new_call(self) -> None:
        self.call_id = None
        self.end_state = None
        for ev in (self.started, self.content, self.ended):
            ev.clear()


@dataclass
class Ann:
    """An announcement in progress."""

    id: str
    req: Request
    seq: int
    policy: PreemptPolicy
    chime: int
    content: str
    zones: dict[int, ZoneOutcome]
    waiting: set[int]
    created_at: datetime = field(default_factory=utcnow)
    history: list[Transition] = field(default_factory=list)
    state: State = State.QUEUED
    reason: str = ""
    pcm: Pcm | None = None
    ready: bool = True
    round: Round | None = None
    call_ids: list[int] = field(default_factory=list)
    prepare: asyncio.Task[None] | None = None
    expiry: asyncio.TimerHandle | None = None

    @property
    def priority(self) -> int:
        return self.req.priority

    def claim(self) -> Claim:
        return Claim(self.id, self.req.priority, self.seq)

    def refresh(self) -> bool:
        """Recompute the overall state from the zones; True if it changed."""
        state = aggregate(z.state for z in self.zones.values())
        if state is self.state and self.history:
            return False
        reasons = [f"zone {z.zone}: {z.reason}" for z in self.zones.values() if z.state is state and z.reason]
        self.state, self.reason = state, "; ".join(reasons[:8])
        self.history.append(Transition(state, utcnow(), self.reason))
        return True

    @property
    def finished(self) -> bool:
        return self.state.terminal and self.round is None and not self.waiting

    def snapshot(self) -> AnnouncementSnapshot:
        return AnnouncementSnapshot(
            id=self.id,
            state=self.state,
            priority=self.req.priority,
            zones={n: ZoneOutcome(z.zone, z.state, z.reason, z.plays, list(z.history)) for n, z in self.zones.items()},
            content=self.content,
            created_at=self.created_at,
            history=list(self.history),
            label=self.req.label,
            origin=self.req.origin,
            reason=self.reason,
            call_ids=list(self.call_ids),
            approval=self.req.approval,
        )
