"""An announcement engine wired to a running simulator, with a listener that records every report."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from drivers.pa.driver import ConnectionState
from edge.pa.config import PaSettings
from edge.pa.engine import AnnouncementEngine
from edge.pa.model import AnnouncementSnapshot, ControllerSnapshot, FaultSnapshot, State, ZoneSnapshot
from simulators.pa import PaControllerSimulator
from tests.pa.conftest import TEST_STORE


@dataclass
class Recorder:
    """Every report the engine made."""

    announcements: list[AnnouncementSnapshot] = field(default_factory=list)
    zones: list[ZoneSnapshot] = field(default_factory=list)
    faults: list[FaultSnapshot] = field(default_factory=list)
    controller: list[ControllerSnapshot] = field(default_factory=list)

    def announcement_changed(self, snapshot: AnnouncementSnapshot) -> None:
        self.announcements.append(snapshot)

    def zone_changed(self, snapshot: ZoneSnapshot) -> None:
        self.zones.append(snapshot)

    def fault_changed(self, snapshot: FaultSnapshot) -> None:
        self.faults.append(snapshot)

    def controller_changed(self, snapshot: ControllerSnapshot) -> None:
        self.controller.append(snapshot)

    def zone_states(self, ann_id: str, zone: int) -> list[State]:
        """The distinct states a zone of an announcement went through, in order."""
        last = [a for a in self.announcements if a.id == ann_id][-1]
        return [t.state for t in last.zones[zone].history]


def settings_for(sim: PaControllerSimulator, **overrides: Any) -> PaSettings:
    doc: dict[str, Any] = {
        "url": sim.url,
        "baudrate": sim.baudrate,
        "line_output": sim.line_url,
        "zones": [{"number": n, "name": f"Zone {n}"} for n in range(1, sim.zones + 1)],
        "groups": {"Bridges": [2, 4], "Cheapside": [5, 6]},
        "messages": [{"id": k, "name": v.name, "duration_s": v.duration_s} for k, v in TEST_STORE.messages.items()],
        "chimes": {"evacuate": 3, "alert": 3, "announcement": 1, "routine": 1, "background": 0},
        "call_grace_s": 5.0,
    }
    doc.update(overrides)
    return PaSettings.model_validate(doc)


@contextlib.asynccontextmanager
async def engine_for(
    sim: PaControllerSimulator, **overrides: Any
) -> AsyncIterator[tuple[AnnouncementEngine, Recorder]]:
    listener = Recorder()
    engine = AnnouncementEngine(settings_for(sim, **overrides), listener)
    await engine.start()
    try:
        await engine.driver.wait_state(ConnectionState.CONNECTED, 10)
        await asyncio.wait_for(engine.synced.wait(), 10)
        yield engine, listener
    finally:
        await engine.stop()
