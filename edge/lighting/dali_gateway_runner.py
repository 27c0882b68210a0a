"""One LUBA DALI gateway on the edge: connect (retrying), learn group memberships, poll gear round-robin.

DALI gear do not report faults by themselves, so each line has a poller: QUERY STATUS and QUERY ACTUAL LEVEL of
one gear after another at background priority, one query in flight at a time (a zone command then waits for at
most one query on the wire). A full sweep of a line takes at least ``poll_interval_s``. Lamp failure and control
gear failure bits, gear that stop answering and bus power events become alerts, cleared on recovery.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from drivers.dali.addressing import Target
from drivers.dali.bus import DaliLine
from drivers.dali.dimming import MASK, arc_to_percent, arc_to_whole_percent, percent_to_arc
from drivers.dali.errors import AnswerCollision, BusPowerFailure, DaliError, NoAnswer
from drivers.dali.gateway import LubaGateway
from drivers.dali.gear_codec import GearStatus
from drivers.transport import describe_url
from edge.contract.lighting import DaliGatewayState, DaliLineState, LuminaireState
from edge.contract.payloads import Alert, Severity
from edge.lighting.dali_zone import ZoneCommandError, apply_level
from edge.lighting.hardware import ApplyResult, Listener, Placement
from edge.lighting.planner import DaliPlan, LineKey, LineTopology, plan_dali
from edge.lighting.settings import DaliGatewaySettings, GearRef
from edge.services.base import ServiceContext

log = logging.getLogger("edge.lighting.dali")

OFFLINE = "offline"
MAX_NAMED = 20


@dataclass
class GearState:
    """What the edge knows of one control gear."""

    ref: GearRef
    online: bool | None = None
    misses: int = 0
    arc: int | None = None
    status: GearStatus | None = None
    groups: frozenset[int] | None = None


class DaliGatewayRunner:
    """A gateway, its lines' pollers and its gear's state."""

    def __init__(
        self,
        ctx: ServiceContext,
        settings: DaliGatewaySettings,
        gear: Sequence[GearRef],
        placement: Mapping[str, Placement],
        listener: Listener,
    ) -> None:
        self.ctx = ctx
        self.settings = settings
        self.placement = placement
        self.listener = listener
        self.gateway = LubaGateway(
            settings.url, lines=settings.lines, window=settings.window, on_bus_power=self._on_bus_power
        )
        self.lines = {n: DaliLine(self.gateway, n) for n in range(settings.lines)}
        self.gear = {ref: GearState(ref) for ref in sorted(gear)}
        self.by_line: dict[int, list[GearRef]] = {}
        for ref in self.gear:
            self.by_line.setdefault(ref.line, []).append(ref)
        self.connected = False
        self._task: asyncio.Task[None] | None = None
        self._collisions: set[GearRef] = set()

    @property
    def id(self) -> str:
        """Gateway id."""
        return self.settings.id

    # lifecycle ---------------------------------------------------------------------------------------------
    async def start(self) -> None:
        """Connect and poll in the background."""
        self._task = asyncio.create_task(self._run(), name=f"dali-{self.id}")

    async def stop(self) -> None:
        """Stop polling and close the port."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        await self.gateway.close()

    async def _run(self) -> None:
        delay = 0.5
        while True:
            try:
                await self.gateway.start()
                break
            except DaliError as err:
                self._set_connected(False, str(err))
                await asyncio.sleep(delay)
                delay = min(delay * 2, 10.0)
        self._set_connected(True)
        await asyncio.gather(*(self._poll_line(n) for n in sorted(self.by_line)))

    def _set_connected(self, up: bool, why: str = "") -> None:
        if up == self.connected and (up or OFFLINE in self.ctx.active_alerts(self.id)):
            return
        was = self.connected
        self.connected = up
        self.listener.changed(self.id)
        if up:
            self.ctx.clear_alert(self.id, OFFLINE)
            log.info("DALI gateway %s connected", self.id)
            if not was:
                self.listener.returned([r.device_id for r in self.gear])
            return
        log.error("DALI gateway %s unreachable: %s", self.id, why)
        self.ctx.raise_alert(
            self.id,
            Alert(
                alert_id=OFFLINE,
                type="dali_gateway_offline",
                severity=Severity.MAJOR,
                message=f"DALI gateway {self.label} ({describe_url(self.settings.url)}) is unreachable: "
                f"{len(self.gear)} luminaires cannot be controlled",
                raised_at=datetime.now(UTC),
                location=self.settings.location or self._locations(list(self.gear)),
                data={"gateway": self.id, "luminaires": [r.device_id for r in self.gear][:200]},
            ),
        )

    @property
    def label(self) -> str:
        """Name for operators."""
        return self.settings.label or self.id

    # polling -----------------------------------------------------------------------------------------------
    async def _poll_line(self, line: int) -> None:
        refs = self.by_line[line]
        pace = max(0.0, self.settings.poll_interval_s / len(refs) - 0.07)
        while True:
            for ref in refs:
                await self._wait_usable(line)
                if self.gear[ref].groups is None:
                    await self._learn_groups(ref)
                await self._poll(ref)
                await asyncio.sleep(pace)

    async def _wait_usable(self, line: int) -> None:
        while not self.gateway.connected or self.gateway.bus_powered(line) is False:
            if not self.gateway.connected:
                self._set_connected(False, "connection lost; reconnecting")
            await asyncio.sleep(0.25)
        self._set_connected(True)

    async def _learn_groups(self, ref: GearRef) -> None:
        try:
            self.gear[ref].groups = await self.lines[ref.line].query_groups(ref.short)
        except DaliError:
            return  # still unknown: the planner will not use group frames that might reach it
        self.listener.changed(self.id)

    async def _poll(self, ref: GearRef) -> None:
        line = self.lines[ref.line]
        try:
            status = await line.query_status(ref.short)
            arc = await line.query_actual_level(ref.short)
        except NoAnswer:
            self._missed(ref)
            return
        except AnswerCollision:
            if ref not in self._collisions:
                self._collisions.add(ref)
                log.warning("DALI %s: several gear answer at short address %d", self.id, ref.short)
            return
        except DaliError:
            return  # bus power or the connection: reported by their own alerts
        self._answered(ref, status, arc)

    def _missed(self, ref: GearRef) -> None:
        st = self.gear[ref]
        st.misses += 1
        if st.misses < self.settings.offline_after or st.online is False:
            return
        st.online = False
        where = self.placement[ref.device_id]
        self.ctx.raise_alert(
            ref.device_id,
            Alert(
                alert_id=OFFLINE,
                type="luminaire_offline",
                severity=Severity.MINOR,
                message=f"DALI gear {ref.device_id} (gateway {self.label}, line {ref.line}, short {ref.short}) "
                f"in {where.zone_label} does not answer",
                raised_at=datetime.now(UTC),
                location=where.location,
                data={"zone": where.zone, "hardware": "dali", "gateway": self.id, "line": ref.line, "short": ref.short},
            ),
        )
        self.listener.changed(ref.device_id)
        self.listener.changed(self.id)

    def _answered(self, ref: GearRef, status: GearStatus, arc: int) -> None:
        st = self.gear[ref]
        returned = st.online is False
        st.online, st.misses, st.status = True, 0, status
        st.arc = None if arc == MASK else arc
        if returned:
            self.ctx.clear_alert(ref.device_id, OFFLINE)
            self.listener.changed(self.id)
        self._sync_faults(ref, status)
        self.listener.changed(ref.device_id)
        if returned:
            self.listener.returned([ref.device_id])

    def _sync_faults(self, ref: GearRef, status: GearStatus) -> None:
        where = self.placement[ref.device_id]
        active = self.ctx.active_alerts(ref.device_id)
        for code, on in (("LAMP_FAILURE", status.lamp_failure), ("GEAR_FAILURE", status.gear_failure)):
            alert_id = code.lower()
            if on and alert_id not in active:
                what = "lamp failure" if code == "LAMP_FAILURE" else "control gear failure"
                self.ctx.raise_alert(
                    ref.device_id,
                    Alert(
                        alert_id=alert_id,
                        type=alert_id,
                        severity=Severity.MINOR,
                        message=f"{what} on DALI luminaire {ref.device_id} (gateway {self.label}, line {ref.line}, "
                        f"short {ref.short}) in {where.zone_label}",
                        raised_at=datetime.now(UTC),
                        location=where.location,
                        data={"zone": where.zone, "code": code, "hardware": "dali", "gateway": self.id},
                    ),
                )
            elif not on and alert_id in active:
                self.ctx.clear_alert(ref.device_id, alert_id)

    def _on_bus_power(self, line: int, powered: bool, why: str) -> None:
        refs = self.by_line.get(line, [])
        alert_id = f"bus_power.l{line}"
        for ref in refs:
            self.listener.changed(ref.device_id)
        self.listener.changed(self.id)
        if powered:
            self.ctx.clear_alert(self.id, alert_id)
            self.listener.returned([r.device_id for r in refs])
            return
        names = [r.device_id for r in refs]
        shown = ", ".join(names[:MAX_NAMED]) + (" …" if len(names) > MAX_NAMED else "")
        self.ctx.raise_alert(
            self.id,
            Alert(
                alert_id=alert_id,
                type="dali_bus_power_failure",
                severity=Severity.MAJOR,
                message=f"DALI line {line} of gateway {self.label} has no bus power ({why}): "
                f"{len(names)} luminaires cannot be controlled: {shown}",
                raised_at=datetime.now(UTC),
                location=self._locations(refs) or self.settings.location,
                data={"gateway": self.id, "line": line, "luminaires": names},
            ),
        )

    def _locations(self, refs: Sequence[GearRef]) -> str | None:
        found = sorted({loc for r in refs if (loc := self.placement[r.device_id].location)})
        return "; ".join(found)[:200] or None

    # commands ----------------------------------------------------------------------------------------------
    def topology(self) -> dict[LineKey, LineTopology]:
        """What the planner may use on each line: the configured gear and the groups they reported."""
        out: dict[LineKey, LineTopology] = {}
        for line, refs in self.by_line.items():
            memberships: dict[int, set[int]] = {}
            for ref in refs:
                for g in self.gear[ref].groups or ():
                    memberships.setdefault(g, set()).add(ref.short)
            unknown = frozenset(r.short for r in refs if self.gear[r].groups is None)
            out[LineKey(self.id, line)] = LineTopology(
                frozenset(r.short for r in refs), {g: frozenset(m) for g, m in memberships.items()}, unknown
            )
        return out

    async def apply(self, refs: Sequence[GearRef], percent: int, *, individually: bool) -> ApplyResult:
        """Send the fewest frames (or one per gear) that set ``refs`` to ``percent``, then read the levels back."""
        started = time.monotonic()
        ids = sorted(r.device_id for r in refs)
        if not refs:
            return ApplyResult(percent)
        if not self.gateway.connected:
            return ApplyResult(
                percent,
                missing=ids,
                errors=[("dali_gateway_unreachable", f"DALI gateway {self.label} is not connected")],
            )
        wanted = [(LineKey(self.id, r.line), r.short) for r in refs]
        if individually:
            plan = DaliPlan({k: tuple(Target.short(s) for kk, s in wanted if kk == k) for k, _ in wanted})
        else:
            plan = plan_dali(wanted, self.topology())
        drivers = {LineKey(self.id, n): self.lines[n] for n in self.lines}
        errors: list[tuple[str, str]] = []
        failed_lines: set[int] = set()
        try:
            await apply_level(plan, drivers, percent)
        except ZoneCommandError as err:
            failed_lines = {key.line for key, _, _ in err.failures}
            code = "dali_bus_power" if any(isinstance(e, BusPowerFailure) for *_, e in err.failures) else "dali_frames"
            errors.append((code, f"DALI gateway {self.label}: {err}"))
        if self.settings.fade_s:
            await asyncio.sleep(self.settings.fade_s + 0.05)
        await self.requery([r for r in refs if r.line not in failed_lines])
        target = percent_to_arc(percent)
        reached = {r.device_id for r in refs if r.line not in failed_lines and self.gear[r].arc == target}
        return ApplyResult(
            percent,
            reached,
            sorted(set(ids) - reached),
            frames=plan.frame_count,
            elapsed_s=time.monotonic() - started,
            errors=errors,
        )

    async def requery(self, refs: Sequence[GearRef]) -> None:
        """QUERY ACTUAL LEVEL of each gear (pipelined per line); gear that do not answer keep their last level."""

        async def one(ref: GearRef) -> None:
            try:
                arc = await self.lines[ref.line].query_actual_level(ref.short)
            except DaliError:
                return
            st = self.gear[ref]
            st.arc = None if arc == MASK else arc
            self.listener.changed(ref.device_id)

        await asyncio.gather(*(one(r) for r in refs))

    # state -------------------------------------------------------------------------------------------------
    def reachable(self, ref: GearRef) -> bool:
        """The gear can be commanded now."""
        st = self.gear[ref]
        return self.gateway.connected and self.gateway.bus_powered(ref.line) is not False and st.online is not False

    def luminaire_state(self, ref: GearRef) -> LuminaireState:
        """State of one gear as a luminaire; power estimated from the level and the rated power."""
        st = self.gear[ref]
        faults = st.status.faults if st.status else []
        if self.gateway.bus_powered(ref.line) is False:
            faults = [*faults, "BUS_POWER"]
        power: float | None = None
        if st.arc is not None:
            failed = bool(st.status and (st.status.lamp_failure or st.status.gear_failure))
            power = 0.0 if failed else round(self.settings.rated_w * arc_to_percent(st.arc) / 100, 2)
        return LuminaireState(
            online=bool(st.online) and self.reachable(ref),
            level=arc_to_whole_percent(st.arc) if st.arc is not None else None,
            power_w=power,
            faults=faults,
            zone=self.placement[ref.device_id].zone,
            hardware="dali",
            arc_level=st.arc,
        )

    def gateway_state(self) -> dict[str, Any]:
        """The gateway device's state."""
        lines = [
            DaliLineState(
                line=n,
                powered=self.gateway.bus_powered(n),
                gear=len(refs),
                answering=sum(1 for r in refs if self.gear[r].online),
                groups_known=all(self.gear[r].groups is not None for r in refs),
            )
            for n, refs in sorted(self.by_line.items())
        ]
        return DaliGatewayState(connected=self.connected, lines=lines).model_dump(mode="json")
