"""Issuing commands and driving each one to a terminal stage.

A command is stored (stage ``pending``) before it is published; the broker's PUBACK makes it ``sent``; the edge's
answers move it through ``accepted`` to a terminal stage. If none arrives by ``expires_at + grace`` it becomes
``unknown`` and an alert tells the operators.
"""

from __future__ import annotations

import logging
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from control_room import alerts
from control_room.audit import Actor, record
from control_room.errors import BrokerUnavailable
from control_room.hub import Hub
from control_room.metrics import ControlRoomMetrics
from control_room.mqtt_client import ControlMqtt
from control_room.store.db import Store
from control_room.store.models import Command, CommandStageRow
from control_room.views import alert_view, command_view
from edge.contract import topics
from edge.contract.payloads import Approval, CommandResponse, NodeCommand, Severity
from edge.contract.payloads import Command as CommandPayload
from edge.contract.redact import redact

log = logging.getLogger(__name__)

TERMINAL = {"succeeded", "failed", "rejected", "expired", "unknown"}
DEFAULT_TTL_S = {"lighting_zone": 30, "pa_zone": 10, "pa": 10, "camera": 5}


class CommandService:
    """Issues commands over MQTT and records their stages."""

    def __init__(self, store: Store, mqtt: ControlMqtt, hub: Hub, metrics: ControlRoomMetrics, grace_s: float) -> None:
        self.store = store
        self.mqtt = mqtt
        self.hub = hub
        self.metrics = metrics
        self.grace_s = grace_s
        self._sent: dict[int, str] = {}
        self._early_acks: set[int] = set()
        self._lock = threading.Lock()

    def issue(
        self,
        actor: Actor,
        node_id: str,
        device_id: str,
        action: str,
        args: dict[str, Any],
        ttl_s: float,
        mode: str = "live",
        approval: Approval | None = None,
        command_id: str | None = None,
    ) -> Command:
        """Store, audit and publish a device command. Raises BrokerUnavailable (the command is stored as failed)."""
        now = datetime.now(UTC)
        payload = CommandPayload(
            command_id=command_id or str(uuid.uuid4()),
            issued_by=actor.username,
            issued_at=now,
            expires_at=now + timedelta(seconds=ttl_s),
            mode=mode,
            action=action,
            args=args,
            approval=approval,
        )
        row = Command(
            id=payload.command_id,
            node_id=node_id,
            device_id=device_id,
            action=action,
            args=redact(args),  # what crosses to the edge may hold a secret (a camera password); what is kept not
            mode=mode,
            issued_by=actor.username,
            issued_at=now,
            expires_at=payload.expires_at,
            approval=approval.model_dump(mode="json") if approval else None,
            stage="pending",
            terminal=False,
            updated_at=now,
        )
        with self.store.session() as s:
            s.add(row)
            params = {"command_id": row.id, "mode": mode, **args}
            if approval is not None:
                params["approval"] = approval.model_dump(mode="json")
            record(s, actor, f"command.{action}", f"{node_id}/{device_id}", params)
        props = Properties(PacketTypes.PUBLISH)
        props.MessageExpiryInterval = max(1, int(ttl_s))
        props.ResponseTopic = topics.control_responses(self.mqtt.host_id)
        props.CorrelationData = row.id.encode()
        try:
            mid = self.mqtt.publish(
                topics.device_commands(node_id, device_id), payload.model_dump_json().encode(), "command", props
            )
        except BrokerUnavailable as err:
            self._set_stage(row.id, "failed", "broker_unreachable", str(err))
            raise
        with self._lock:
            early = mid in self._early_acks
            self._early_acks.discard(mid)
            if not early:
                self._sent[mid] = row.id
        self.hub.publish_threadsafe("command", command_view(row))
        if early:
            self._mark_sent(row.id)
        return row

    def node_command(self, node_id: str, action: str, args: dict[str, Any], issued_by: str = "control-room") -> str:
        """Publish a node-level command (rebirth, replay_from); not stored (it is housekeeping)."""
        now = datetime.now(UTC)
        cmd = NodeCommand(
            command_id=str(uuid.uuid4()),
            issued_by=issued_by,
            issued_at=now,
            expires_at=now + timedelta(seconds=30),
            action=action,
            args=args,
        )
        props = Properties(PacketTypes.PUBLISH)
        props.MessageExpiryInterval = 30
        props.ResponseTopic = topics.control_responses(self.mqtt.host_id)
        self.mqtt.publish(topics.node_commands(node_id), cmd.model_dump_json().encode(), "node_command", props)
        return cmd.command_id

    def on_puback(self, mid: int) -> list[tuple[str, dict[str, Any]]]:
        """The broker took the command: ``pending`` → ``sent``. Runs on the ingest thread."""
        with self._lock:
            command_id = self._sent.pop(mid, None)
            if command_id is None:
                self._early_acks.add(mid)
                if len(self._early_acks) > 10_000:  # acks of node commands and other untracked publishes
                    self._early_acks.clear()
                return []
        return self._mark_sent(command_id)

    def _mark_sent(self, command_id: str) -> list[tuple[str, dict[str, Any]]]:
        row = self._set_stage(command_id, "sent", None, "delivered to the broker", only_from="pending")
        if row is None:
            return []
        self.hub.publish_threadsafe("command", command_view(row))
        return []

    def _set_stage(
        self, command_id: str, stage: str, code: str | None, message: str, only_from: str | None = None
    ) -> Command | None:
        with self.store.session() as s:
            row = s.get(Command, command_id)
            if row is None or row.terminal or (only_from and row.stage != only_from):
                return None
            now = datetime.now(UTC)
            row.stage, row.code, row.message, row.updated_at = stage, code, message, now
            row.terminal = stage in TERMINAL
            s.add(CommandStageRow(command_id=command_id, stage=stage, code=code, message=message, ts=now))
            record(s, Actor("control-room"), "command.stage", command_id, {"stage": stage, "code": code})
            self.metrics.command_stages.labels(stage).inc()
            return row

    def apply_response(self, s: Session, resp: CommandResponse) -> list[tuple[str, dict[str, Any]]]:
        """Record one stage from an edge (inside the ingest transaction). Stale or repeated answers change nothing."""
        row = s.get(Command, resp.command_id)
        if row is None:
            return []
        dup = s.execute(
            select(CommandStageRow.id).where(
                CommandStageRow.command_id == resp.command_id,
                CommandStageRow.stage == resp.stage.value,
                CommandStageRow.ts == resp.ts,
            )
        ).first()
        if dup:
            return []
        s.add(
            CommandStageRow(
                command_id=resp.command_id,
                stage=resp.stage.value,
                code=resp.code,
                message=resp.message,
                progress=resp.progress,
                ts=resp.ts,
            )
        )
        self.metrics.command_stages.labels(resp.stage.value).inc()
        out: list[tuple[str, dict[str, Any]]] = []
        if not row.terminal:
            row.stage = resp.stage.value
            row.terminal = resp.stage.terminal
            row.code, row.message, row.progress = resp.code, resp.message, resp.progress
            if resp.state_after is not None:
                row.state_after = resp.state_after
            row.updated_at = datetime.now(UTC)
            record(
                s,
                Actor(f"node:{resp.node}"),
                "command.stage",
                row.id,
                {"stage": resp.stage.value, "code": resp.code, "message": resp.message},
            )
            out.append(("command", command_view(row)))
            if row.stage != "unknown":
                cleared = alerts.clear_alert(s, f"command_unknown:{row.id}")
                if cleared:
                    out.append(("alert", alert_view(cleared)))
        return out

    def sweep(self) -> list[tuple[str, dict[str, Any]]]:
        """Commands past expiry + grace with no terminal stage, and no word from the edge for ``grace`` either,
        become ``unknown``; operators get an alert. (A long command, such as a PA announcement that plays for
        minutes, stays alive by repeating its ``accepted`` progress.)"""
        cutoff = datetime.now(UTC) - timedelta(seconds=self.grace_s)
        out: list[tuple[str, dict[str, Any]]] = []
        with self.store.session() as s:
            rows = (
                s.execute(
                    select(Command)
                    .where(Command.terminal.is_(False), Command.expires_at < cutoff, Command.updated_at < cutoff)
                    .limit(500)
                )
                .scalars()
                .all()
            )
            for row in rows:
                now = datetime.now(UTC)
                message = (
                    f"no answer from {row.node_id} to {row.action} on {row.device_id} issued by {row.issued_by}; "
                    f"last stage was {row.stage}"
                )
                s.execute(
                    update(Command)
                    .where(Command.id == row.id)
                    .values(stage="unknown", terminal=True, code="no_terminal_stage", message=message, updated_at=now)
                )
                s.add(
                    CommandStageRow(
                        command_id=row.id, stage="unknown", code="no_terminal_stage", message=message, ts=now
                    )
                )
                record(s, Actor("control-room"), "command.stage", row.id, {"stage": "unknown"})
                self.metrics.command_stages.labels("unknown").inc()
                alert, _ = alerts.raise_alert(
                    s,
                    f"command_unknown:{row.id}",
                    "control_room",
                    "command_no_answer",
                    Severity.MAJOR,
                    message,
                    node_id=row.node_id,
                    device_id=row.device_id,
                    data={"command_id": row.id, "action": row.action},
                )
                s.refresh(row)
                out += [("command", command_view(row)), ("alert", alert_view(alert))]
        if out:
            log.warning("%d command(s) got no terminal answer", len(out) // 2)
        return out
