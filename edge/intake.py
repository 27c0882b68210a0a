"""Command intake: expiry, at-most-once, routing to the owning service, and stage answers.

No expiry, no execution. A command id is claimed on disk before it runs; a duplicate gets the answers already
given, never a second execution.
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError

from edge.contract import topics
from edge.contract.payloads import (
    Command,
    CommandResponse,
    CommandStage,
    describe_validation_error,
)
from edge.dedupe import CommandLedger
from edge.errors import CommandFailed, CommandRejected
from edge.metrics import EdgeMetrics
from edge.services.base import EdgeService, Progress

log = logging.getLogger(__name__)

_RESPONSE_TOPIC = re.compile(rf"^{re.escape(topics.ROOT)}/control/[A-Za-z0-9][A-Za-z0-9_.-]{{0,63}}/responses$")
UNPARSED_TTL_S = 60.0


class CommandIntake:
    """Validates, deduplicates and dispatches device commands; sends every stage through ``send``."""

    def __init__(
        self,
        node_id: str,
        ledger: CommandLedger,
        metrics: EdgeMetrics,
        send: Callable[[str, CommandResponse], None],
        default_response_topic: str,
    ) -> None:
        self.node_id = node_id
        self.ledger = ledger
        self.metrics = metrics
        self._send = send
        self.default_response_topic = default_response_topic
        self.routes: dict[str, tuple[EdgeService, set[str]]] = {}
        self.is_down: Callable[[EdgeService], bool] = lambda service: False
        self._tasks: set[asyncio.Task[None]] = set()

    def route(self, device: str, service: EdgeService, actions: list[str]) -> None:
        """Send commands for ``device`` with one of ``actions`` to ``service``."""
        self.routes[device] = (service, set(actions))

    def response_topic(self, requested: str | None) -> str:
        """The requested MQTT 5 response topic if it is a control room's responses topic, else the default."""
        if requested and _RESPONSE_TOPIC.match(requested):
            return requested
        return self.default_response_topic

    def answer(
        self,
        topic: str,
        command_id: str,
        device: str | None,
        stage: CommandStage,
        code: str = "ok",
        message: str = "",
        progress: str | None = None,
        state_after: dict[str, Any] | None = None,
    ) -> None:
        """Record and send one stage."""
        response = CommandResponse(
            command_id=command_id,
            node=self.node_id,
            device=device,
            stage=stage,
            code=code,
            message=message[:1000],
            progress=progress,
            state_after=state_after,
        )
        self.ledger.add_response(response)
        self.metrics.command_stages.labels(stage.value).inc()
        self._send(topic, response)

    def handle(self, device: str, payload: bytes, response_topic: str | None) -> None:
        """Take one message from ``nodes/{node}/devices/{device}/commands``."""
        topic = self.response_topic(response_topic)
        try:
            raw = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            self.metrics.rejected_in.labels("command").inc()
            log.warning("dropped command for %s: not JSON (%s)", device, err)
            return
        command_id = raw.get("command_id") if isinstance(raw, dict) else None
        if not isinstance(command_id, str) or not 0 < len(command_id) <= 64:
            self.metrics.rejected_in.labels("command").inc()
            log.warning("dropped command for %s: no usable command_id, nobody to answer", device)
            return
        earlier = self.ledger.seen(command_id)
        if earlier is not None:
            log.info("duplicate command %s: repeating %d earlier answer(s)", command_id, len(earlier))
            for response in earlier:
                self._send(topic, response)
            return
        now = datetime.now(UTC)
        try:
            command = Command.model_validate(raw)
        except ValidationError as err:
            self.ledger.record(command_id, now.timestamp() + UNPARSED_TTL_S)
            detail = describe_validation_error(err)
            if "expires_at" in detail:
                detail = f"commands without a valid expires_at are never executed ({detail})"
            self.answer(topic, command_id, device, CommandStage.REJECTED, "invalid_command", detail)
            return
        self.ledger.record(command_id, max(command.expires_at.timestamp(), now.timestamp()))
        if command.expires_at <= now:
            late = (now - command.expires_at).total_seconds()
            self.answer(
                topic, command_id, device, CommandStage.EXPIRED, "expired", f"arrived {late:.1f} s after it expired"
            )
            return
        route = self.routes.get(device)
        if route is None:
            self.answer(topic, command_id, device, CommandStage.REJECTED, "unknown_device", f"no device {device}")
            return
        service, actions = route
        if command.action not in actions:
            self.answer(
                topic,
                command_id,
                device,
                CommandStage.REJECTED,
                "unknown_action",
                f"{device} accepts {', '.join(sorted(actions)) or 'no commands'}, not {command.action}",
            )
            return
        if self.is_down(service):
            self.answer(
                topic,
                command_id,
                device,
                CommandStage.REJECTED,
                "service_unavailable",
                f"the {service.name} service of {self.node_id} is not running (it failed to start; retrying)",
            )
            return
        try:
            service.validate(device, command)
        except CommandRejected as err:
            self.answer(topic, command_id, device, CommandStage.REJECTED, err.code, err.message)
            return
        self.answer(topic, command_id, device, CommandStage.ACCEPTED, message=accepted_message(command))
        if command.approval is not None or command.mode == "test":
            log.info("executing command %s on %s: %s", command_id, device, accepted_message(command))
        task = asyncio.create_task(self._run(service, device, command, topic), name=f"command-{command_id}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, service: EdgeService, device: str, command: Command, topic: str) -> None:
        cid = command.command_id

        def progress(step: str, message: str) -> None:
            self.answer(topic, cid, device, CommandStage.ACCEPTED, progress=step, message=message)

        try:
            outcome = await service.execute(device, command, Progress(progress))
        except CommandRejected as err:
            self.answer(topic, cid, device, CommandStage.REJECTED, err.code, err.message)
        except CommandFailed as err:
            self.answer(topic, cid, device, CommandStage.FAILED, err.code, err.message, state_after=err.state_after)
        except asyncio.CancelledError:
            self.answer(topic, cid, device, CommandStage.FAILED, "edge_stopping", "the edge node stopped")
            raise
        except Exception as err:
            log.exception("command %s on %s failed unexpectedly", cid, device)
            self.answer(topic, cid, device, CommandStage.FAILED, "internal_error", f"{type(err).__name__}: {err}")
        else:
            self.answer(
                topic,
                cid,
                device,
                CommandStage.SUCCEEDED,
                outcome.code,
                outcome.message,
                state_after=outcome.state_after,
            )

    async def stop(self) -> None:
        """Cancel commands still running (each answers ``failed``)."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def accepted_message(command: Command) -> str:
    """What the ``accepted`` stage says: the mode and action, and the approval a sensitive command carries."""
    text = f"{command.mode} {command.action}"
    approval = command.approval
    if approval is not None:
        text += (
            f", approved by {approval.approved_by} at {approval.approved_at.isoformat(timespec='seconds')} "
            f"(two-person rule: approval {approval.request_id}, requested by {approval.requested_by})"
        )
    return text
