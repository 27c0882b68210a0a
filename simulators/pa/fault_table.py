"""The simulated controller's fault table: what line supervision found, active until resolved, listed until reset."""

from __future__ import annotations

from drivers.pa.codec import ZONE_FAULTS, FaultRecord, FaultType, Where


class FaultTable:
    """Faults by id, and which zones each takes out of service (line faults: the zone; amplifier: its zones)."""

    def __init__(self, zones: int, amplifiers: dict[int, frozenset[int]]) -> None:
        self.n_zones = zones
        self.amplifiers = amplifiers
        self.records: dict[int, FaultRecord] = {}
        self._next = 1

    def zones_of(self, kind: FaultType, where: Where) -> set[int]:
        """Zones put out of service by a fault."""
        if kind in ZONE_FAULTS and where.kind == "Z":
            return {where.number} if where.number <= self.n_zones else set()
        if kind is FaultType.AMP and where.kind == "A":
            return set(self.amplifiers.get(where.number, frozenset()))
        return set()

    def faulted(self, zone: int) -> bool:
        """Whether an active fault takes ``zone`` out of service."""
        return any(r.active and zone in self.zones_of(r.kind, r.where) for r in self.records.values())

    def active(self, kind: FaultType | None = None) -> list[FaultRecord]:
        """Unresolved faults (of one kind)."""
        return [r for r in self.records.values() if r.active and (kind is None or r.kind is kind)]

    def add(self, kind: FaultType, where: Where) -> FaultRecord:
        """A new, active, unacknowledged fault."""
        fid = self._next
        self._next = self._next % 0xFFFF + 1
        record = FaultRecord(fid, kind, where, True, False)
        self.records[fid] = record
        return record

    def resolve(self, fid: int) -> FaultRecord | None:
        """Mark a fault resolved; the record, or None if it already was (KeyError if unknown)."""
        rec = self.records.get(fid)
        if rec is None:
            raise KeyError(f"no fault {fid:04X}")
        if not rec.active:
            return None
        self.records[fid] = FaultRecord(rec.fault_id, rec.kind, rec.where, False, rec.acknowledged)
        return self.records[fid]

    def acknowledge_all(self) -> None:
        for fid, rec in self.records.items():
            self.records[fid] = FaultRecord(rec.fault_id, rec.kind, rec.where, rec.active, True)

    def reset(self) -> frozenset[int] | None:
        """Clear the list if nothing is active (None); otherwise the zones still in fault (maybe none)."""
        active = self.active()
        if active:
            return frozenset().union(*(self.zones_of(r.kind, r.where) for r in active))
        self.records.clear()
        return None
