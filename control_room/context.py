"""The objects one control-room app owns, created by the app factory and reached through dependencies."""

from __future__ import annotations

from dataclasses import dataclass, field

from control_room.approvals import ApprovalService
from control_room.audit_anchor import AuditAnchor
from control_room.commands import CommandService
from control_room.escalation import AlertEscalator
from control_room.hub import Hub
from control_room.ingest import Ingest
from control_room.live import LiveRelay
from control_room.metrics import ControlRoomMetrics
from control_room.mqtt_client import ControlMqtt
from control_room.security.console_sessions import ConsoleSessions
from control_room.security.tokens import TokenIssuer
from control_room.settings import Settings
from control_room.store.db import Store


@dataclass
class AppContext:
    """Everything a request handler may need; one per app instance (no module globals)."""

    settings: Settings
    store: Store
    hub: Hub
    metrics: ControlRoomMetrics
    mqtt: ControlMqtt
    ingest: Ingest
    commands: CommandService
    tokens: TokenIssuer
    live: LiveRelay
    console_sessions: ConsoleSessions
    approvals: ApprovalService
    escalator: AlertEscalator | None = field(default=None)
    audit_anchor: AuditAnchor | None = field(default=None)
