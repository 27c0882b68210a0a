"""Energy per zone and day from the edges' ``lighting.energy`` events (the latest report of a day wins).

Edges report each zone's running total for the local day every few minutes and a final figure after midnight;
the events travel through the edge's outbox (kept while the broker is away, replayed on request), so the
control room needs no table of its own: it reads the reports of the asked-for days back from the event store.
"""

from __future__ import annotations

import datetime as dt
import logging

from pydantic import BaseModel, Field, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from control_room.store.models import Event
from edge.contract.lighting import ENERGY_EVENT, EnergyReport

log = logging.getLogger(__name__)

MAX_DAYS = 366


class EnergyDay(BaseModel):
    """One zone on one local day."""

    day: dt.date = Field(description="Local date.")
    kwh: float = Field(description="Total (measured + estimated).")
    measured_kwh: float = Field(description="From street-light node meters.")
    estimated_kwh: float = Field(description="DALI gear: level x rated power over time.")
    final: bool = Field(description="The day is over and this is its last report.")


class ZoneEnergy(BaseModel):
    """One zone over the period."""

    zone: str = Field(description="Zone id.")
    node_id: str = Field(description="Edge node.")
    days: list[EnergyDay] = Field(description="Days with a report, oldest first.")
    kwh: float = Field(description="Sum over the days.")


class EnergyPublic(BaseModel):
    """Energy per zone and day."""

    from_day: dt.date = Field(alias="from", description="First day (inclusive).")
    to_day: dt.date = Field(alias="to", description="Last day (inclusive).")
    zones: list[ZoneEnergy] = Field(description="Zones with reports in the period.")
    kwh: float = Field(description="Sum over every zone and day.")

    model_config = {"populate_by_name": True}


def energy_report(s: Session, first: dt.date, last: dt.date) -> EnergyPublic:
    """Per zone and day between ``first`` and ``last`` (inclusive), from the latest report of each day."""
    # A day's reports are sent during the day and just after it (local days are at most 14 h off UTC).
    lo = dt.datetime.combine(first - dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    hi = dt.datetime.combine(last + dt.timedelta(days=2), dt.time(), tzinfo=dt.UTC)
    rows = s.execute(
        select(Event.node_id, Event.device_id, Event.ts, Event.data)
        .where(Event.type == ENERGY_EVENT, Event.ts >= lo, Event.ts < hi)
        .order_by(Event.ts, Event.id)
    )
    latest: dict[tuple[str, str, str], EnergyReport] = {}
    for node_id, device_id, _ts, data in rows:
        try:
            report = EnergyReport.model_validate(data)
        except ValidationError as err:
            log.warning("ignored a malformed energy report from %s/%s: %s", node_id, device_id, err)
            continue
        if first.isoformat() <= report.day <= last.isoformat():
            key = (node_id, report.zone, report.day)
            if key not in latest or not latest[key].final:
                latest[key] = report
    by_zone: dict[tuple[str, str], list[EnergyDay]] = {}
    for (node_id, zone, _day), r in sorted(latest.items()):
        by_zone.setdefault((node_id, zone), []).append(
            EnergyDay(
                day=dt.date.fromisoformat(r.day),
                kwh=r.kwh,
                measured_kwh=r.measured_kwh,
                estimated_kwh=r.estimated_kwh,
                final=r.final,
            )
        )
    zones = [
        ZoneEnergy(zone=zone, node_id=node_id, days=days, kwh=round(sum(d.kwh for d in days), 6))
        for (node_id, zone), days in sorted(by_zone.items(), key=lambda kv: (kv[0][1], kv[0][0]))
    ]
    return EnergyPublic(from_day=first, to_day=last, zones=zones, kwh=round(sum(z.kwh for z in zones), 6))
