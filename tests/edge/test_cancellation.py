"""Loops stop when cancelled even if woken at the same moment.

On Python 3.11, ``asyncio.wait_for`` returns normally, losing the cancellation, when the task is cancelled just
after the awaited future completed (``wake()`` then ``stop()`` in one go): a ``while True`` loop around it then
never ends and the edge hangs at shutdown. These tests make exactly that interleaving.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from edge.config import LightingZone
from edge.contract.payloads import Alert, Severity
from edge.lighting.persist import JsonDocument
from edge.lighting.settings import ReconcileSettings
from edge.lighting.targets import TargetBook
from edge.lighting.zone import ZoneController
from edge.metrics import EdgeMetrics
from edge.outbox import Outbox
from edge.publisher import OutboxPublisher
from edge.statedb import open_state_db


class _OfflineLink:
    """A link that is never connected (the publisher then only waits)."""

    connected = False
    birth_seq = 0


class _Host:
    def emit(self, device: str, type_: str, data: dict[str, Any], severity: Severity = Severity.INFO) -> None:
        pass

    def raise_alert(self, device: str, alert: Alert) -> None:
        pass

    def clear_alert(self, device: str, alert_id: str, reason: str = "recovered") -> None:
        pass

    def zone_dirty(self, zone: str) -> None:
        pass


def test_outbox_publisher_stops_when_woken_and_stopped_together(tmp_path: Path) -> None:
    async def scenario() -> None:
        db = open_state_db(tmp_path)
        publisher = OutboxPublisher(Outbox(db, 1000, 100), _OfflineLink(), EdgeMetrics(), 10, 100.0)  # type: ignore[arg-type]
        publisher.start()
        await asyncio.sleep(0.05)  # the pump is waiting for work
        publisher.wake()
        async with asyncio.timeout(5):
            await publisher.stop()
        db.close()

    asyncio.run(scenario())


def test_zone_loop_stops_when_woken_and_cancelled_together(tmp_path: Path) -> None:
    async def scenario() -> None:
        book = TargetBook(["z"], None, JsonDocument(tmp_path / "state.json"))
        zone = ZoneController(LightingZone(id="z"), [], book, _Host(), ReconcileSettings())
        task = asyncio.create_task(zone.run())
        await asyncio.sleep(0.05)  # waiting for its next edge
        zone.wake()
        task.cancel()
        async with asyncio.timeout(5):
            await asyncio.gather(task, return_exceptions=True)
        assert task.cancelled()

    asyncio.run(scenario())
