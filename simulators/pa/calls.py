"""A call inside the simulated controller: its zones, its programs (first play and replays) and its recording."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from drivers.pa.codec import EMERGENCY_MIN, Handling
from simulators.pa.recorder import CallRecording


@dataclass
class Program:
    """One run of chime + content for some zones (the first play, or a replay of a stacked call)."""

    t0: float
    zones: set[int]
    replay: bool = False
    content_at: float = 0.0
    timers: list[asyncio.TimerHandle] = field(default_factory=list)
    done: bool = False

    def clear_timers(self) -> None:
        for timer in self.timers:
            timer.cancel()
        self.timers.clear()

    def cancel(self) -> None:
        self.clear_timers()
        self.done = True


@dataclass
class Call:
    """A running call."""

    call_id: int
    priority: int
    chime_id: int
    messages: tuple[int, ...]
    line: bool
    repeat: int | None
    handling: Handling
    live: bool
    requested: frozenset[int]
    started: float
    recording: CallRecording
    message_lengths: tuple[float, ...] = ()
    chime_s: float = 0.0
    zones: set[int] = field(default_factory=set)
    pending: set[int] = field(default_factory=set)
    completed: set[int] = field(default_factory=set)
    programs: list[Program] = field(default_factory=list)
    deadline: asyncio.TimerHandle | None = None
    stopping: bool = False
    chime_started_at: float | None = None

    @property
    def plays(self) -> int | None:
        """How many times the messages play (None: until stopped)."""
        return None if self.repeat is None else self.repeat + 1

    @property
    def resumable(self) -> bool:
        """Stacked calls, and emergency calls pre-empted by another emergency, get lost zones back afterwards."""
        return self.handling is Handling.STACKED or self.priority >= EMERGENCY_MIN

    @property
    def play_s(self) -> float:
        return sum(self.message_lengths)

    def live_programs(self) -> list[Program]:
        return [p for p in self.programs if not p.done]

    def next_boundary(self, program: Program, now: float) -> float:
        """When the message playing in ``program`` at ``now`` ends (``stop after the current message``)."""
        if self.line or not self.message_lengths:
            return now
        if now < program.content_at:
            return program.content_at + self.message_lengths[0]
        elapsed = now - program.content_at
        play = int(elapsed // self.play_s) if self.play_s else 0
        t = program.content_at + play * self.play_s
        for length in self.message_lengths:
            t += length
            if t > now:
                return t
        return t
