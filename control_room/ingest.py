"""MQTT ingest: nodes, births, device states, events, alerts and command stages into the store, then out to
WebSocket clients.

The paho thread only enqueues. One writer thread drains the queue in batches (one transaction per batch), so the
store keeps up with bursts; a batch that fails is retried message by message so one bad message cannot take
others with it. The same thread sweeps commands without a terminal stage and asks nodes to replay gaps.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from datetime import UTC, datetime
from typing import Any

from paho.mqtt.properties import Properties
from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from control_room import alerts
from control_room.commands import CommandService
from control_room.errors import BrokerUnavailable
from control_room.gaps import GapTracker
from control_room.hub import Hub
from control_room.metrics import ControlRoomMetrics
from control_room.store.db import Store
from control_room.store.models import Device, Event, Node
from control_room.views import EventPublic, alert_view, device_view, node_view
from edge.contract.errors import ContractError
from edge.contract.payloads import (
    Alert as AlertPayload,
)
from edge.contract.payloads import (
    CommandResponse,
    DeviceState,
    NodeBirth,
    NodeState,
    Severity,
    decode,
)
from edge.contract.payloads import (
    Event as EventPayload,
)
from edge.contract.topics import ParsedTopic, TopicKind, parse_topic

log = logging.getLogger(__name__)

BATCH = 500

# Statements built once: one INSERT … ON CONFLICT DO NOTHING RETURNING executed with many parameter sets (compiled
# once and cached), and a conditional bump of the node's highest seq.
_INSERT_EVENTS = {
    pg: (pg_insert if pg else sqlite_insert)(Event)
    .on_conflict_do_nothing(index_elements=["event_id"])
    .returning(Event.id, Event.event_id)
    for pg in (False, True)
}
_BUMP_LAST_SEQ = (
    update(Node)
    .where(Node.id == bindparam("node"))
    .values(last_seq=case((Node.last_seq < bindparam("seq"), bindparam("seq")), else_=Node.last_seq))
)
Outgoing = list[tuple[str, dict[str, Any]]]


class Ingest:
    """Queue + writer thread."""

    def __init__(
        self, store: Store, hub: Hub, metrics: ControlRoomMetrics, commands: CommandService | None = None
    ) -> None:
        self.store = store
        self.hub = hub
        self.metrics = metrics
        self.commands = commands
        self.gaps = GapTracker()
        self._q: queue.Queue[tuple[str, Any, Any, Any]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._last_sweep = 0.0
        self.stored_events = 0
        self.duplicate_events = 0

    # any thread -------------------------------------------------------------------------------------------------
    def submit(self, topic: str, payload: bytes, props: Properties | None) -> None:
        """Called by the paho thread for every message."""
        self._q.put(("msg", topic, payload, time.time()))

    def submit_puback(self, mid: int) -> None:
        """Called by the paho thread for every PUBACK."""
        self._q.put(("puback", mid, None, None))

    def start(self) -> None:
        """Start the writer thread."""
        self._thread = threading.Thread(target=self._run, name="control-room-ingest", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Store what is queued, then stop the writer thread."""
        self._stop.set()
        self._q.put(("stop", None, None, None))
        if self._thread:
            self._thread.join(30)
            self._thread = None

    def drain(self, timeout: float = 10.0) -> None:
        """Wait until everything queued so far is stored (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        while self._q.unfinished_tasks and time.monotonic() < deadline:
            time.sleep(0.01)

    # writer thread ----------------------------------------------------------------------------------------------
    def _run(self) -> None:
        while True:
            try:
                first = self._q.get(timeout=0.5)
            except queue.Empty:
                self._housekeeping()
                if self._stop.is_set():
                    return
                continue
            batch = [first]
            while len(batch) < BATCH:
                try:
                    batch.append(self._q.get_nowait())
                except queue.Empty:
                    break
            stop = any(item[0] == "stop" for item in batch)
            try:
                self._process([b for b in batch if b[0] != "stop"])
            except Exception:
                log.exception("ingest batch failed")
            finally:
                for _ in batch:
                    self._q.task_done()
            self.metrics.ingest_queue.set(self._q.qsize())
            self._housekeeping()
            if stop:
                return

    def _housekeeping(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep < 1.0:
            return
        self._last_sweep = now
        if self.commands is None:
            return
        try:
            self.hub.publish_many_threadsafe(self.commands.sweep())
        except SQLAlchemyError:
            log.exception("command sweep failed")
        for node, seq in self.gaps.due().items():
            try:
                self.commands.node_command(node, "replay_from", {"seq": seq})
                self.metrics.gap_replays.inc()
                log.warning("events missing from %s from seq %d: asked for a replay", node, seq)
            except BrokerUnavailable:
                pass

    def _process(self, batch: list[tuple[str, Any, Any, Any]]) -> None:
        if not batch:
            return
        self.metrics.ingest_batch.observe(len(batch))
        # PUBACKs of commands update their rows in a session of their own: applied inside the batch's open
        # transaction, that second session would wait for the batch's SQLite write lock ("database is locked").
        pubacks = [item[1] for item in batch if item[0] == "puback"]
        batch = [item for item in batch if item[0] != "puback"]
        out: Outgoing = []
        try:
            with self.store.session() as s:
                out = self._apply(s, batch)
        except Exception:
            log.exception("storing a batch of %d failed; retrying one by one", len(batch))
            out = []
            for item in batch:
                try:
                    with self.store.session() as s:
                        out += self._apply(s, [item])
                except Exception:
                    log.exception("dropped one message that cannot be stored: %s", item[1])
        if self.commands:
            for mid in pubacks:
                try:
                    out += self.commands.on_puback(mid)
                except SQLAlchemyError:
                    log.exception("could not mark a command sent")
        self.hub.publish_many_threadsafe(out)

    def _apply(self, s: Session, batch: list[tuple[str, Any, Any, Any]]) -> Outgoing:
        out: Outgoing = []
        events: list[tuple[ParsedTopic, EventPayload]] = []
        for _kind, topic, payload, _ in batch:
            try:
                parsed = parse_topic(topic)
            except ContractError as err:
                self.metrics.messages_rejected.labels("topic").inc()
                log.warning("ignored message on %s: %s", topic, err)
                continue
            self.metrics.messages_in.labels(parsed.kind.value).inc()
            try:
                if parsed.kind is TopicKind.DEVICE_EVENTS:
                    events.append((parsed, decode(EventPayload, payload)))
                else:
                    out += self._apply_one(s, parsed, payload)
            except ContractError as err:
                self.metrics.messages_rejected.labels(parsed.kind.value).inc()
                log.warning("rejected message on %s: %s", topic, err)
        if events:
            out += self._store_events(s, events)
        return out

    def _apply_one(self, s: Session, parsed: ParsedTopic, payload: bytes) -> Outgoing:
        assert parsed.kind is not TopicKind.DEVICE_EVENTS
        if parsed.kind is TopicKind.NODE_STATE and parsed.node:
            return self._node_state(s, parsed.node, payload)
        if parsed.kind is TopicKind.NODE_BIRTH and parsed.node and payload:
            return self._node_birth(s, parsed.node, decode(NodeBirth, payload))
        if parsed.kind is TopicKind.DEVICE_STATE and parsed.node and parsed.device and payload:
            return self._device_state(s, parsed.node, parsed.device, decode(DeviceState, payload))
        if parsed.kind is TopicKind.DEVICE_ALERT and parsed.node and parsed.device and parsed.alert_id:
            return self._device_alert(s, parsed, payload)
        if parsed.kind is TopicKind.CONTROL_RESPONSES and self.commands:
            return self.commands.apply_response(s, decode(CommandResponse, payload))
        return []

    def _node(self, s: Session, node_id: str) -> Node:
        node = s.get(Node, node_id)
        if node is None:
            node = Node(id=node_id, online=False, birth_seq=0, last_seq=0, last_change_at=datetime.now(UTC))
            s.add(node)
            s.flush()
        return node

    def _node_state(self, s: Session, node_id: str, payload: bytes) -> Outgoing:
        if not payload:
            return []
        state = decode(NodeState, payload)
        node = self._node(s, node_id)
        out: Outgoing = []
        if state.online:
            if state.birth_seq < node.birth_seq:
                return []
            changed = not node.online or state.birth_seq != node.birth_seq
            node.online, node.birth_seq, node.version = True, state.birth_seq, state.version
            node.started_at = state.started_at
            if changed:
                node.last_change_at = datetime.now(UTC)
                cleared = alerts.clear_alert(s, f"node_offline:{node_id}")
                if cleared:
                    out.append(("alert", alert_view(cleared)))
        else:
            if state.birth_seq != node.birth_seq or not node.online:
                log.info(
                    "ignored a stale offline state of %s (birth_seq %d, current %d)",
                    node_id,
                    state.birth_seq,
                    node.birth_seq,
                )
                return []
            node.online = False
            node.last_change_at = datetime.now(UTC)
            alert, _ = alerts.raise_alert(
                s,
                f"node_offline:{node_id}",
                "control_room",
                "node_offline",
                Severity.MAJOR,
                f"edge node {node_id} is offline",
                node_id=node_id,
            )
            out.append(("alert", alert_view(alert)))
        return [("node", node_view(node)), *out]

    def _node_birth(self, s: Session, node_id: str, birth: NodeBirth) -> Outgoing:
        node = self._node(s, node_id)
        node.birth = birth.model_dump(mode="json")
        out: Outgoing = []
        for desc in birth.devices:
            dev = s.get(Device, (node_id, desc.id))
            if dev is None:
                dev = _new_device(node_id, desc.id, desc.kind)
                s.add(dev)
            dev.kind, dev.label, dev.location = desc.kind, desc.label, desc.location
            dev.commands, dev.capabilities = list(desc.commands), dict(desc.capabilities)
            dev.updated_at = datetime.now(UTC)
            out.append(("device", device_view(dev)))
        return [("node", node_view(node)), *out]

    def _device_state(self, s: Session, node_id: str, device_id: str, st: DeviceState) -> Outgoing:
        dev = s.get(Device, (node_id, device_id))
        if dev is None:
            dev = _new_device(node_id, device_id, st.kind)
            s.add(dev)
        elif st.seq <= dev.state_seq:
            return []
        dev.kind, dev.state, dev.state_seq, dev.state_ts = st.kind, st.state, st.seq, st.ts
        dev.updated_at = datetime.now(UTC)
        if st.kind == "edge_node" and isinstance(st.state.get("outbox_depth"), int):
            self.metrics.node_outbox.labels(node_id).set(st.state["outbox_depth"])
        return [("device_state", device_view(dev))]

    def _device_alert(self, s: Session, parsed: ParsedTopic, payload: bytes) -> Outgoing:
        assert parsed.node and parsed.device and parsed.alert_id
        key = alerts.device_alert_key(parsed.node, parsed.device, parsed.alert_id)
        if not payload:
            cleared = alerts.clear_alert(s, key)
            return [("alert", alert_view(cleared))] if cleared else []
        a = decode(AlertPayload, payload)
        dev = s.get(Device, (parsed.node, parsed.device))
        alert, changed = alerts.raise_alert(
            s,
            key,
            "device",
            a.type,
            a.severity,
            a.message,
            node_id=parsed.node,
            device_id=parsed.device,
            location=a.location or (dev.location if dev else None),
            data=a.data,
            snapshot_jpeg=a.snapshot_jpeg,
            raised_at=a.raised_at,
        )
        return [("alert", alert_view(alert))] if changed else []

    def _store_events(self, s: Session, events: list[tuple[ParsedTopic, EventPayload]]) -> Outgoing:
        now = datetime.now(UTC)
        rows: dict[str, dict[str, Any]] = {}
        for parsed, ev in events:
            rows.setdefault(
                ev.event_id,
                {
                    "event_id": ev.event_id,
                    "node_id": parsed.node,
                    "device_id": parsed.device,
                    "seq": ev.seq,
                    "birth_seq": ev.birth_seq,
                    "ts": ev.ts,
                    "type": ev.type,
                    "severity": ev.severity.value,
                    "replayed": ev.replayed,
                    "data": ev.data,
                    "received_at": now,
                },
            )
        conn = s.connection()
        result = conn.execute(_INSERT_EVENTS[conn.dialect.name == "postgresql"], list(rows.values()))
        ids = {event_id: store_id for store_id, event_id in result}
        inserted = set(ids)
        dupes = len(events) - len(inserted)
        if dupes:
            self.metrics.events_duplicate.inc(dupes)
            self.duplicate_events += dupes
        self.stored_events += len(inserted)
        highest: dict[str, int] = {}
        for event_id in inserted:
            row = rows[event_id]
            node = row["node_id"]
            if not self.gaps.known(node):
                stored = s.execute(select(func.max(Node.last_seq)).where(Node.id == node)).scalar() or 0
                self.gaps.start(node, int(stored))
            self.gaps.seen(node, row["seq"])
            highest[node] = max(highest.get(node, 0), row["seq"])
        for node_id, seq in highest.items():
            if conn.execute(_BUMP_LAST_SEQ, {"node": node_id, "seq": seq}).rowcount == 0:
                self._node(s, node_id).last_seq = seq
        return [("event", _event_view(ids[eid], rows[eid])) for eid in sorted(inserted, key=ids.__getitem__)]


def _event_view(store_id: int, row: dict[str, Any]) -> dict[str, Any]:
    """The public view of a just-inserted event, without reading it back."""
    return EventPublic.model_validate({**row, "id": store_id}).model_dump(mode="json")


def _new_device(node_id: str, device_id: str, kind: str) -> Device:
    """A device row with every field set (column defaults only apply at INSERT)."""
    return Device(
        node_id=node_id,
        id=device_id,
        kind=kind,
        label="",
        location=None,
        commands=[],
        capabilities={},
        state=None,
        state_seq=0,
        state_ts=None,
        updated_at=datetime.now(UTC),
    )
