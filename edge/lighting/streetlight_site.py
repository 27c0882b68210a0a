"""MQTT street-light nodes as lighting hardware: planned sends, confirmations, faults and offline alerts."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Literal

from drivers.errors import DriverError
from drivers.streetlight.codec import FaultReport, NodeStatus
from drivers.streetlight.driver import StreetlightBus
from edge.config import LightingZone, StreetlightSettings
from edge.contract.lighting import LUMINAIRE, LuminaireState
from edge.contract.payloads import Alert, DeviceDescription, Severity
from edge.lighting.hardware import ApplyResult, Hardware, Listener, Placement, Summary
from edge.lighting.planner import plan_mqtt
from edge.services.base import ServiceContext

log = logging.getLogger("edge.lighting.streetlights")

OFFLINE = "offline"
_FAULT_SEVERITY = {
    "LAMP_FAILURE": Severity.MINOR,
    "DRIVER_FAILURE": Severity.MINOR,
    "TILT": Severity.MAJOR,
    "POWER_LOSS": Severity.MAJOR,
}


class StreetlightSite(Hardware):
    """Every street-light node of this node's zones, through the site broker."""

    kind = "mqtt"

    def __init__(
        self,
        ctx: ServiceContext,
        settings: StreetlightSettings,
        zones: Sequence[LightingZone],
        placement: Mapping[str, Placement],
        listener: Listener,
        password: str | None = None,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.placement = placement
        self.listener = listener
        self.nodes = [n for z in zones for n in z.nodes]
        self.groups: dict[str, frozenset[str]] = {z.group: frozenset(z.nodes) for z in zones if z.group}
        self.groups.update({g.id: frozenset(g.nodes) for g in settings.groups})
        self._seen_online: dict[str, bool] = {}
        self.bus = StreetlightBus(
            settings.url,
            client_id=f"cityedge-lighting-{ctx.node_id}",
            username=settings.username,
            password=password,
            on_status=self._on_status,
            on_fault=self._on_fault,
            on_connection=self._on_connection,
        )

    def luminaires(self) -> list[str]:
        return list(self.nodes)

    def descriptions(self) -> list[DeviceDescription]:
        return [
            DeviceDescription(
                id=n,
                kind=LUMINAIRE,
                label=n,
                location=self.placement[n].location,
                capabilities={"hardware": "mqtt", "zone": self.placement[n].zone},
            )
            for n in self.nodes
        ]

    async def start(self) -> None:
        await self.bus.start()

    async def stop(self) -> None:
        await self.bus.close()

    async def ready(self, timeout: float) -> None:
        try:
            await self.bus.wait_connected(timeout)
        except DriverError:
            log.warning("site broker not reachable yet; the schedule runs and catches the lights up when it is")

    async def apply(self, luminaires: Sequence[str], level: int, fade_ms: int, tag: str) -> ApplyResult:
        plan = plan_mqtt(luminaires, self.groups)
        return await self._send(luminaires, level, fade_ms, tag, plan.groups, plan.nodes)

    async def resend(self, luminaires: Sequence[str], level: int, tag: str) -> ApplyResult:
        return await self._send(luminaires, level, 0, tag, (), tuple(luminaires))

    async def _send(
        self,
        luminaires: Sequence[str],
        level: int,
        fade_ms: int,
        tag: str,
        groups: Sequence[str],
        direct: Sequence[str],
    ) -> ApplyResult:
        if not luminaires:
            return ApplyResult(level)
        try:
            result = await self.bus.set_level(
                list(luminaires),
                level,
                tag,
                fade_ms=fade_ms,
                timeout=self.settings.ack_timeout_s,
                groups=groups,
                direct=direct,
            )
        except DriverError as err:
            return ApplyResult(
                level, missing=sorted(luminaires), errors=[("site_broker_unreachable", f"street lights: {err}")]
            )
        reached = {n for n, v in result.acked.items() if v == level}
        return ApplyResult(
            level,
            reached,
            sorted(set(luminaires) - reached),
            messages=result.messages,
            elapsed_s=result.elapsed_s,
        )

    def reachable(self, luminaire: str) -> bool:
        s = self.bus.status.get(luminaire)
        return bool(s and s.online and self.bus.connected)

    def at_level(self, luminaire: str, level: int) -> bool:
        s = self.bus.status.get(luminaire)
        return bool(s and s.online and s.level == level)

    def state(self, luminaire: str) -> LuminaireState | None:
        s = self.bus.status.get(luminaire)
        if s is None:
            return None
        return LuminaireState(
            online=s.online,
            level=s.level,
            power_w=s.power_w,
            energy_wh=s.energy_wh,
            faults=[f.value for f in s.faults],
            zone=self.placement[luminaire].zone if luminaire in self.placement else None,
            hardware="mqtt",
        )

    def summarise(self, luminaires: Sequence[str], commanded: int | None) -> Summary:
        out = Summary()
        status = self.bus.status
        for n in luminaires:
            s = status.get(n)
            if s is None:
                continue
            if s.faults:
                out.faults.append(n)
            if not s.online:
                continue
            out.online += 1
            if s.level is not None:
                out.lowest = s.level if out.lowest is None else min(out.lowest, s.level)
                if s.level == commanded:
                    out.at_level += 1
        return out

    def energy_input(self, luminaire: str) -> tuple[Literal["meter", "power"], float | None]:
        s = self.bus.status.get(luminaire)
        return "meter", (s.energy_wh if s else None)

    def health(self) -> dict[str, Any]:
        online = sum(1 for n in self.nodes if (s := self.bus.status.get(n)) and s.online)
        return {
            "site_broker": "connected" if self.bus.connected else "unreachable",
            "streetlights": len(self.nodes),
            "streetlights_online": online,
        }

    # driver callbacks (event loop) -----------------------------------------------------------------------------
    def _on_status(self, node: str, status: NodeStatus) -> None:
        where = self.placement.get(node)
        if where is None:
            return
        was_online = self._seen_online.get(node)
        self._seen_online[node] = status.online
        if not status.online:
            self.ctx.raise_alert(
                node,
                Alert(
                    alert_id=OFFLINE,
                    type="luminaire_offline",
                    severity=Severity.MINOR,
                    message=f"street-light controller {node} in {where.zone_label} is offline",
                    raised_at=datetime.now(UTC),
                    location=where.location,
                    data={"zone": where.zone, "hardware": "mqtt"},
                ),
            )
        else:
            self.ctx.clear_alert(node, OFFLINE)
            active = {code.value for code in status.faults}
            for alert_id in list(self.ctx.active_alerts(node)):
                if alert_id != OFFLINE and alert_id.upper() not in active:
                    self.ctx.clear_alert(node, alert_id)
            for code in active:
                self._raise_fault(node, where, code)
        self.listener.changed(node)
        if status.online and not was_online:  # first seen, or back: give it its zone's level
            self.listener.returned([node])

    def _on_fault(self, node: str, report: FaultReport) -> None:
        where = self.placement.get(node)
        if where is None:
            return
        if report.state == "NEW":
            self._raise_fault(node, where, report.code.value)
        else:
            self.ctx.clear_alert(node, report.code.value.lower())

    def _raise_fault(self, node: str, where: Placement, code: str) -> None:
        if code.lower() in self.ctx.active_alerts(node):
            return
        self.ctx.raise_alert(
            node,
            Alert(
                alert_id=code.lower(),
                type=code.lower(),
                severity=_FAULT_SEVERITY.get(code, Severity.MINOR),
                message=f"{code.replace('_', ' ').lower()} on street light {node} in {where.zone_label}",
                raised_at=datetime.now(UTC),
                location=where.location,
                data={"zone": where.zone, "code": code, "hardware": "mqtt"},
            ),
        )

    def _on_connection(self, up: bool) -> None:
        if up:
            log.info("site broker connected")
        else:
            log.warning("site broker connection lost")
