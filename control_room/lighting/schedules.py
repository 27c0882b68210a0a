"""Splitting one schedule document into the part each lighting node runs."""

from __future__ import annotations

from collections.abc import Mapping

from edge.contract.lighting_schedule import ScheduleConfig


class UnknownZones(ValueError):
    """The document names zones no lighting node has."""

    def __init__(self, zones: list[str]) -> None:
        super().__init__(f"schedule names zone(s) no lighting node has: {', '.join(zones)}")
        self.zones = zones


def split_by_node(doc: ScheduleConfig, zones_of: Mapping[str, set[str]]) -> dict[str, ScheduleConfig]:
    """Each node gets the profiles and calendars, and the zone assignments of its own zones only."""
    owner = {zone: node for node, zones in zones_of.items() for zone in zones}
    unknown = sorted(z for z in doc.zones if z not in owner)
    if unknown:
        raise UnknownZones(unknown)
    return {
        node: doc.model_copy(update={"zones": {z: c for z, c in doc.zones.items() if owner[z] == node}})
        for node in zones_of
    }
