"""Zones as the engine tracks them: who holds each one, and which faults the controller reported."""

from __future__ import annotations

from drivers.pa.codec import ZONE_FAULTS, FaultEvent, FaultRecord, FaultType, ZoneEntry, describe_fault
from edge.pa.model import FaultSnapshot


class ZoneBook:
    """Holders, controller status and faults of the configured zones."""

    def __init__(self, names: dict[int, str], amplifiers: dict[int, list[int]] | None = None) -> None:
        self.names = dict(names)
        self.amplifiers = amplifiers or {}
        self.holder: dict[int, str | None] = dict.fromkeys(names)
        self.suspended: dict[int, list[str]] = {z: [] for z in names}
        self.controller: dict[int, ZoneEntry] = {}
        self.faults: dict[int, FaultSnapshot] = {}

    def release(self, zone: int, ann_id: str) -> None:
        """``ann_id`` no longer holds ``zone``; a suspended emergency call waiting for it takes it back."""
        if self.holder.get(zone) == ann_id:
            self.holder[zone] = self.suspended[zone].pop() if self.suspended[zone] else None
        if ann_id in self.suspended.get(zone, []):
            self.suspended[zone].remove(ann_id)

    def call_holds(self, zones: frozenset[int] | set[int], call_id: int, priority: int) -> None:
        """Our call now holds ``zones`` at the controller (keeps the controller view current between ZS reads)."""
        for zone in zones:
            if zone in self.names:
                self.controller[zone] = ZoneEntry("B", call_id, priority)

    def call_left(self, zones: frozenset[int] | set[int], call_id: int) -> None:
        """Our call no longer holds ``zones`` (or, with no zones given, any zone)."""
        for zone, entry in list(self.controller.items()):
            if entry.call_id == call_id and (not zones or zone in zones):
                self.controller[zone] = ZoneEntry("F" if self._zone_faults(zone) else "I")

    def faulted(self, zone: int) -> bool:
        """In fault: an active line fault on the zone, or the controller reports it in fault."""
        entry = self.controller.get(zone)
        return bool(self._zone_faults(zone)) or (entry is not None and entry.state == "F")

    def fault_reason(self, zone: int) -> str:
        """A sentence naming the fault that takes ``zone`` out of service."""
        own = self._zone_faults(zone)
        if own:
            return f"zone {zone} is in fault: {own[0].description}"
        amps = [f for f in self.faults.values() if f.active and f.kind == FaultType.AMP.value]
        if amps and (not amps[0].zones or zone in amps[0].zones):
            return f"zone {zone} is in fault: {amps[0].description}"
        return f"zone {zone} is reported in fault by the controller"

    def explain_loss(self, zone: int) -> str | None:
        """Why the controller took ``zone`` out of a call, if a fault explains it.

        An amplifier fault whose zones are not known yet (no amplifier map configured, zone status not yet
        re-read) is taken to be the cause, and the zone is attributed to it.
        """
        if self.faulted(zone):
            return self.fault_reason(zone)
        for fid, f in self.faults.items():
            if f.active and f.kind == FaultType.AMP.value and not f.zones:
                self.faults[fid] = FaultSnapshot(f.fault_id, f.kind, f.where, f.description, True, (zone,))
                return f"zone {zone} is in fault: {f.description}"
        return None

    def _zone_faults(self, zone: int) -> list[FaultSnapshot]:
        return [f for f in self.faults.values() if f.active and zone in f.zones]

    def on_fault(self, event: FaultEvent) -> FaultSnapshot:
        """Record a FAULT event; returns the fault's snapshot."""
        zones: tuple[int, ...] = ()
        if event.kind in ZONE_FAULTS and event.where.kind == "Z":
            zones = (event.where.number,)
        elif event.kind is FaultType.AMP and event.where.kind == "A":
            zones = tuple(sorted(self.amplifiers.get(event.where.number, [])))
        snap = FaultSnapshot(
            event.fault_id,
            event.kind.value,
            event.where.encode(),
            describe_fault(event.kind, event.where),
            event.new,
            zones,
        )
        self.faults[event.fault_id] = snap
        return snap

    def load_faults(self, records: list[FaultRecord]) -> list[FaultSnapshot]:
        """Replace the fault table with the controller's list (after a reconnect)."""
        self.faults.clear()
        for r in records:
            self.on_fault(FaultEvent(r.fault_id, r.active, r.kind, r.where))
        return list(self.faults.values())

    def amp_zones(self) -> None:
        """Attribute zones the controller reports in fault to active amplifier faults (for sentences)."""
        line = {z for f in self.faults.values() if f.active and f.kind != FaultType.AMP.value for z in f.zones}
        faulted = tuple(sorted(z for z, e in self.controller.items() if e.state == "F" and z not in line))
        for fid, f in list(self.faults.items()):
            if f.active and f.kind == FaultType.AMP.value:
                self.faults[fid] = FaultSnapshot(f.fault_id, f.kind, f.where, f.description, True, faulted)
