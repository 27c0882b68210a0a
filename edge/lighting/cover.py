"""Fewest addressed messages that reach exactly a wanted set: the set cover behind zone commands.

A message to a group reaches all of its members, so a group may be used only when every member is wanted
(otherwise a luminaire of another zone would change). Overlaps are harmless (the same level twice). The cost is
one message per group used plus one per wanted member no chosen group reaches. The search is exact when there
are at most ``EXACT_LIMIT`` useful groups (DALI has 16), greedy beyond that.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
T = TypeVar("T", bound=Hashable)

EXACT_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Cover(Generic[K, T]):
    """Groups to address and members to address one by one."""

    groups: tuple[K, ...]
    singles: tuple[T, ...]

    @property
    def messages(self) -> int:
        """How many messages the cover costs."""
        return len(self.groups) + len(self.singles)


def cover(wanted: frozenset[T], groups: Mapping[K, frozenset[T]]) -> Cover[K, T]:
    """The cheapest cover of ``wanted`` by groups that lie wholly inside it, plus singles."""
    useful = _useful_groups(wanted, groups)
    chosen = _exact(wanted, useful) if len(useful) <= EXACT_LIMIT else _greedy(wanted, useful)
    reached: set[T] = set()
    for key in chosen:
        reached |= groups[key]
    singles = tuple(sorted(wanted - reached, key=_sort_key))
    return Cover(tuple(sorted(chosen, key=_sort_key)), singles)


def _sort_key(x: object) -> tuple[str, str]:
    return (type(x).__name__, f"{x!s:>12}")


def _useful_groups(wanted: frozenset[T], groups: Mapping[K, frozenset[T]]) -> list[tuple[K, frozenset[T]]]:
    """Groups inside ``wanted`` with at least two members, minus those another group contains."""
    inside: dict[frozenset[T], K] = {}
    for key in sorted(groups, key=_sort_key):
        members = groups[key]
        if len(members) >= 2 and members <= wanted and members not in inside:
            inside[members] = key
    sets = sorted(inside, key=len, reverse=True)
    kept = [s for i, s in enumerate(sets) if not any(s < other for other in sets[:i])]
    return [(inside[s], s) for s in kept]


def _exact(wanted: frozenset[T], useful: list[tuple[K, frozenset[T]]]) -> list[K]:
    index = {member: i for i, member in enumerate(wanted)}
    masks = [sum(1 << index[m] for m in members) for _, members in useful]
    full = (1 << len(wanted)) - 1
    best_cost, best_pick = len(wanted), 0

    def search(i: int, covered: int, picked: int, used: int) -> None:
        nonlocal best_cost, best_pick
        cost = used + (full & ~covered).bit_count()
        if cost < best_cost:
            best_cost, best_pick = cost, picked
        if i == len(masks) or used + 1 >= best_cost:
            return
        if (masks[i] & ~covered).bit_count() >= 2:
            search(i + 1, covered | masks[i], picked | 1 << i, used + 1)
        search(i + 1, covered, picked, used)

    search(0, 0, 0, 0)
    return [key for i, (key, _) in enumerate(useful) if best_pick >> i & 1]


def _greedy(wanted: frozenset[T], useful: list[tuple[K, frozenset[T]]]) -> list[K]:
    uncovered = set(wanted)
    chosen: list[K] = []
    while True:
        key, members = max(useful, key=lambda kv: len(kv[1] & uncovered), default=(None, frozenset()))
        if key is None or len(members & uncovered) < 2:
            return chosen
        chosen.append(key)
        uncovered -= members
