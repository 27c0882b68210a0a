"""The outbox pump: publishes outbox rows at QoS 1 and marks them delivered on PUBACK.

Runs on the event loop. A bounded window of rows is in flight; paho re-sends its in-flight messages after a
reconnect, so a row is published again by the pump only after an edge restart (then flagged ``replayed``).
"""

from __future__ import annotations

import asyncio
import json
import logging

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from edge.link import MqttLink
from edge.metrics import EdgeMetrics
from edge.outbox import Outbox, OutboxRow

log = logging.getLogger(__name__)


class OutboxPublisher:
    """Moves rows from the outbox to the broker."""

    def __init__(self, outbox: Outbox, link: MqttLink, metrics: EdgeMetrics, window: int, replay_rate: float) -> None:
        self.outbox = outbox
        self.link = link
        self.metrics = metrics
        self.window = window
        self.replay_rate = replay_rate
        self._inflight: dict[int, int] = {}  # paho mid -> outbox row id
        self._acked: list[int] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Start the pump task."""
        self._task = asyncio.create_task(self._run(), name="outbox-publisher")

    async def stop(self) -> None:
        """Stop the pump, recording the acknowledgements already received."""
        if self._task:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        self._flush_acks()

    def wake(self) -> None:
        """Something changed: new rows, a PUBACK, or a connection."""
        self._wake.set()

    def on_puback(self, mid: int) -> None:
        """Called on the loop for every PUBACK."""
        row_id = self._inflight.pop(mid, None)
        if row_id is not None:
            self._acked.append(row_id)
            self._wake.set()

    @property
    def inflight(self) -> int:
        """Rows published and not yet acknowledged."""
        return len(self._inflight)

    def _flush_acks(self) -> None:
        if self._acked:
            acked, self._acked = self._acked, []
            self.outbox.mark_delivered(acked)
        self.metrics.outbox_depth.set(self.outbox.depth)

    async def _run(self) -> None:
        while True:
            # asyncio.timeout, not wait_for: on Python 3.11 wait_for swallows a cancellation that arrives while the
            # event is being set (stop() right after wake()), and this loop would never end.
            try:
                async with asyncio.timeout(1.0):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            self._flush_acks()
            sent = self._publish_batch()
            if sent and self.outbox.depth - self.inflight > self.window:
                # A backlog (after a reconnect or restart): pace the replay so live traffic keeps flowing.
                await asyncio.sleep(sent / self.replay_rate)
                self._wake.set()

    def _publish_batch(self) -> int:
        if not self.link.connected:
            return 0
        room = self.window - len(self._inflight)
        if room <= 0:
            return 0
        rows = self.outbox.next_batch(room)
        published: list[OutboxRow] = []
        for row in rows:
            mid = self.link.publish(
                row.topic, row.payload_for_publish(self.link.birth_seq), qos=1, properties=_properties(row)
            )
            if mid is None:
                break
            self._inflight[mid] = row.id
            published.append(row)
            self.metrics.messages_out.labels(row.kind).inc()
        self.outbox.handed_out(published)
        return len(published)

    def republish(self, rows: list[OutboxRow]) -> int:
        """Publish already-delivered events again for a replay request (flagged replayed; not tracked)."""
        n = 0
        for row in rows:
            if self.link.publish(row.topic, row.payload_for_publish(self.link.birth_seq, force_replayed=True)) is None:
                break
            n += 1
        self.metrics.messages_out.labels("replay").inc(n)
        return n


def _properties(row: OutboxRow) -> Properties | None:
    if row.kind != "response":
        return None
    props = Properties(PacketTypes.PUBLISH)
    try:
        props.CorrelationData = str(json.loads(row.payload)["command_id"]).encode()
    except (ValueError, KeyError):
        return None
    return props
