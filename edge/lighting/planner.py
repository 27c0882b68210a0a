"""Turn "zone Z to level L" into the fewest DALI frames and MQTT messages (pure; no I/O).

DALI: per line, a zone holding every gear on the line is one broadcast frame; otherwise groups that lie wholly
inside the zone, plus short addresses for the rest (:func:`edge.lighting.cover.cover`). MQTT street-light
nodes: group topics (``streetlights/v1/groups/{group}/set``) for groups wholly inside the zone, per-node
``set`` messages for the rest. Using a broadcast or group that reaches a luminaire outside the zone and then
"correcting" it is never done: that would make another zone's lights flicker.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from drivers.dali.addressing import Target
from edge.lighting.cover import cover


@dataclass(frozen=True, slots=True, order=True)
class LineKey:
    """One DALI line: a gateway (by configured id) and its line number."""

    gateway: str
    line: int


@dataclass(frozen=True, slots=True)
class LineTopology:
    """What is on a DALI line: every gear's short address and each group's members.

    ``unknown`` are gear whose group memberships could not be read (they did not answer QUERY GROUPS): any group
    might reach them, so group frames are used only for zones that contain all of them.
    """

    present: frozenset[int]
    groups: Mapping[int, frozenset[int]] = field(default_factory=dict)
    unknown: frozenset[int] = frozenset()

    @classmethod
    def from_memberships(cls, memberships: Mapping[int, Iterable[int]]) -> LineTopology:
        """Build from ``{short: groups of that gear}`` (e.g. from QUERY GROUPS or configuration)."""
        groups: dict[int, set[int]] = defaultdict(set)
        for short, gs in memberships.items():
            for g in gs:
                groups[g].add(short)
        return cls(frozenset(memberships), {g: frozenset(m) for g, m in groups.items()})


@dataclass(frozen=True, slots=True)
class DaliPlan:
    """Frames per line."""

    frames: Mapping[LineKey, tuple[Target, ...]]

    @property
    def frame_count(self) -> int:
        """Total frames over all lines."""
        return sum(len(targets) for targets in self.frames.values())

    @property
    def busiest_line_frames(self) -> int:
        """Frames on the busiest line: lines run in parallel, so this sets the wire time."""
        return max((len(t) for t in self.frames.values()), default=0)


@dataclass(frozen=True, slots=True)
class MqttPlan:
    """Group topics and per-node messages."""

    groups: tuple[str, ...]
    nodes: tuple[str, ...]

    @property
    def message_count(self) -> int:
        """Messages to publish."""
        return len(self.groups) + len(self.nodes)


def plan_dali(zone: Iterable[tuple[LineKey, int]], lines: Mapping[LineKey, LineTopology]) -> DaliPlan:
    """The fewest frames that set exactly the zone's gear (``(line, short)`` pairs) on every line."""
    wanted: dict[LineKey, set[int]] = defaultdict(set)
    for key, short in zone:
        Target.short(short)  # validates the address
        wanted[key].add(short)
    frames: dict[LineKey, tuple[Target, ...]] = {}
    for key, shorts in sorted(wanted.items()):
        topology = lines.get(key, LineTopology(frozenset()))
        members = frozenset(shorts)
        if topology.present and members >= topology.present:
            frames[key] = (Target.broadcast(),)
            continue
        # a group reaching a gear missing from ``present`` would reach it on the wire too: keep true members
        groups = {g: m for g, m in topology.groups.items() if m} if topology.unknown <= members else {}
        found = cover(members, groups)
        frames[key] = tuple(Target.group(g) for g in found.groups) + tuple(Target.short(s) for s in found.singles)
    return DaliPlan(frames)


def plan_mqtt(zone: Iterable[str], groups: Mapping[str, frozenset[str]]) -> MqttPlan:
    """The fewest street-light messages that set exactly the zone's nodes."""
    found = cover(frozenset(zone), groups)
    return MqttPlan(found.groups, found.singles)
