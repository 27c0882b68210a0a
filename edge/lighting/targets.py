"""What level each zone should have: its schedule, the override stack and manual levels, kept on disk.

Precedence at time t: the highest-priority override in force (incident overrides 100 by default, an operator's
timed manual level 50), else the zone's schedule, else the last manual level set on a zone without a schedule.
A zone with none of these is left alone (``target`` is ``None``). The book survives restarts: it is saved to
``DATA_DIR/lighting/state.json`` after every change. A schedule replaced from the control room wins over the TOML
config until the config's own schedule is edited (its hash changes), which then wins again.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from edge.contract.lighting import MANUAL_PRIORITY, MAX_HOLD_S
from edge.contract.lighting_schedule import ScheduleConfig
from edge.lighting.overrides import Override, resolve
from edge.lighting.persist import JsonDocument
from edge.lighting.schedule import ScheduledLevel, level_at

log = logging.getLogger(__name__)

Source = Literal["schedule", "override", "manual"]


@dataclass(frozen=True, slots=True)
class Target:
    """The level a zone should have now, why, and until when that answer holds."""

    level: int
    source: Source
    override: Override | None
    until: dt.datetime | None
    scheduled: ScheduledLevel | None


def schedule_hash(schedule: ScheduleConfig | None) -> str:
    """A fingerprint of a schedule document (to notice that the TOML's schedule was edited)."""
    text = schedule.model_dump_json() if schedule is not None else "none"
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class TargetBook:
    """Schedule, overrides and manual levels of every zone of this node."""

    def __init__(self, zones: Iterable[str], configured: ScheduleConfig | None, doc: JsonDocument) -> None:
        self.zones = set(zones)
        self._doc = doc
        self._config_hash = schedule_hash(configured)
        self.schedule = configured
        self.schedule_source: Literal["config", "control_room", "none"] = "config" if configured else "none"
        self.updated_at: dt.datetime | None = None
        self.updated_by: str | None = None
        self.overrides: list[Override] = []
        self.manual: dict[str, int] = {}
        self._broken: set[str] = set()
        self._fallback: dict[str, int] = {}
        self._load()

    # queries -------------------------------------------------------------------------------------------------
    def scheduled(self, zone: str, t: dt.datetime) -> ScheduledLevel | None:
        """The zone's scheduled level at ``t``, or ``None`` when it follows no calendar."""
        if self.schedule is None or zone not in self.schedule.zones:
            return None
        try:
            found = level_at(self.schedule, zone, t)
        except ValueError as err:
            if zone not in self._broken:
                log.error("schedule of zone %s cannot be computed: %s", zone, err)
                self._broken.add(zone)
            return None
        self._broken.discard(zone)
        return found

    def target(self, zone: str, t: dt.datetime) -> Target | None:
        """The level ``zone`` should have at ``t``; ``None`` when nothing asks for any level."""
        scheduled = self.scheduled(zone, t)
        base = scheduled
        if base is None and zone in self.manual:
            base = ScheduledLevel(self.manual[zone], None, None, None, None)
        mine = [o for o in self.overrides if o.zone == zone]
        if base is None:
            live = [o for o in mine if o.active(t)]
            if not live:
                return None
            base = ScheduledLevel(0, None, None, None, None)  # never shown: an override is in force
        found = resolve(zone, t, base, mine)
        if found.override is not None:
            source: Source = "override" if found.override.kind == "incident" else "manual"
        else:
            source = "schedule" if scheduled is not None else "manual"
        return Target(found.level, source, found.override, found.until, scheduled)

    def stack(self, zone: str, t: dt.datetime) -> list[Override]:
        """Overrides of ``zone`` not yet expired, highest first."""
        live = [o for o in self.overrides if o.zone == zone and o.expires_at > t]
        return sorted(live, key=lambda o: (o.priority, o.starts_at), reverse=True)

    # changes -------------------------------------------------------------------------------------------------
    def add_override(self, override: Override) -> None:
        """Add an incident override (ids are unique: a repeated id replaces the earlier one)."""
        self._remember_base(override.zone, override.starts_at)
        self.overrides = [o for o in self.overrides if o.id != override.id] + [override]
        self.save()

    def set_manual(
        self, zone: str, level: int, t: dt.datetime, *, override_id: str, issued_by: str, duration_s: int | None
    ) -> Override | None:
        """An operator's level: held ``duration_s``, or until the schedule next changes; or, on a zone without a
        schedule and without a duration, the zone's new level. Replaces the zone's earlier manual level."""
        self.overrides = [o for o in self.overrides if not (o.zone == zone and o.kind == "manual")]
        scheduled = self.scheduled(zone, t)
        if duration_s is None and scheduled is None:
            self.manual[zone] = level
            self.save()
            return None
        if duration_s is not None:
            until = t + dt.timedelta(seconds=duration_s)
        else:
            assert scheduled is not None
            until = scheduled.next_change or t + dt.timedelta(seconds=MAX_HOLD_S)
        until = min(until, t + dt.timedelta(seconds=MAX_HOLD_S))
        override = Override(
            id=override_id,
            zone=zone,
            level=level,
            priority=MANUAL_PRIORITY,
            starts_at=t,
            expires_at=until,
            reason="manual level" if duration_s is None else f"manual level for {duration_s} s",
            issued_by=issued_by,
            kind="manual",
        )
        self._remember_base(zone, t)
        self.overrides.append(override)
        self.save()
        return override

    def remove_override(self, zone: str, override_id: str | None, t: dt.datetime) -> Override | None:
        """End an override early: the one named, or the one in force on ``zone``. Returns it, or ``None``."""
        if override_id is None:
            live = [o for o in self.overrides if o.zone == zone and o.active(t)]
            found = max(live, key=lambda o: (o.priority, o.starts_at), default=None)
        else:
            found = next((o for o in self.overrides if o.zone == zone and o.id == override_id), None)
        if found is not None:
            self.overrides.remove(found)
            self.save()
        return found

    def expire(self, t: dt.datetime, zone: str | None = None) -> list[Override]:
        """Drop the overrides (of ``zone``, or all) that ended by ``t``; return them."""
        gone = [o for o in self.overrides if o.expires_at <= t and zone in (None, o.zone)]
        if gone:
            self.overrides = [o for o in self.overrides if o not in gone]
            self.save()
        return gone

    def replace_schedule(self, schedule: ScheduleConfig, by: str, t: dt.datetime) -> None:
        """Install a schedule sent by the control room (its zones already checked against this node's)."""
        self.schedule = schedule
        self.schedule_source = "control_room"
        self.updated_at, self.updated_by = t, by
        self._broken.clear()
        self.save()

    def _remember_base(self, zone: str, t: dt.datetime) -> None:
        """A zone without schedule or manual level gets its current level as the one to return to."""
        if self.scheduled(zone, t) is None and zone not in self.manual:
            current = self.target(zone, t)
            self.manual[zone] = current.level if current is not None else self._fallback.get(zone, 0)

    def note_level(self, zone: str, level: int | None) -> None:
        """The zone's present level (so that an override on an idle zone returns there, not to 0)."""
        if level is not None:
            self._fallback[zone] = level

    # persistence ---------------------------------------------------------------------------------------------
    def save(self) -> None:
        """Write the book to disk."""
        doc: dict[str, Any] = {
            "overrides": [o.model_dump(mode="json") for o in self.overrides],
            "manual": self.manual,
        }
        if self.schedule_source == "control_room" and self.schedule is not None:
            doc["schedule"] = {
                "doc": self.schedule.model_dump(mode="json"),
                "updated_at": self.updated_at.isoformat() if self.updated_at else None,
                "updated_by": self.updated_by,
                "config_hash": self._config_hash,
            }
        try:
            self._doc.save(doc)
        except OSError as err:
            log.error("cannot save lighting state to %s: %s", self._doc.path, err.strerror)

    def _load(self) -> None:
        doc = self._doc.load()
        if doc is None:
            return
        for raw in doc.get("overrides", []):
            try:
                override = Override.model_validate(raw)
            except ValidationError as err:
                log.error("dropped a stored override that no longer validates: %s", err)
                continue
            if override.zone in self.zones:
                self.overrides.append(override)
        manual = doc.get("manual", {})
        if isinstance(manual, dict):
            self.manual = {z: int(v) for z, v in manual.items() if z in self.zones and isinstance(v, int)}
        stored = doc.get("schedule")
        if not isinstance(stored, dict):
            return
        if stored.get("config_hash") != self._config_hash:
            log.warning("the edge config's schedule changed since the control room replaced it: using the config's")
            return
        try:
            schedule = ScheduleConfig.model_validate(stored["doc"])
        except (ValidationError, KeyError) as err:
            log.error("stored schedule is not valid any more (%s); using the config's", err)
            return
        unknown = sorted(set(schedule.zones) - self.zones)
        if unknown:
            log.warning("stored schedule names zones this node no longer has: %s (ignored)", ", ".join(unknown))
            schedule = schedule.model_copy(
                update={"zones": {z: c for z, c in schedule.zones.items() if z in self.zones}}
            )
        self.schedule = schedule
        self.schedule_source = "control_room"
        self.updated_by = stored.get("updated_by")
        at = stored.get("updated_at")
        self.updated_at = dt.datetime.fromisoformat(at) if isinstance(at, str) else None
