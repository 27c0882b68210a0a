"""Frame-count minimisation: zones become the fewest DALI frames and MQTT messages."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st

from drivers.dali.addressing import Target
from edge.lighting.cover import cover
from edge.lighting.planner import LineKey, LineTopology, plan_dali, plan_mqtt

BUS = LineKey("gw1", 0)
OTHER = LineKey("gw1", 1)


def line_of_64_in_groups_of_8() -> LineTopology:
    return LineTopology.from_memberships({s: {s // 8} for s in range(64)})


def test_a_zone_that_is_a_whole_group_costs_one_frame_not_64() -> None:
    topology = {BUS: line_of_64_in_groups_of_8()}
    plan = plan_dali(((BUS, s) for s in range(16, 24)), topology)
    assert plan.frames == {BUS: (Target.group(2),)}
    assert plan.frame_count == 1


def test_a_zone_that_is_the_whole_line_is_one_broadcast() -> None:
    plan = plan_dali(((BUS, s) for s in range(64)), {BUS: line_of_64_in_groups_of_8()})
    assert plan.frames == {BUS: (Target.broadcast(),)}


def test_without_known_groups_every_gear_is_addressed() -> None:
    plan = plan_dali(((BUS, s) for s in range(10)), {BUS: LineTopology(frozenset(range(64)))})
    assert plan.frame_count == 10
    assert all(t.kind == "short" for t in plan.frames[BUS])


def test_groups_plus_individual_addresses() -> None:
    zone = [*range(0, 16), 20, 33, 63]
    plan = plan_dali(((BUS, s) for s in zone), {BUS: line_of_64_in_groups_of_8()})
    assert plan.frames[BUS] == (
        Target.group(0),
        Target.group(1),
        Target.short(20),
        Target.short(33),
        Target.short(63),
    )


def test_a_group_reaching_outside_the_zone_is_never_used() -> None:
    plan = plan_dali(((BUS, s) for s in range(7)), {BUS: line_of_64_in_groups_of_8()})
    assert Target.group(0) not in plan.frames[BUS]
    assert plan.frame_count == 7


def test_lines_are_planned_separately_and_busiest_line_sets_wire_time() -> None:
    topology = {BUS: line_of_64_in_groups_of_8(), OTHER: LineTopology(frozenset(range(4)))}
    zone = [(BUS, s) for s in range(8)] + [(OTHER, 0), (OTHER, 1)]
    plan = plan_dali(zone, topology)
    assert plan.frames[BUS] == (Target.group(0),)
    assert plan.frames[OTHER] == (Target.short(0), Target.short(1))
    assert plan.frame_count == 3 and plan.busiest_line_frames == 2


def test_exact_search_beats_the_greedy_trap() -> None:
    """Greedy would take the big middle group first and need three frames; two suffice."""
    groups = {0: frozenset(range(1, 7)), 1: frozenset(range(7, 13)), 2: frozenset({1, 2, 3, 7, 8, 9, 10})}
    assert cover(frozenset(range(1, 13)), groups).messages == 2


def test_mqtt_group_topic_versus_per_node_messages() -> None:
    nodes = [f"sl-{n:05d}" for n in range(10_000)]
    groups = {f"street-{g}": frozenset(nodes[g * 100 : (g + 1) * 100]) for g in range(100)}
    whole = plan_mqtt(nodes[:100], groups)
    assert whole.groups == ("street-0",) and whole.nodes == ()
    mixed = plan_mqtt([*nodes[100:300], nodes[500]], groups)
    assert mixed.groups == ("street-1", "street-2") and mixed.nodes == ("sl-00500",)
    assert plan_mqtt(nodes[:99], groups).message_count == 99


def brute_force_cost(wanted: frozenset[int], groups: dict[int, frozenset[int]]) -> int:
    usable = [m for m in groups.values() if m <= wanted]
    best = len(wanted)
    for r in range(1, len(usable) + 1):
        for combo in itertools.combinations(usable, r):
            best = min(best, r + len(wanted - frozenset().union(*combo)))
    return best


@settings(max_examples=150, deadline=None)
@given(
    st.frozensets(st.integers(0, 15), min_size=1, max_size=16),
    st.dictionaries(st.integers(0, 6), st.frozensets(st.integers(0, 15), min_size=1, max_size=8), max_size=7),
)
def test_cover_is_exact_and_optimal(wanted: frozenset[int], groups: dict[int, frozenset[int]]) -> None:
    found = cover(wanted, groups)
    reached = frozenset(found.singles).union(*(groups[g] for g in found.groups))
    assert reached == wanted  # everything wanted, nothing else
    assert all(groups[g] <= wanted for g in found.groups)
    assert found.messages == brute_force_cost(wanted, groups)


def test_gear_with_unknown_groups_forbid_group_frames_outside_the_zone() -> None:
    key = LineKey("gw", 0)
    topology = LineTopology(
        frozenset(range(8)), {0: frozenset({0, 1, 2, 3}), 1: frozenset({4, 5})}, unknown=frozenset({6})
    )
    # gear 6 did not say which groups it is in: group 0 might reach it, so zone 0-3 costs four short frames
    plan = plan_dali([(key, s) for s in range(4)], {key: topology})
    assert plan.frames[key] == tuple(Target.short(s) for s in range(4))
    # a zone that holds gear 6 may use groups: whatever they reach of gear 6 is wanted anyway
    plan = plan_dali([(key, s) for s in (0, 1, 2, 3, 6)], {key: topology})
    assert plan.frames[key] == (Target.group(0), Target.short(6))
