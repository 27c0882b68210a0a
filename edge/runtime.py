"""The edge runtime: wires the MQTT link, outbox, command intake and services together, and supervises them."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from paho.mqtt.properties import Properties
from pydantic import SecretStr

from edge import __version__
from edge.config import EdgeConfig
from edge.contract import topics
from edge.contract.errors import ContractError
from edge.contract.payloads import (
    Alert,
    CommandResponse,
    CommandStage,
    ControlState,
    DeviceDescription,
    DeviceState,
    Event,
    NodeBirth,
    NodeCommand,
    NodeState,
    Severity,
    decode,
    encode,
)
from edge.contract.topics import TopicKind, parse_topic
from edge.dedupe import CommandLedger
from edge.intake import CommandIntake
from edge.link import BOOT_STRIDE, LinkHandlers, MqttLink
from edge.metrics import EdgeMetrics
from edge.outbox import Outbox
from edge.publisher import OutboxPublisher
from edge.services.base import EdgeService, ServiceContext
from edge.statedb import next_counter, open_state_db
from edge.uuid7 import uuid7

log = logging.getLogger(__name__)

EDGE_DEVICE = "edge"
EDGE_KIND = "edge_node"
HEALTH_INTERVAL_S = 10.0
MAINTENANCE_INTERVAL_S = 60.0
STALE_ALERT_SETTLE_S = 10.0
SERVICE_RETRY_MIN_S = 2.0
SERVICE_RETRY_MAX_S = 60.0

ServiceFactory = Callable[[ServiceContext], list[EdgeService]]


class EdgeRuntime(ServiceContext):
    """One edge node process. Create it inside a running event loop, then ``await run(stop_event)``."""

    def __init__(self, config: EdgeConfig, services: ServiceFactory, mqtt_password: SecretStr | None = None) -> None:
        self.config = config
        self.node_id = config.node.id
        self.data_dir = config.node.data_dir
        self.started_at = datetime.now(UTC)
        self.metrics = EdgeMetrics()
        self._db = open_state_db(self.data_dir, config.outbox.synchronous)
        self.boot_count = next_counter(self._db, "boot")
        self.outbox = Outbox(self._db, config.outbox.max_rows, config.outbox.keep_delivered)
        self.ledger = CommandLedger(self._db)
        loop = asyncio.get_running_loop()
        self.link = MqttLink(
            config.mqtt,
            self.node_id,
            self.boot_count,
            LinkHandlers(self._on_connected, self._on_disconnected, self._on_message, self._on_puback),
            loop,
            password=mqtt_password,
            version=__version__,
        )
        self.publisher = OutboxPublisher(
            self.outbox, self.link, self.metrics, config.outbox.inflight, config.outbox.replay_rate
        )
        self.intake = CommandIntake(
            self.node_id,
            self.ledger,
            self.metrics,
            self._send_response,
            topics.control_responses(config.mqtt.control_room_host),
        )
        self._states: dict[str, DeviceState] = {}
        self._state_seq = self.boot_count * BOOT_STRIDE * 1000
        self._alerts: dict[str, dict[str, Alert]] = {}
        self._stale_alerts: set[tuple[str, str]] = set()
        self._control_rooms: dict[str, bool] = {}
        self._ever_connected = False
        # birth_seq of the last connection that was up: events written while disconnected carry the old one, so
        # they are flagged replayed when the next connection publishes them.
        self._live_birth_seq = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._started: list[EdgeService] = []
        self._failed: dict[str, tuple[str, float, float]] = {}  # service -> (error, retry at, backoff)
        self._dropped_seen = 0
        self.intake.is_down = lambda service: service.name in self._failed
        self.services = services(self)
        self._devices: dict[str, DeviceDescription] = {}
        for service in self.services:
            for device in service.devices():
                if device.id in self._devices or device.id == EDGE_DEVICE:
                    raise ValueError(f"device id {device.id} is used twice on node {self.node_id}")
                self._devices[device.id] = device
                self.intake.route(device.id, service, device.commands)

    # ServiceContext ------------------------------------------------------------------------------------------
    @property
    def control_room_online(self) -> bool:
        return any(self._control_rooms.values())

    def publish_state(self, device: str, kind: str, state: dict[str, Any]) -> None:
        self._state_seq += 1
        snapshot = DeviceState(kind=kind, seq=self._state_seq, birth_seq=self.link.birth_seq, state=state)
        self._states[device] = snapshot
        if self.link.publish(topics.device_state(self.node_id, device), encode(snapshot), qos=1, retain=True):
            self.metrics.messages_out.labels("state").inc()

    def emit_event(self, device: str, type: str, data: dict[str, Any], severity: Severity = Severity.INFO) -> int:
        ts = datetime.now(UTC)
        birth_seq = self._live_birth_seq

        def render(seq: int) -> str:
            event = Event(
                event_id=str(uuid7()), seq=seq, birth_seq=birth_seq, ts=ts, type=type, severity=severity, data=data
            )
            return event.model_dump_json()

        urgent = severity.priority <= Severity.MAJOR.priority
        seq = self.outbox.add_event(topics.device_events(self.node_id, device), render, urgent, birth_seq)
        self.publisher.wake()
        return seq

    def raise_alert(self, device: str, alert: Alert) -> None:
        active = self._alerts.setdefault(device, {})
        if alert.alert_id in active:
            return
        active[alert.alert_id] = alert
        self._stale_alerts.discard((device, alert.alert_id))
        self._publish_alert(device, alert)
        self.emit_event(
            device,
            "alert.raised",
            {"alert_id": alert.alert_id, "type": alert.type, "message": alert.message, "location": alert.location},
            alert.severity,
        )
        log.warning("alert raised on %s: %s", device, alert.message)

    def clear_alert(self, device: str, alert_id: str, reason: str = "recovered") -> None:
        alert = self._alerts.get(device, {}).pop(alert_id, None)
        if alert is None:
            return
        self.link.publish(topics.device_alert(self.node_id, device, alert_id), b"", qos=1, retain=True)
        self.emit_event(device, "alert.cleared", {"alert_id": alert_id, "type": alert.type, "reason": reason})
        log.info("alert cleared on %s: %s (%s)", device, alert_id, reason)

    def active_alerts(self, device: str) -> dict[str, Alert]:
        return dict(self._alerts.get(device, {}))

    def add_device(self, service: EdgeService, device: DeviceDescription) -> None:
        existing = self._devices.get(device.id)
        if device.id == EDGE_DEVICE or (existing is not None and self.intake.routes[device.id][0] is not service):
            raise ValueError(f"device id {device.id} is used twice on node {self.node_id}")
        self._devices[device.id] = device
        self.intake.route(device.id, service, device.commands)
        if self.link.connected:
            self._announce()

    def _publish_alert(self, device: str, alert: Alert) -> None:
        self.link.publish(topics.device_alert(self.node_id, device, alert.alert_id), encode(alert), qos=1, retain=True)

    # lifecycle -----------------------------------------------------------------------------------------------
    async def run(self, stop: asyncio.Event, on_ready: Callable[[EdgeRuntime], None] | None = None) -> None:
        """Start everything, run until ``stop`` is set, then stop everything in reverse order."""
        if self.config.metrics.listen:
            port = self.metrics.serve(self.config.metrics.listen)
            log.info("metrics on http://%s:%d/metrics", self.config.metrics.listen.rpartition(":")[0], port)
        self.publisher.start()
        self.link.start()
        started = self._started
        try:
            for service in self.services:
                await self._start_service(service)
            self._tasks = [
                asyncio.create_task(self._health_loop(), name="edge-health"),
                asyncio.create_task(self._maintenance_loop(), name="edge-maintenance"),
                asyncio.create_task(self._supervise(), name="edge-supervisor"),
            ]
            log.info("edge node %s started with %d devices", self.node_id, len(self._devices))
            if on_ready:
                on_ready(self)
            await stop.wait()
        finally:
            log.info("edge node %s stopping", self.node_id)
            for task in self._tasks:
                task.cancel()
            await asyncio.gather(*self._tasks, return_exceptions=True)
            await self.intake.stop()
            for service in reversed(started):
                try:
                    await service.stop()
                except Exception:
                    log.exception("service %s did not stop cleanly", service.name)
            await self.publisher.stop()
            offline = NodeState(online=False, birth_seq=self.link.birth_seq, version=__version__, ts=datetime.now(UTC))
            await asyncio.to_thread(self.link.stop, encode(offline))
            self.metrics.close()
            self._db.close()

    async def _start_service(self, service: EdgeService) -> None:
        """Start one service; a failure is reported in health and retried with backoff, not fatal to the node."""
        try:
            await service.start()
        except Exception as err:
            _, _, backoff = self._failed.get(service.name, ("", 0.0, SERVICE_RETRY_MIN_S / 2))
            backoff = min(backoff * 2, SERVICE_RETRY_MAX_S)
            if service.name not in self._failed:
                log.exception("service %s failed to start; retrying every %.0f s at most", service.name, backoff)
            self._failed[service.name] = (f"{type(err).__name__}: {err}", time.monotonic() + backoff, backoff)
            return
        if service.name in self._failed:
            log.info("service %s started after earlier failures", service.name)
            del self._failed[service.name]
        self._started.append(service)

    async def _supervise(self) -> None:
        """Retry services that failed to start."""
        while True:
            await asyncio.sleep(1.0)
            for service in self.services:
                failed = self._failed.get(service.name)
                if failed and time.monotonic() >= failed[1]:
                    await self._start_service(service)

    # link callbacks (event loop) -----------------------------------------------------------------------------
    def _on_connected(self, birth_seq: int) -> None:
        if self._ever_connected:
            log.info("reconnected to the JCCR broker (birth_seq %d)", birth_seq)
        else:
            log.info("connected to the JCCR broker (birth_seq %d)", birth_seq)
        self._ever_connected = True
        self._live_birth_seq = birth_seq
        self.metrics.connected.set(1)
        self.link.subscribe(topics.edge_subscriptions(self.node_id))
        self.link.subscribe_no_local(f"{topics.ROOT}/nodes/{self.node_id}/devices/+/alerts/+")
        self._announce()
        asyncio.get_running_loop().call_later(STALE_ALERT_SETTLE_S, self._clear_stale_alerts)
        self.publisher.wake()

    def _announce(self) -> None:
        """Publish node state, birth, every device state and every active alert (after connect or on rebirth)."""
        state = NodeState(
            online=True,
            birth_seq=self.link.birth_seq,
            version=__version__,
            started_at=self.started_at,
            ts=datetime.now(UTC),
        )
        self.link.publish(topics.node_state(self.node_id), encode(state), qos=1, retain=True)
        birth = NodeBirth(
            node=self.node_id,
            birth_seq=self.link.birth_seq,
            version=__version__,
            started_at=self.started_at,
            devices=[self._edge_description(), *self._devices.values()],
        )
        self.link.publish(topics.node_birth(self.node_id), encode(birth), qos=1, retain=True)
        for device, snapshot in self._states.items():
            self.link.publish(topics.device_state(self.node_id, device), encode(snapshot), qos=1, retain=True)
        for device, alerts in self._alerts.items():
            for alert in alerts.values():
                self._publish_alert(device, alert)
        self._publish_health()

    def _on_disconnected(self, reason: str) -> None:
        log.warning("lost the JCCR broker (%s); events stay in the outbox", reason)
        self.metrics.connected.set(0)
        self.metrics.reconnects.inc()

    def _on_puback(self, mid: int) -> None:
        self.publisher.on_puback(mid)

    def _on_message(self, topic: str, payload: bytes, props: Properties | None) -> None:
        try:
            parsed = parse_topic(topic)
        except ContractError as err:
            self.metrics.rejected_in.labels("topic").inc()
            log.warning("ignored message: %s", err)
            return
        self.metrics.messages_in.labels(parsed.kind.value).inc()
        if parsed.kind is TopicKind.DEVICE_COMMANDS and parsed.node == self.node_id and parsed.device:
            response_topic = getattr(props, "ResponseTopic", None) if props else None
            self.intake.handle(parsed.device, payload, response_topic)
        elif parsed.kind is TopicKind.NODE_COMMANDS and parsed.node == self.node_id:
            self._node_command(payload, getattr(props, "ResponseTopic", None) if props else None)
        elif parsed.kind is TopicKind.CONTROL_STATE and parsed.host:
            self._control_state(parsed.host, payload)
        elif (
            parsed.kind is TopicKind.DEVICE_ALERT
            and parsed.device
            and parsed.alert_id
            and payload
            and parsed.alert_id not in self._alerts.get(parsed.device, {})
        ):
            self._stale_alerts.add((parsed.device, parsed.alert_id))

    def _control_state(self, host: str, payload: bytes) -> None:
        try:
            state = decode(ControlState, payload) if payload else None
        except ContractError as err:
            self.metrics.rejected_in.labels("control_state").inc()
            log.warning("ignored control-room state from %s: %s", host, err)
            return
        online = bool(state and state.online)
        if self._control_rooms.get(host) != online:
            log.info("control room %s is %s", host, "online" if online else "offline")
        self._control_rooms[host] = online

    def _clear_stale_alerts(self) -> None:
        """Retained alerts left on the broker by an earlier run whose condition nobody has raised again."""
        for device, alert_id in sorted(self._stale_alerts):
            if alert_id not in self._alerts.get(device, {}):
                self.link.publish(topics.device_alert(self.node_id, device, alert_id), b"", qos=1, retain=True)
                self.emit_event(device, "alert.cleared", {"alert_id": alert_id, "reason": "not active after restart"})
        self._stale_alerts.clear()

    def _node_command(self, payload: bytes, requested_topic: str | None) -> None:
        topic = self.intake.response_topic(requested_topic)
        try:
            command = decode(NodeCommand, payload)
        except ContractError as err:
            self.metrics.rejected_in.labels("node_command").inc()
            log.warning("ignored node command: %s", err)
            return
        if self.ledger.seen(command.command_id) is not None:
            return
        self.ledger.record(command.command_id, command.expires_at.timestamp())
        if command.expires_at <= datetime.now(UTC):
            self.intake.answer(topic, command.command_id, None, CommandStage.EXPIRED, "expired", "arrived expired")
            return
        if command.action == "rebirth":
            self._announce()
            self.intake.answer(topic, command.command_id, None, CommandStage.SUCCEEDED, message="birth republished")
            return
        seq = command.args.get("seq")
        if not isinstance(seq, int) or seq < 1:
            self.intake.answer(
                topic, command.command_id, None, CommandStage.REJECTED, "invalid_args", "replay_from needs seq >= 1"
            )
            return
        count = self.publisher.republish(self.outbox.delivered_since(seq))
        self.intake.answer(
            topic, command.command_id, None, CommandStage.SUCCEEDED, message=f"replayed {count} events from {seq}"
        )

    def _send_response(self, topic: str, response: CommandResponse) -> None:
        self.outbox.add_response(topic, response.model_dump_json(), self._live_birth_seq)
        self.publisher.wake()

    # health and housekeeping ---------------------------------------------------------------------------------
    def _edge_description(self) -> DeviceDescription:
        return DeviceDescription(
            id=EDGE_DEVICE,
            kind=EDGE_KIND,
            label=self.config.node.label or self.node_id,
            capabilities={"services": [s.name for s in self.services]},
        )

    def _publish_health(self) -> None:
        services: dict[str, Any] = {}
        for service in self.services:
            if service.name in self._failed:
                services[service.name] = {"status": "failed", "error": self._failed[service.name][0]}
                continue
            try:
                services[service.name] = service.health()
            except Exception as err:
                services[service.name] = {"status": "failed", "error": f"{type(err).__name__}: {err}"}
        self.publish_state(
            EDGE_DEVICE,
            EDGE_KIND,
            {
                "services": services,
                "outbox_depth": self.outbox.depth,
                "outbox_dropped": self.outbox.dropped,
                "last_seq": self.outbox.last_seq,
                "reconnects": self.link.reconnects,
                "control_room_online": self.control_room_online,
                "uptime_s": round(time.time() - self.started_at.timestamp()),
            },
        )
        self._check_outbox_overflow()

    def _check_outbox_overflow(self) -> None:
        if self.outbox.dropped > self._dropped_seen:
            self.metrics.outbox_dropped.inc(self.outbox.dropped - self._dropped_seen)
            self._dropped_seen = self.outbox.dropped
            alert = Alert(
                alert_id="outbox_overflow",
                type="outbox_overflow",
                severity=Severity.MAJOR,
                message=f"edge {self.node_id} dropped {self.outbox.dropped} old non-alarm events: outbox full",
                raised_at=datetime.now(UTC),
                data={"dropped": self.outbox.dropped, "max_rows": self.outbox.max_rows},
            )
            self.raise_alert(EDGE_DEVICE, alert)
        elif self.outbox.depth < self.outbox.max_rows // 2:
            self.clear_alert(EDGE_DEVICE, "outbox_overflow", "outbox drained")

    async def _health_loop(self) -> None:
        while True:
            await asyncio.sleep(HEALTH_INTERVAL_S)
            self._publish_health()

    async def _maintenance_loop(self) -> None:
        while True:
            await asyncio.sleep(MAINTENANCE_INTERVAL_S)
            self.ledger.purge()
            self.outbox.purge_delivered()
