"""The announcement engine's rules, as pure functions (no I/O, no clocks), tested table by table.

- A zone is held by at most one announcement. A candidate with a strictly higher priority pre-empts the holder,
  zone by zone; at equal or lower priority it queues (first come, first served among equals); a zone in fault
  fails at once.
- Spoken text needs the single line input as well: a higher priority takes it from the speaker now using it
  (whose whole round stops), otherwise the candidate waits for it.
- A zone lost to pre-emption is replayed by the controller for emergency-band calls (protocol rule), queued again
  for ``resume`` policy, and dropped for ``drop``.
- An announcement's state summarises its zones: playing if any plays, else queued if any waits; once all are
  terminal, completed only if all completed, otherwise the worst outcome (failed > preempted > cancelled >
  expired).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import Enum

from edge.pa.model import PreemptPolicy, State
from edge.pa.priorities import PRIORITY_VALUES, PriorityName, is_emergency


class Decision(Enum):
    """What a candidate gets for one zone."""

    PLAY = "play"
    PREEMPT = "preempt"
    QUEUE = "queue"
    FAIL = "fail"


class AfterPreemption(Enum):
    """What becomes of a zone an announcement lost to a higher priority."""

    CONTROLLER_RESUMES = "controller_resumes"
    REQUEUE = "requeue"
    DROP = "drop"


@dataclass(frozen=True)
class Claim:
    """An announcement competing for zones: its id, priority and arrival order."""

    ann_id: str
    priority: int
    seq: int


@dataclass(frozen=True)
class Candidate:
    """An announcement with zones waiting."""

    claim: Claim
    zones: frozenset[int]
    needs_line: bool = False


@dataclass
class Grant:
    """The plan for one candidate: zones to play now, zones taken from others, zones left waiting or failed."""

    ann_id: str
    play: set[int] = field(default_factory=set)
    preempt: dict[int, str] = field(default_factory=dict)  # zone -> ann id of the loser
    queue: set[int] = field(default_factory=set)
    fail: set[int] = field(default_factory=set)
    line_taken_from: str | None = None

    @property
    def starts(self) -> set[int]:
        """Zones the candidate starts in now."""
        return self.play | set(self.preempt)


def decide(holder: Claim | None, candidate: Claim, faulted: bool) -> Decision:
    """One zone: fail if in fault, play if free, pre-empt a strictly lower holder, else queue."""
    if faulted:
        return Decision.FAIL
    if holder is None or holder.ann_id == candidate.ann_id:
        return Decision.PLAY
    return Decision.PREEMPT if candidate.priority > holder.priority else Decision.QUEUE


def default_policy(priority: int) -> PreemptPolicy:
    """Evacuate and alert resume; announcements, routine and background are dropped."""
    return PreemptPolicy.RESUME if priority >= PRIORITY_VALUES[PriorityName.ALERT] else PreemptPolicy.DROP


def after_preemption(priority: int, policy: PreemptPolicy) -> AfterPreemption:
    """What happens to a lost zone: the controller resumes emergency calls; otherwise the policy decides."""
    if is_emergency(priority):
        return AfterPreemption.CONTROLLER_RESUMES
    return AfterPreemption.REQUEUE if policy is PreemptPolicy.RESUME else AfterPreemption.DROP


def arrival_order(candidates: Iterable[Candidate]) -> list[Candidate]:
    """Highest priority first; among equals, first come first served."""
    return sorted(candidates, key=lambda c: (-c.claim.priority, c.claim.seq))


def plan(
    holders: Mapping[int, Claim | None],
    faulted: AbstractSet[int],
    line_holder: Claim | None,
    candidates: Sequence[Candidate],
) -> list[Grant]:
    """Allocate zones (and the line) to waiting candidates, in priority order; holders are updated as it goes."""
    held = dict(holders)
    line = line_holder
    grants = []
    for cand in arrival_order(candidates):
        grant = Grant(cand.claim.ann_id)
        for zone in sorted(cand.zones):
            holder = held.get(zone)
            decision = decide(holder, cand.claim, zone in faulted)
            if decision is Decision.FAIL:
                grant.fail.add(zone)
            elif decision is Decision.PLAY:
                grant.play.add(zone)
            elif decision is Decision.PREEMPT:
                assert holder is not None
                grant.preempt[zone] = holder.ann_id
            else:
                grant.queue.add(zone)
        if cand.needs_line and grant.starts:
            line_decision = decide(line, cand.claim, False)
            if line_decision is Decision.QUEUE:
                grant.queue |= grant.starts
                grant.play.clear()
                grant.preempt.clear()
            elif line_decision is Decision.PREEMPT:
                assert line is not None
                grant.line_taken_from = line.ann_id
        for zone in grant.starts:
            held[zone] = cand.claim
        if cand.needs_line and grant.starts:
            line = cand.claim
        grants.append(grant)
    return grants


_WORST_FIRST = (State.FAILED, State.PREEMPTED, State.CANCELLED, State.EXPIRED)


def aggregate(states: Iterable[State]) -> State:
    """An announcement's state from its zones' states."""
    items = list(states)
    if not items:
        return State.FAILED
    if State.PLAYING in items:
        return State.PLAYING
    if State.QUEUED in items:
        return State.QUEUED
    if all(s is State.COMPLETED for s in items):
        return State.COMPLETED
    return next(s for s in _WORST_FIRST if s in items)
