"""The priority / pre-emption rules of the announcement engine, table by table (pure functions)."""

from __future__ import annotations

import pytest

from edge.pa.model import PreemptPolicy, State
from edge.pa.priorities import priority_class, resolve_priority
from edge.pa.rules import (
    AfterPreemption,
    Candidate,
    Claim,
    Decision,
    after_preemption,
    aggregate,
    decide,
    default_policy,
    plan,
)

EVAC, ALERT, ANNOUNCE, ROUTINE, BACKGROUND = 250, 230, 160, 80, 16


def claim(name: str, priority: int, seq: int = 0) -> Claim:
    return Claim(name, priority, seq)


@pytest.mark.parametrize(
    ("holder", "candidate", "faulted", "expected"),
    [
        (None, ROUTINE, False, Decision.PLAY),
        (None, EVAC, True, Decision.FAIL),
        (ROUTINE, EVAC, True, Decision.FAIL),
        (ROUTINE, EVAC, False, Decision.PREEMPT),
        (ROUTINE, ALERT, False, Decision.PREEMPT),
        (ROUTINE, ANNOUNCE, False, Decision.PREEMPT),
        (BACKGROUND, ROUTINE, False, Decision.PREEMPT),
        (ALERT, EVAC, False, Decision.PREEMPT),
        (ROUTINE, ROUTINE, False, Decision.QUEUE),  # equal priority queues
        (EVAC, EVAC, False, Decision.QUEUE),
        (EVAC, ALERT, False, Decision.QUEUE),
        (ANNOUNCE, ROUTINE, False, Decision.QUEUE),
        (ROUTINE, BACKGROUND, False, Decision.QUEUE),
        (81, 80, False, Decision.QUEUE),
        (80, 81, False, Decision.PREEMPT),
    ],
)
def test_decide_one_zone(holder: int | None, candidate: int, faulted: bool, expected: Decision) -> None:
    held = claim("holder", holder) if holder is not None else None
    assert decide(held, claim("cand", candidate, 1), faulted) is expected


@pytest.mark.parametrize(
    ("priority", "policy", "expected"),
    [
        (EVAC, PreemptPolicy.DROP, AfterPreemption.CONTROLLER_RESUMES),
        (ALERT, PreemptPolicy.RESUME, AfterPreemption.CONTROLLER_RESUMES),
        (224, PreemptPolicy.DROP, AfterPreemption.CONTROLLER_RESUMES),
        (223, PreemptPolicy.RESUME, AfterPreemption.REQUEUE),
        (ANNOUNCE, PreemptPolicy.RESUME, AfterPreemption.REQUEUE),
        (ANNOUNCE, PreemptPolicy.DROP, AfterPreemption.DROP),
        (ROUTINE, PreemptPolicy.DROP, AfterPreemption.DROP),
        (BACKGROUND, PreemptPolicy.RESUME, AfterPreemption.REQUEUE),
    ],
)
def test_what_becomes_of_a_preempted_zone(priority: int, policy: PreemptPolicy, expected: AfterPreemption) -> None:
    assert after_preemption(priority, policy) is expected


@pytest.mark.parametrize(
    ("name", "value", "cls", "policy"),
    [
        ("evacuate", EVAC, "evacuate", PreemptPolicy.RESUME),
        ("alert", ALERT, "alert", PreemptPolicy.RESUME),
        ("announcement", ANNOUNCE, "announcement", PreemptPolicy.DROP),
        ("routine", ROUTINE, "routine", PreemptPolicy.DROP),
        ("background", BACKGROUND, "background", PreemptPolicy.DROP),
        (240, 240, "alert", PreemptPolicy.RESUME),
        (224, 224, "alert", PreemptPolicy.DROP),
        (100, 100, "routine", PreemptPolicy.DROP),
        (0, 0, "background", PreemptPolicy.DROP),
    ],
)
def test_priority_names_map_onto_controller_bands(name: str | int, value: int, cls: str, policy: PreemptPolicy) -> None:
    assert resolve_priority(name) == value
    assert priority_class(value).value == cls
    assert default_policy(value) is policy


@pytest.mark.parametrize("bad", ["panic", 256, -1, "250"])
def test_bad_priorities_are_refused(bad: str | int) -> None:
    with pytest.raises(ValueError, match="priority"):
        resolve_priority(bad)


# plan(): holders {zone: (ann, priority)}, faulted zones, line holder, candidates -> per candidate (play, preempt,
# queue, fail, line taken from)
PLAN_TABLE = [
    pytest.param(
        {},
        set(),
        None,
        [("a", ROUTINE, {1, 2}, False)],
        {"a": ({1, 2}, {}, set(), set(), None)},
        id="free zones play",
    ),
    pytest.param(
        {3: ("r", ROUTINE)},
        set(),
        None,
        [("e", EVAC, {3, 4}, False)],
        {"e": ({4}, {3: "r"}, set(), set(), None)},
        id="emergency pre-empts routine in the shared zone only",
    ),
    pytest.param(
        {3: ("r", ROUTINE)},
        set(),
        None,
        [("s", ROUTINE, {2, 3}, False)],
        {"s": ({2}, {}, {3}, set(), None)},
        id="equal priority waits for the shared zone, plays the rest",
    ),
    pytest.param(
        {},
        {2},
        None,
        [("a", ANNOUNCE, {1, 2, 3}, False)],
        {"a": ({1, 3}, {}, set(), {2}, None)},
        id="faulted zone fails, others play",
    ),
    pytest.param(
        {},
        set(),
        None,
        [("late", ROUTINE, {1}, False), ("early", ROUTINE, {1}, False)],
        {"early": ({1}, {}, set(), set(), None), "late": (set(), {}, {1}, set(), None)},
        id="among equals first come first served",
    ),
    pytest.param(
        {},
        set(),
        None,
        [("low", ROUTINE, {1, 2}, False), ("high", ALERT, {2}, False)],
        {"high": ({2}, {}, set(), set(), None), "low": ({1}, {}, {2}, set(), None)},
        id="higher candidate served first",
    ),
    pytest.param(
        {5: ("t", ROUTINE)},
        set(),
        ("t", ROUTINE),
        [("u", ROUTINE, {6}, True)],
        {"u": (set(), {}, {6}, set(), None)},
        id="speech waits for the line held at equal priority",
    ),
    pytest.param(
        {5: ("t", ROUTINE)},
        set(),
        ("t", ROUTINE),
        [("v", ALERT, {6}, True)],
        {"v": ({6}, {}, set(), set(), "t")},
        id="higher speech takes the line",
    ),
    pytest.param(
        {5: ("t", ROUTINE)},
        set(),
        ("t", ROUTINE),
        [("m", ROUTINE, {6}, False)],
        {"m": ({6}, {}, set(), set(), None)},
        id="pre-recorded messages do not need the line",
    ),
    pytest.param(
        {1: ("x", EVAC)},
        {1},
        None,
        [("y", EVAC, {1}, False)],
        {"y": (set(), {}, set(), {1}, None)},
        id="fault beats queueing",
    ),
]


@pytest.mark.parametrize(("holders", "faulted", "line", "candidates", "expected"), PLAN_TABLE)
def test_plan(
    holders: dict[int, tuple[str, int]],
    faulted: set[int],
    line: tuple[str, int] | None,
    candidates: list[tuple[str, int, set[int], bool]],
    expected: dict[str, tuple[set[int], dict[int, str], set[int], set[int], str | None]],
) -> None:
    held = {z: claim(a, p, -1) for z, (a, p) in holders.items()}
    line_claim = claim(*line, -1) if line else None  # type: ignore[misc]
    order = {"early": 1, "late": 2}
    cands = [
        Candidate(claim(name, prio, order.get(name, i)), frozenset(zones), needs_line)
        for i, (name, prio, zones, needs_line) in enumerate(candidates)
    ]
    grants = {g.ann_id: g for g in plan(held, faulted, line_claim, cands)}
    got = {a: (g.play, g.preempt, g.queue, g.fail, g.line_taken_from) for a, g in grants.items()}
    assert got == expected


@pytest.mark.parametrize(
    ("states", "overall"),
    [
        ([State.QUEUED, State.QUEUED], State.QUEUED),
        ([State.PLAYING, State.QUEUED], State.PLAYING),
        ([State.COMPLETED, State.PLAYING], State.PLAYING),
        ([State.COMPLETED, State.QUEUED], State.QUEUED),
        ([State.COMPLETED, State.COMPLETED], State.COMPLETED),
        ([State.COMPLETED, State.FAILED], State.FAILED),
        ([State.COMPLETED, State.PREEMPTED], State.PREEMPTED),
        ([State.CANCELLED, State.COMPLETED], State.CANCELLED),
        ([State.EXPIRED, State.EXPIRED], State.EXPIRED),
        ([State.PREEMPTED, State.FAILED, State.CANCELLED], State.FAILED),
    ],
)
def test_announcement_state_from_its_zones(states: list[State], overall: State) -> None:
    assert aggregate(states) is overall
