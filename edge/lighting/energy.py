"""Energy per zone and local day: measured from street-light meters, estimated for DALI gear.

Street-light nodes report a cumulative meter (Wh); the difference between two readings is added to the day of the
later one (a meter that goes backwards was reset: its new reading is counted from zero). DALI gear report no
energy; their power is estimated from the level and the rated power and integrated over time, split at local
midnight. The ledger is saved to ``DATA_DIR/lighting/energy.json`` so a restart loses nothing but the interval
since the last save.
"""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from edge.lighting.persist import JsonDocument

log = logging.getLogger(__name__)


@dataclass
class _Estimate:
    zone: str
    watts: float
    since: dt.datetime


class EnergyLedger:
    """Watt-hours per zone and day, plus each estimated luminaire's running total."""

    def __init__(self, doc: JsonDocument, timezone: str, keep_days: int) -> None:
        self._doc = doc
        self.tz = ZoneInfo(timezone)
        self.keep_days = keep_days
        self.days: dict[str, dict[str, list[float]]] = {}  # zone -> day -> [measured Wh, estimated Wh]
        self.meters: dict[str, float] = {}
        self.estimated_wh: dict[str, float] = {}
        self._power: dict[str, _Estimate] = {}
        self._load()

    def day_of(self, t: dt.datetime) -> str:
        """The local date of ``t``."""
        return t.astimezone(self.tz).date().isoformat()

    def _add(self, zone: str, day: str, wh: float, slot: int) -> None:
        self.days.setdefault(zone, {}).setdefault(day, [0.0, 0.0])[slot] += wh

    # inputs --------------------------------------------------------------------------------------------------
    def meter(self, luminaire: str, zone: str, wh: float, t: dt.datetime) -> None:
        """A meter reading of a street-light node."""
        last = self.meters.get(luminaire)
        self.meters[luminaire] = wh
        if last is None:
            return
        delta = wh - last if wh >= last else wh
        if delta > 0:
            self._add(zone, self.day_of(t), delta, 0)

    def power(self, luminaire: str, zone: str, watts: float | None, t: dt.datetime) -> None:
        """The estimated power of a DALI luminaire from ``t`` on (``None``: unknown, counted as before)."""
        current = self._power.get(luminaire)
        if current is not None:
            self._integrate(luminaire, current, t)
        if watts is not None:
            self._power[luminaire] = _Estimate(zone, watts, t)
        elif current is not None:
            current.since = t

    def tick(self, t: dt.datetime) -> None:
        """Bring every estimate up to ``t``."""
        for luminaire, current in self._power.items():
            self._integrate(luminaire, current, t)

    def _integrate(self, luminaire: str, e: _Estimate, t: dt.datetime) -> None:
        start = e.since
        if t <= start:
            return
        total = 0.0
        while start < t:
            local = start.astimezone(self.tz)
            midnight = dt.datetime.combine(local.date() + dt.timedelta(days=1), dt.time(), tzinfo=self.tz)
            end = min(t, midnight.astimezone(dt.UTC))
            wh = e.watts * (end - start).total_seconds() / 3600
            self._add(e.zone, self.day_of(start), wh, 1)
            total += wh
            start = end
        self.estimated_wh[luminaire] = self.estimated_wh.get(luminaire, 0.0) + total
        e.since = t

    # outputs -------------------------------------------------------------------------------------------------
    def kwh(self, zone: str, day: str) -> tuple[float, float]:
        """(measured, estimated) kWh of ``zone`` on ``day``."""
        measured, estimated = self.days.get(zone, {}).get(day, [0.0, 0.0])
        return measured / 1000, estimated / 1000

    def prune(self, t: dt.datetime) -> None:
        """Forget days older than ``keep_days``."""
        oldest = (t.astimezone(self.tz).date() - dt.timedelta(days=self.keep_days)).isoformat()
        for days in self.days.values():
            for day in [d for d in days if d < oldest]:
                del days[day]

    def save(self) -> None:
        """Write the ledger to disk."""
        try:
            self._doc.save({"days": self.days, "meters": self.meters, "estimated_wh": self.estimated_wh})
        except OSError as err:
            log.error("cannot save the energy ledger to %s: %s", self._doc.path, err.strerror)

    def _load(self) -> None:
        doc = self._doc.load()
        if doc is None:
            return
        try:
            self.days = {
                str(z): {str(d): [float(v[0]), float(v[1])] for d, v in days.items()} for z, days in doc["days"].items()
            }
            self.meters = {str(k): float(v) for k, v in doc.get("meters", {}).items()}
            self.estimated_wh = {str(k): float(v) for k, v in doc.get("estimated_wh", {}).items()}
        except (KeyError, TypeError, ValueError, IndexError, AttributeError) as err:
            log.error("energy ledger %s is damaged (%s); starting afresh", self._doc.path, err)
            self.days, self.meters, self.estimated_wh = {}, {}, {}
