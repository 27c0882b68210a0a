"""How the engine reports: the edge service implements this and turns reports into MQTT state, events, alerts."""

from __future__ import annotations

from typing import Protocol

from edge.pa.model import AnnouncementSnapshot, ControllerSnapshot, FaultSnapshot, ZoneSnapshot


class EngineListener(Protocol):
    """Called on the engine's event loop after each change (keep it quick; do not block)."""

    def announcement_changed(self, snapshot: AnnouncementSnapshot) -> None:
        """An announcement or one of its zones changed state."""

    def zone_changed(self, snapshot: ZoneSnapshot) -> None:
        """A zone's holder, queue or faults changed."""

    def fault_changed(self, snapshot: FaultSnapshot) -> None:
        """The controller reported a fault new or resolved."""

    def controller_changed(self, snapshot: ControllerSnapshot) -> None:
        """The controller link or mode changed."""


class NullListener:
    """Reports to nobody."""

    def announcement_changed(self, snapshot: AnnouncementSnapshot) -> None:
        return None

    def zone_changed(self, snapshot: ZoneSnapshot) -> None:
        return None

    def fault_changed(self, snapshot: FaultSnapshot) -> None:
        return None

    def controller_changed(self, snapshot: ControllerSnapshot) -> None:
        return None
