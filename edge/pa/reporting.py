"""What the PA service tells the control room: retained device states, events and alerts.

The engine's reports arrive on the loop; states and announcement events are coalesced and published every
50 ms (an announcement changing in five zones at once is one event). Faults and the controller link become
alerts at once: a zone line fault on the zone's device, everything else (amplifier, mains, battery, comms, an
unreachable controller) on the ``pa`` device.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from datetime import UTC, datetime
from typing import Literal

from edge.contract.pa import PA, PA_ZONE, AnnouncementPayload, PaSystemState, zone_device_id
from edge.contract.payloads import Alert, Severity
from edge.pa.engine import AnnouncementEngine
from edge.pa.model import AnnouncementSnapshot, ControllerSnapshot, FaultSnapshot, State, ZoneSnapshot
from edge.pa.payloads import announcement_payload, fault_payload, zone_state
from edge.services.base import ServiceContext

FLUSH_S = 0.05
RECENT = 5  # finished announcements kept in the pa state (the command's state_after keeps each final)
UNREACHABLE_ALERT = "controller_unreachable"

_CONNECTIONS: dict[str, Literal["connected", "unreachable", "disconnected"]] = {
    "connected": "connected",
    "unreachable": "unreachable",
    "disconnected": "disconnected",
}

_FAULT_SEVERITY = {
    "LINE_OPEN": Severity.MAJOR,
    "LINE_SHORT": Severity.MAJOR,
    "EARTH": Severity.MAJOR,
    "AMP": Severity.MAJOR,
    "MAINS": Severity.MAJOR,
    "MSG_STORE": Severity.MAJOR,
    "BATTERY": Severity.MINOR,
    "CHARGER": Severity.MINOR,
    "COMMS": Severity.MINOR,
}


class Reporter:
    """Implements the engine's listener for one ``pa`` device."""

    def __init__(self, ctx: ServiceContext, device: str, label: str, location: str | None) -> None:
        self.ctx = ctx
        self.device = device
        self.label = label
        self.location = location
        self.engine: AnnouncementEngine | None = None
        self.next_system_test: str | None = None
        self.schedules: dict[str, str] = {}
        self.waiters: dict[str, asyncio.Event] = {}
        self.recent: deque[AnnouncementPayload] = deque(maxlen=RECENT)
        self._announcements: dict[str, AnnouncementSnapshot] = {}
        self._zones: dict[int, ZoneSnapshot] = {}
        self._system_dirty = True
        self._connection: str | None = None
        self._task: asyncio.Task[None] | None = None

    def start(self, engine: AnnouncementEngine) -> None:
        self.engine = engine
        for snap in engine.zones():
            self._zones[snap.zone] = snap
        self._task = asyncio.create_task(self._flush_loop(), name=f"{self.device}-report")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        self.flush()

    # ---- the engine's listener --------------------------------------------------------------------------------

    def announcement_changed(self, snapshot: AnnouncementSnapshot) -> None:
        self._announcements[snapshot.id] = snapshot
        self._system_dirty = True
        waiter = self.waiters.get(snapshot.id)
        if waiter is not None:
            waiter.set()

    def zone_changed(self, snapshot: ZoneSnapshot) -> None:
        self._zones[snapshot.zone] = snapshot

    def fault_changed(self, snapshot: FaultSnapshot) -> None:
        self._system_dirty = True
        payload = fault_payload(snapshot)
        self.ctx.emit_event(self.device, "pa.fault", payload.model_dump(mode="json"), _FAULT_SEVERITY[snapshot.kind])
        alert_id = f"fault.{snapshot.fault_id:04x}"
        devices = [zone_device_id(self.device, z) for z in snapshot.zones] if snapshot.where.startswith("Z") else []
        devices = devices or [self.device]
        for device in devices:
            if snapshot.active:
                self.ctx.raise_alert(
                    device,
                    Alert(
                        alert_id=alert_id,
                        type=f"pa_{snapshot.kind.lower()}",
                        severity=_FAULT_SEVERITY[snapshot.kind],
                        message=f"{self.label}: {snapshot.description}",
                        raised_at=datetime.now(UTC),
                        location=self.location,
                        data=payload.model_dump(mode="json"),
                    ),
                )
            else:
                self.ctx.clear_alert(device, alert_id, "the controller reports the fault resolved")

    def controller_changed(self, snapshot: ControllerSnapshot) -> None:
        self._system_dirty = True
        if snapshot.connection == self._connection:
            return
        self._connection = snapshot.connection
        severity = Severity.INFO if snapshot.connection == "connected" else Severity.CRITICAL
        self.ctx.emit_event(
            self.device, "pa.controller", {"connection": snapshot.connection, "reason": snapshot.reason}, severity
        )
        if snapshot.connection == "connected":
            self.ctx.clear_alert(self.device, UNREACHABLE_ALERT, "the controller answers again")
            return
        self.ctx.raise_alert(
            self.device,
            Alert(
                alert_id=UNREACHABLE_ALERT,
                type="pa_controller_unreachable",
                severity=Severity.CRITICAL,
                message=f"{self.label}: {snapshot.reason}",
                raised_at=datetime.now(UTC),
                location=self.location,
                data={"connection": snapshot.connection},
            ),
        )

    # ---- publishing -------------------------------------------------------------------------------------------

    def payload(self, snap: AnnouncementSnapshot) -> AnnouncementPayload:
        return announcement_payload(snap)

    def system_state(self) -> PaSystemState:
        assert self.engine is not None
        ctl = self.engine.controller_snapshot()
        return PaSystemState(
            connection=_CONNECTIONS[ctl.connection],
            reason="" if ctl.connection == "connected" else ctl.reason,
            mode=ctl.mode,
            faults=[fault_payload(f) for f in self.engine.faults()],
            active=[self.payload(self.engine.get(i)) for i in self.engine.active_ids()],
            recent=list(self.recent),
            next_system_test=self.next_system_test,
            schedules=dict(self.schedules),
        )

    def flush(self) -> None:
        """Publish what changed since the last flush."""
        if self.engine is None:
            return
        zones, self._zones = self._zones, {}
        for zone, zone_snap in sorted(zones.items()):
            self.ctx.publish_state(
                zone_device_id(self.device, zone), PA_ZONE, zone_state(zone_snap).model_dump(mode="json")
            )
        announcements, self._announcements = self._announcements, {}
        for snap in announcements.values():
            payload = self.payload(snap)
            severity = Severity.WARNING if snap.state in (State.FAILED, State.PREEMPTED) else Severity.INFO
            self.ctx.emit_event(self.device, "pa.announcement", payload.model_dump(mode="json"), severity)
            if snap.state.terminal and snap.id not in self.engine.active:
                self.recent.appendleft(payload)
        if self._system_dirty:
            self._system_dirty = False
            self.ctx.publish_state(self.device, PA, self.system_state().model_dump(mode="json"))

    def touch(self) -> None:
        """Publish the system state at the next flush."""
        self._system_dirty = True

    async def _flush_loop(self) -> None:
        while True:
            await asyncio.sleep(FLUSH_S)
            self.flush()
