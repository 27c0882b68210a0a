"""The interface between the edge runtime and a per-domain service.

A service owns some devices. The runtime gives it a :class:`ServiceContext` to publish state, emit events
(through the outbox), and raise/clear alerts; it calls :meth:`EdgeService.execute` for each accepted command
addressed to one of the service's devices, after expiry, dedupe and device/action checks have passed.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ValidationError

from edge.contract.payloads import Alert, Command, DeviceDescription, Severity, describe_validation_error
from edge.errors import CommandRejected

A = TypeVar("A", bound=BaseModel)


class ServiceContext(Protocol):
    """What the runtime offers a service. Every method is called from the edge's event loop."""

    node_id: str
    data_dir: Path

    def publish_state(self, device: str, kind: str, state: dict[str, Any]) -> None:
        """Publish the device's retained state snapshot (kept and re-sent after every reconnect)."""

    def emit_event(self, device: str, type: str, data: dict[str, Any], severity: Severity = Severity.INFO) -> int:
        """Commit an event to the outbox; returns its sequence number."""

    def raise_alert(self, device: str, alert: Alert) -> None:
        """Publish a retained active alert (idempotent for an already active alert_id) and an alert event."""

    def clear_alert(self, device: str, alert_id: str, reason: str = "recovered") -> None:
        """Clear an active alert (empty retained payload) and emit an alert event; no-op if not active."""

    def active_alerts(self, device: str) -> dict[str, Alert]:
        """Alerts currently raised on a device, by alert_id."""

    def add_device(self, service: EdgeService, device: DeviceDescription) -> None:
        """Announce a device created at run time (or replace its description); the birth is republished."""

    @property
    def control_room_online(self) -> bool:
        """Whether at least one control room is connected (hold back live-only traffic otherwise)."""


@dataclass
class CommandOutcome:
    """The terminal result of a successful command."""

    message: str = ""
    state_after: dict[str, Any] | None = None
    code: str = "ok"


@dataclass
class Progress:
    """Reports intermediate steps of a long command (sent as repeated ``accepted`` stages)."""

    report: Callable[[str, str], None] = field(default=lambda step, message: None)

    def __call__(self, step: str, message: str = "") -> None:
        self.report(step, message)


class EdgeService(ABC):
    """Base class of edge services."""

    name: str = "service"

    def __init__(self, ctx: ServiceContext) -> None:
        self.ctx = ctx
        self.log = logging.getLogger(f"edge.{self.name}")

    @abstractmethod
    def devices(self) -> list[DeviceDescription]:
        """Devices this service owns (they appear in the node's birth message)."""

    @abstractmethod
    async def start(self) -> None:
        """Connect to hardware and begin publishing state. Must not block on unreachable hardware."""

    @abstractmethod
    async def stop(self) -> None:
        """Stop every task, thread and connection the service started."""

    def validate(self, device: str, command: Command) -> None:
        """Check a command before it is accepted (arguments, interlocks); raise CommandRejected to refuse it.

        Runs on the event loop and must not block. The default accepts everything ``execute`` will check itself.
        """
        return None

    @abstractmethod
    async def execute(self, device: str, command: Command, progress: Progress) -> CommandOutcome:
        """Carry out an accepted command. Raise CommandRejected/CommandFailed to refuse or fail it."""

    def health(self) -> dict[str, Any]:
        """A small health summary for the node's ``edge`` device state."""
        return {"status": "ok"}


def parse_args(model: type[A], command: Command) -> A:
    """Validate a command's args with its model, or reject it naming the bad field."""
    try:
        return model.model_validate(command.args)
    except ValidationError as err:
        raise CommandRejected("invalid_args", f"{command.action}: {describe_validation_error(err)}") from err
