"""A synthetic event source for soak tests and benchmarks: emits events through the real outbox path.

Engineers use it to check a site's pipeline end to end (edge → broker → control room → console) without
touching hardware. Enabled by a ``[loadgen]`` config section; driven by the ``run`` command.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from edge.contract.payloads import Command, DeviceDescription, Severity
from edge.errors import CommandRejected
from edge.services.base import CommandOutcome, EdgeService, Progress, ServiceContext, parse_args

KIND = "loadgen"


class LoadgenSettings(BaseModel):
    """``[loadgen]`` section."""

    model_config = ConfigDict(extra="forbid")
    device: str = Field(default="loadgen", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Device id.")
    max_rate: float = Field(default=20_000, gt=0, description="Highest events/s a run may ask for.")


class RunArgs(BaseModel):
    """``run``: emit ``count`` events at ``rate`` per second."""

    model_config = ConfigDict(extra="forbid")
    rate: float = Field(gt=0, description="Events per second.")
    count: int = Field(ge=1, le=10_000_000, description="How many events.")
    severity: Severity = Field(default=Severity.INFO, description="Severity of every event.")
    payload_bytes: int = Field(default=0, ge=0, le=65_536, description="Padding added to each event's data.")


class LoadgenService(EdgeService):
    """Emits ``loadgen.tick`` events carrying their creation time (``data.sent_at``) for latency measurement."""

    name = "loadgen"

    def __init__(self, ctx: ServiceContext, settings: LoadgenSettings) -> None:
        super().__init__(ctx)
        self.settings = settings
        self.emitted = 0
        self._run: asyncio.Task[None] | None = None

    def devices(self) -> list[DeviceDescription]:
        return [
            DeviceDescription(
                id=self.settings.device, kind=KIND, label="Synthetic event source", commands=["run", "stop"]
            )
        ]

    async def start(self) -> None:
        self._publish()

    async def stop(self) -> None:
        if self._run:
            self._run.cancel()
            await asyncio.gather(self._run, return_exceptions=True)

    def health(self) -> dict[str, Any]:
        return {"status": "ok", "emitted": self.emitted, "running": bool(self._run and not self._run.done())}

    def _publish(self) -> None:
        self.ctx.publish_state(self.settings.device, KIND, {"emitted": self.emitted})

    def validate(self, device: str, command: Command) -> None:
        if command.action == "run":
            args = parse_args(RunArgs, command)
            if args.rate > self.settings.max_rate:
                raise CommandRejected(
                    "rate_too_high", f"rate {args.rate:g}/s is above max_rate {self.settings.max_rate:g}"
                )

    async def execute(self, device: str, command: Command, progress: Progress) -> CommandOutcome:
        if command.action == "stop":
            if self._run:
                self._run.cancel()
            return CommandOutcome(message=f"stopped after {self.emitted} events")
        args = parse_args(RunArgs, command)
        if self._run and not self._run.done():
            raise CommandRejected("busy", "a run is in progress; stop it first")
        first = self.emitted + 1
        me = asyncio.current_task()
        self._run = asyncio.create_task(self._emit(args))
        try:
            await self._run
        except asyncio.CancelledError:
            if me is not None and me.cancelling():  # the edge is stopping, not a 'stop' command
                raise
        self._publish()
        return CommandOutcome(message=f"emitted events {first}..{self.emitted}", state_after={"emitted": self.emitted})

    async def _emit(self, args: RunArgs) -> None:
        pad = "x" * args.payload_bytes
        start = time.perf_counter()
        for i in range(args.count):
            due = start + i / args.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            self.emitted += 1
            data: dict[str, Any] = {"n": self.emitted, "sent_at": time.time()}
            if pad:
                data["pad"] = pad
            self.ctx.emit_event(self.settings.device, "loadgen.tick", data, args.severity)
