"""Contract states of the lighting devices, built from the zones, the target book and the energy ledger."""

from __future__ import annotations

import datetime as dt

from edge.contract.lighting import LightingControllerState, LightingZoneState, OverrideView, ScheduleView
from edge.lighting.energy import EnergyLedger
from edge.lighting.overrides import Override
from edge.lighting.targets import TargetBook
from edge.lighting.zone import MAX_LISTED, ZoneController


def override_view(o: Override) -> OverrideView:
    """An override as the contract shows it."""
    return OverrideView(
        id=o.id,
        level=o.level,
        priority=o.priority,
        kind=o.kind,
        reason=o.reason,
        issued_by=o.issued_by,
        starts_at=o.starts_at,
        expires_at=o.expires_at,
        approval=o.approval,
    )


def zone_state(zone: ZoneController, book: TargetBook, energy: EnergyLedger, now: dt.datetime) -> LightingZoneState:
    """Commanded vs reported, the override in force, the schedule and today's energy of a zone."""
    summary = zone.summary()
    target = book.target(zone.id, now)
    winning = target.override if target else None
    scheduled = target.scheduled if target else book.scheduled(zone.id, now)
    schedule = None
    if scheduled is not None and book.schedule is not None:
        schedule = ScheduleView(
            calendar=book.schedule.zones[zone.id],
            level=scheduled.level,
            profile=scheduled.profile,
            step=scheduled.step,
            next_change=scheduled.next_change,
        )
    measured, estimated = energy.kwh(zone.id, energy.day_of(now))
    hardware: dict[str, int] = {}
    for hw, lums in zone.parts:
        hardware[hw.kind] = hardware.get(hw.kind, 0) + len(lums)
    return LightingZoneState(
        commanded=zone.commanded,
        reported=summary.lowest,
        luminaires=len(zone.luminaires),
        online=summary.online,
        at_level=summary.at_level,
        faults=sorted(summary.faults)[:MAX_LISTED],
        revert_at=winning.expires_at.isoformat() if winning else None,
        source=zone.source,
        override=override_view(winning) if winning else None,
        overrides=[override_view(o) for o in book.stack(zone.id, now)],
        schedule=schedule,
        hardware=hardware,
        not_at_level=sorted(zone.not_at_level)[:MAX_LISTED],
        energy_today_kwh=round(measured + estimated, 6),
    )


def controller_state(book: TargetBook) -> LightingControllerState:
    """The node's schedule document and where it came from."""
    return LightingControllerState(
        schedule=book.schedule,
        source=book.schedule_source,
        updated_at=book.updated_at,
        updated_by=book.updated_by,
        zones=sorted(book.zones),
    )
