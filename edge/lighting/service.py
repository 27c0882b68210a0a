"""Lighting service: zones of MQTT street-light nodes and DALI gear, driven by schedules, overrides and operators.

Devices: one ``lighting_zone`` per zone, one ``luminaire`` per street-light node and per DALI gear, one
``dali_gateway`` per LUBA gateway and the ``lighting`` controller (the node's schedules). Each zone runs its own
task on the edge's clock (:mod:`edge.lighting.zone`), so schedules and override expiry keep working while the
JCCR broker or the control room is unreachable. Schedules, overrides, manual levels and energy figures are kept
under ``DATA_DIR/lighting/``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any

from edge.config import LightingSettings
from edge.contract.lighting import (
    CONTROLLER_DEVICE,
    ENERGY_EVENT,
    LIGHTING_CONTROLLER,
    LIGHTING_ZONE,
    LUMINAIRE,
    EnergyReport,
)
from edge.contract.lighting_schedule import CITY_TIMEZONE
from edge.contract.payloads import Alert, Command, DeviceDescription, Severity
from edge.errors import CommandRejected
from edge.lighting import commands
from edge.lighting.dali_site import DaliSite
from edge.lighting.energy import EnergyLedger
from edge.lighting.hardware import Hardware, Placement
from edge.lighting.persist import JsonDocument
from edge.lighting.streetlight_site import StreetlightSite
from edge.lighting.targets import TargetBook
from edge.lighting.views import controller_state, zone_state
from edge.lighting.zone import MAX_LISTED, ZoneController, utcnow
from edge.services.base import CommandOutcome, EdgeService, Progress, ServiceContext

FLUSH_INTERVAL_S = 0.1
ENERGY_TICK_S = 60.0


class LightingService(EdgeService):
    """Owns the lighting devices of one edge node."""

    name = "lighting"

    def __init__(self, ctx: ServiceContext, settings: LightingSettings, password: str | None = None) -> None:
        super().__init__(ctx)
        self.settings = settings
        placement: dict[str, Placement] = {}
        for z in settings.zones:
            where = Placement(z.id, z.label or z.id, z.location)
            for lum in [*z.nodes, *(ref.device_id for ref in z.gear)]:
                placement[lum] = where
        self.zone_of = {lum: p.zone for lum, p in placement.items()}
        gateways = [g.id for g in settings.dali]
        names = [CONTROLLER_DEVICE, *(z.id for z in settings.zones), *placement, *gateways]
        clash = sorted({n for n in names if names.count(n) > 1})
        if clash:
            raise ValueError(f"lighting device ids used twice (zones, luminaires, gateways, 'lighting'): {clash}")
        self.streetlights: StreetlightSite | None = None
        self.dali: DaliSite | None = None
        self.hardware: list[Hardware] = []
        if any(z.nodes for z in settings.zones):
            assert settings.streetlights is not None
            self.streetlights = StreetlightSite(ctx, settings.streetlights, settings.zones, placement, self, password)
            self.hardware.append(self.streetlights)
        if settings.dali:
            gear = [ref for z in settings.zones for ref in z.gear]
            self.dali = DaliSite(ctx, settings.dali, gear, placement, self)
            self.hardware.append(self.dali)
        folder = ctx.data_dir / "lighting"
        self.book = TargetBook([z.id for z in settings.zones], settings.schedule, JsonDocument(folder / "state.json"))
        timezone = settings.schedule.timezone if settings.schedule else CITY_TIMEZONE
        self.energy = EnergyLedger(JsonDocument(folder / "energy.json"), timezone, settings.energy.keep_days)
        self.zones: dict[str, ZoneController] = {}
        for z in settings.zones:
            parts: list[tuple[Hardware, list[str]]] = []
            if self.streetlights is not None:
                parts.append((self.streetlights, list(z.nodes)))
            if self.dali is not None:
                parts.append((self.dali, [ref.device_id for ref in z.gear]))
            self.zones[z.id] = ZoneController(z, parts, self.book, self, settings.reconcile)
        self._dirty: set[str] = set()
        self._tasks: list[asyncio.Task[None]] = []
        self._last_report = 0.0
        self._report_day = ""

    # EdgeService -------------------------------------------------------------------------------------------
    def devices(self) -> list[DeviceDescription]:
        out = [
            DeviceDescription(
                id=CONTROLLER_DEVICE,
                kind=LIGHTING_CONTROLLER,
                label="Lighting schedules",
                commands=list(commands.CONTROLLER_ACTIONS),
                capabilities={"zones": sorted(self.zones)},
            )
        ]
        for z in self.zones.values():
            hardware = {hw.kind: len(lums) for hw, lums in z.parts}
            out.append(
                DeviceDescription(
                    id=z.id,
                    kind=LIGHTING_ZONE,
                    label=z.label,
                    location=z.cfg.location,
                    commands=list(commands.ZONE_ACTIONS),
                    capabilities={"luminaires": len(z.luminaires), "group": z.cfg.group, "hardware": hardware},
                )
            )
        for hw in self.hardware:
            out += hw.descriptions()
        return out

    async def start(self) -> None:
        for hw in self.hardware:
            await hw.start()
        self._report_day = self.energy.day_of(utcnow())
        self._dirty.update(self.zones)
        self._dirty.add(CONTROLLER_DEVICE)
        self._tasks = [asyncio.create_task(z.run(), name=f"lighting-zone-{z.id}") for z in self.zones.values()]
        self._tasks.append(asyncio.create_task(self._flush_loop(), name="lighting-flush"))
        self._tasks.append(asyncio.create_task(self._energy_loop(), name="lighting-energy"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        for z in self.zones.values():
            await z.stop()
        for hw in self.hardware:
            await hw.stop()
        self.energy.tick(utcnow())
        self.energy.save()

    def health(self) -> dict[str, Any]:
        out: dict[str, Any] = {"zones": len(self.zones), "luminaires": len(self.zone_of)}
        for hw in self.hardware:
            out.update(hw.health())
        degraded = (self.streetlights is not None and not self.streetlights.bus.connected) or (
            self.dali is not None and not all(r.connected for r in self.dali.runners.values())
        )
        online = sum(z.summary().online for z in self.zones.values())
        out.update(status="degraded" if degraded else "ok", online=online)
        return out

    def validate(self, device: str, command: Command) -> None:
        if device != CONTROLLER_DEVICE and device not in self.zones:
            raise CommandRejected("unknown_device", f"{device} accepts no commands")
        commands.validate(self, device, command)

    async def execute(self, device: str, command: Command, progress: Progress) -> CommandOutcome:
        return await commands.execute(self, device, command)

    # hardware listener -------------------------------------------------------------------------------------
    def changed(self, device: str) -> None:
        """A luminaire or gateway changed."""
        self._dirty.add(device)
        zone = self.zone_of.get(device)
        if zone is None:
            return
        self._feed_energy(device, zone)
        self.zones[zone].luminaire_changed(device)

    def returned(self, luminaires: Iterable[str]) -> None:
        """Luminaires reachable again: their zones give them their level."""
        by_zone: dict[str, list[str]] = {}
        for lum in luminaires:
            zone = self.zone_of.get(lum)
            if zone is not None:
                by_zone.setdefault(zone, []).append(lum)
        for zone, lums in by_zone.items():
            self.zones[zone].returned(lums)

    # zone host ---------------------------------------------------------------------------------------------
    def emit(self, device: str, type_: str, data: dict[str, Any], severity: Severity = Severity.INFO) -> None:
        """Emit an event through the outbox."""
        self.ctx.emit_event(device, type_, data, severity)

    def raise_alert(self, device: str, alert: Alert) -> None:
        """Raise an alert."""
        self.ctx.raise_alert(device, alert)

    def clear_alert(self, device: str, alert_id: str, reason: str = "recovered") -> None:
        """Clear an alert."""
        self.ctx.clear_alert(device, alert_id, reason)

    def zone_dirty(self, zone: str) -> None:
        """Publish the zone's state at the next flush."""
        self._dirty.add(zone)

    def schedule_changed(self) -> None:
        """A new schedule: every zone looks at its target again."""
        self._dirty.add(CONTROLLER_DEVICE)
        for z in self.zones.values():
            z.wake()

    # states ------------------------------------------------------------------------------------------------
    def zone_state_dict(self, zone: ZoneController, with_levels: bool = False) -> dict[str, Any]:
        """The zone's state (and, for small zones, each luminaire's level) as JSON."""
        state = zone_state(zone, self.book, self.energy, utcnow()).model_dump(mode="json")
        if with_levels and len(zone.luminaires) <= MAX_LISTED:
            levels = {}
            for lum in zone.luminaires:
                st = zone.hw_of[lum].state(lum)
                levels[lum] = st.level if st else None
            state["levels"] = levels
        return state

    def controller_state_dict(self) -> dict[str, Any]:
        """The lighting controller's state as JSON."""
        return controller_state(self.book).model_dump(mode="json")

    def flush(self) -> None:
        """Publish the states changed since the last flush."""
        dirty, self._dirty = self._dirty, set()
        extra: dict[str, tuple[str, dict[str, Any]]] = {}
        for hw in self.hardware:
            extra.update(hw.extra_states())
        for device in dirty:
            if device in self.zones:
                self.ctx.publish_state(device, LIGHTING_ZONE, self.zone_state_dict(self.zones[device]))
            elif device == CONTROLLER_DEVICE:
                self.ctx.publish_state(device, LIGHTING_CONTROLLER, self.controller_state_dict())
            elif device in self.zone_of:
                self._publish_luminaire(device)
            elif device in extra:
                kind, state = extra[device]
                self.ctx.publish_state(device, kind, state)

    def _publish_luminaire(self, lum: str) -> None:
        zone = self.zones[self.zone_of[lum]]
        st = zone.hw_of[lum].state(lum)
        if st is None:
            return
        if st.hardware == "dali":
            st = st.model_copy(update={"energy_wh": round(self.energy.estimated_wh.get(lum, 0.0), 3)})
        self.ctx.publish_state(lum, LUMINAIRE, st.model_dump(mode="json"))

    async def _flush_loop(self) -> None:
        """Publish changed states at most every FLUSH_INTERVAL_S (a burst costs one publish per device)."""
        while True:
            await asyncio.sleep(FLUSH_INTERVAL_S)
            self.flush()

    # energy ------------------------------------------------------------------------------------------------
    def _feed_energy(self, lum: str, zone: str) -> None:
        hw = self.zones[zone].hw_of[lum]
        kind, value = hw.energy_input(lum)
        if kind == "meter":
            if value is not None:
                self.energy.meter(lum, zone, value, utcnow())
        else:
            self.energy.power(lum, zone, value, utcnow())

    async def _energy_loop(self) -> None:
        interval = self.settings.energy.report_interval_s
        while True:
            await asyncio.sleep(min(ENERGY_TICK_S, interval))
            self.energy_tick()

    def energy_tick(self, force_report: bool = False) -> None:
        """Integrate estimates; report today's figures (and yesterday's final ones after midnight)."""
        now = utcnow()
        self.energy.tick(now)
        today = self.energy.day_of(now)
        if today != self._report_day:
            self._report(self._report_day, final=True)
            self._report_day = today
            self.energy.prune(now)
        loop_now = asyncio.get_running_loop().time()
        if force_report or loop_now - self._last_report >= self.settings.energy.report_interval_s:
            self._last_report = loop_now
            self._report(today, final=False)
        self.energy.save()
        self._dirty.update(self.zones)

    def _report(self, day: str, final: bool) -> None:
        for zone in self.zones:
            measured, estimated = self.energy.kwh(zone, day)
            report = EnergyReport(
                zone=zone,
                day=day,
                kwh=round(measured + estimated, 6),
                measured_kwh=round(measured, 6),
                estimated_kwh=round(estimated, 6),
                final=final,
            )
            self.ctx.emit_event(zone, ENERGY_EVENT, report.model_dump(mode="json"))
