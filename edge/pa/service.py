"""The PA edge service: the head-end as a ``pa`` device (announce, cancel, all-clear, system test) and its zones.

An ``announce`` command stays ``accepted`` while the announcement lives, reporting each change as progress
(``queued``, ``playing``) and at least every few seconds (so the control room knows it is alive), and ends ``succeeded``
when every zone completed, ``failed`` otherwise, with the per-zone outcomes in ``state_after``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from drivers.pa.errors import SpeechFailed, TextRejected
from edge.contract.pa import (
    ACTIONS,
    PA,
    PA_ZONE,
    PRIORITY_NAMES,
    AllClearArgs,
    AnnounceArgs,
    CancelArgs,
    SystemTestArgs,
    announcement_outcome_message,
    zone_device_id,
)
from edge.contract.payloads import Command, DeviceDescription
from edge.errors import CommandFailed, CommandRejected
from edge.pa.config import PaSettings
from edge.pa.engine import AnnouncementEngine
from edge.pa.errors import PaEngineError, UnknownAnnouncement
from edge.pa.model import AnnouncementSnapshot, Request, State
from edge.pa.payloads import announcement_payload, request_of
from edge.pa.priorities import PRIORITY_VALUES, priority_class
from edge.pa.reporting import Reporter
from edge.pa.scheduled import PaScheduling
from edge.pa.systest import SystemTest
from edge.services.base import CommandOutcome, EdgeService, Progress, ServiceContext, parse_args

log = logging.getLogger(__name__)

CANCEL_LOOKUP_S = 1.0  # a cancel may overtake the announce it names by a few milliseconds


class PaService(EdgeService):
    """Owns one PA head-end and its zones."""

    name = "pa"

    def __init__(self, ctx: ServiceContext, settings: PaSettings) -> None:
        super().__init__(ctx)
        self.settings = settings
        self.device = settings.device_id
        self.reporter = Reporter(ctx, self.device, settings.label, settings.location)
        self.engine = AnnouncementEngine(settings, self.reporter)
        self.systest = SystemTest(self.engine, settings.system_test, ctx.data_dir / f"{self.device}-system-test.json")
        self.scheduling = PaScheduling(self.engine, settings.schedules, self.systest, self._scheduled)

    # ---- EdgeService ------------------------------------------------------------------------------------------

    def devices(self) -> list[DeviceDescription]:
        s = self.settings
        head = DeviceDescription(
            id=self.device,
            kind=PA,
            label=s.label,
            location=s.location,
            commands=list(ACTIONS),
            capabilities={
                "zones": [
                    {"zone": z.number, "name": z.name, "device": zone_device_id(self.device, z.number)} for z in s.zones
                ],
                "groups": {name: sorted(zones) for name, zones in s.zone_groups().items()},
                "messages": [{"id": m.id, "name": m.name, "duration_s": m.duration_s} for m in s.messages],
                "priorities": {p: PRIORITY_VALUES[p] for p in PRIORITY_VALUES} | {"names": list(PRIORITY_NAMES)},
                "max_text_chars": s.tts.max_chars,
                "baudrate": s.baudrate,
            },
        )
        zones = [
            DeviceDescription(
                id=zone_device_id(self.device, z.number),
                kind=PA_ZONE,
                label=z.name,
                location=z.name,
                commands=[],
                capabilities={"zone": z.number, "system": self.device},
            )
            for z in s.zones
        ]
        return [head, *zones]

    async def start(self) -> None:
        await self.engine.start()
        self.reporter.start(self.engine)
        self.scheduling.start()
        self._refresh_plans()

    async def stop(self) -> None:
        await self.scheduling.stop()
        await self.engine.stop()
        await self.reporter.stop()

    def health(self) -> dict[str, Any]:
        ctl = self.engine.controller_snapshot()
        return {
            "status": "ok" if ctl.connection == "connected" else "degraded",
            "controller": ctl.connection,
            "active_announcements": len(self.engine.active),
        }

    def validate(self, device: str, command: Command) -> None:
        if device != self.device:
            raise CommandRejected("unknown_action", f"{device} takes no commands; send them to {self.device}")
        if command.action == "announce":
            self._request(command)
        elif command.action == "cancel":
            parse_args(CancelArgs, command)
        elif command.action == "all_clear":
            parse_args(AllClearArgs, command)
        elif command.action == "system_test":
            parse_args(SystemTestArgs, command)
            allowed = self.systest.next_allowed()
            if command.mode == "live" and allowed is not None and allowed > command.issued_at:
                raise CommandRejected("too_soon", f"the next system test is allowed from {allowed:%Y-%m-%d %H:%M} UTC")

    async def execute(self, device: str, command: Command, progress: Progress) -> CommandOutcome:
        if command.action == "announce":
            return await self._announce(command, progress)
        if command.action == "cancel":
            return await self._cancel(command)
        if command.action == "all_clear":
            args = parse_args(AllClearArgs, command)
            if command.mode == "test":
                return CommandOutcome(f"test only: would cancel {len(self.engine.active)} announcements", code="test")
            result = await self.engine.all_clear(f"{args.reason} ({command.issued_by})")
            cancelled = result["cancelled"]
            message = f"all clear: {len(cancelled)} announcements cancelled"
            if result["emergency"]:
                message += f"; {result['emergency']}"
            return CommandOutcome(message, state_after=result)
        if command.action == "system_test":
            return await self._system_test(command)
        raise CommandRejected("unknown_action", f"{device} does not accept {command.action}")

    # ---- actions ----------------------------------------------------------------------------------------------

    def _request(self, command: Command) -> Request:
        args = parse_args(AnnounceArgs, command)
        try:
            return request_of(
                args, self.engine, command.command_id, f"operator:{command.issued_by}", approval=command.approval
            )
        except PaEngineError as err:
            raise CommandRejected(err.code, err.sentence) from err

    async def _announce(self, command: Command, progress: Progress) -> CommandOutcome:
        req = self._request(command)
        if command.mode == "test":
            return await self._rehearse(req, command)
        waiter = asyncio.Event()
        self.reporter.waiters[command.command_id] = waiter
        try:
            try:
                snap = self.engine.submit(req)
            except PaEngineError as err:
                raise CommandRejected(err.code, err.sentence) from err
            snap = await self._follow(snap, waiter, progress)
        finally:
            self.reporter.waiters.pop(command.command_id, None)
        payload = announcement_payload(snap)
        state_after: dict[str, Any] = {"announcement": payload.model_dump(mode="json")}
        message = announcement_outcome_message(payload)
        if snap.state is State.COMPLETED:
            return CommandOutcome(message, state_after=state_after, code="completed")
        raise CommandFailed(snap.state.value, message, state_after=state_after)

    async def _follow(
        self, snap: AnnouncementSnapshot, waiter: asyncio.Event, progress: Progress
    ) -> AnnouncementSnapshot:
        """Report each change (and a keep-alive) until the announcement finishes; the final snapshot."""
        loop = asyncio.get_running_loop()
        last: tuple[str, str] | None = None
        said_at = 0.0
        while True:
            snap = self.engine.get(snap.id)
            if snap.id not in self.engine.active:
                return snap
            message = announcement_outcome_message(announcement_payload(snap))
            now = loop.time()
            if (snap.state.value, message) != last or now - said_at >= self.settings.progress_every_s:
                progress(snap.state.value, message)
                last, said_at = (snap.state.value, message), now
            waiter.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(waiter.wait(), self.settings.progress_every_s)

    async def _rehearse(self, req: Request, command: Command) -> CommandOutcome:
        """Test mode: say what would happen; synthesise speech to prove it works; play nothing. The rehearsal is
        reported as a ``pa.announcement_test`` event (never ``pa.announcement``, so no consumer mistakes it for a
        broadcast) and in ``state_after``, both marked ``mode: test``."""
        plan = self.engine.plan(req)
        if req.text is not None:
            try:
                pcm = await self.engine.tts.synthesize(req.text)
            except (SpeechFailed, TextRejected) as err:
                raise CommandFailed(err.code, f"speech synthesis failed: {err.sentence}") from err
            plan["speech_s"] = round(pcm.duration_s, 2)
        parts = [f"would play now in zones {plan['play']}" if plan["play"] else ""]
        if plan["preempt"]:
            parts.append(f"would pre-empt {plan['preempt']}")
        if plan["queue"]:
            parts.append(f"would wait for zones {plan['queue']}")
        if plan["fail"]:
            parts.append(f"would fail in {plan['fail']}")
        message = "test only, nothing played: " + "; ".join(p for p in parts if p)
        approval = command.approval.model_dump(mode="json") if command.approval else None
        report = {
            "id": command.command_id,
            "mode": "test",
            "zones": sorted(req.zones),
            "priority": req.priority,
            "priority_class": priority_class(req.priority).value,
            "issued_by": command.issued_by,
            "approval": approval,
            "plan": plan,
            "message": message,
        }
        self.ctx.emit_event(self.device, "pa.announcement_test", report)
        return CommandOutcome(message, state_after={"plan": plan, "mode": "test", "approval": approval}, code="test")

    async def _cancel(self, command: Command) -> CommandOutcome:
        args = parse_args(CancelArgs, command)
        reason = args.reason or f"cancelled by {command.issued_by}"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + CANCEL_LOOKUP_S
        while True:
            try:
                if command.mode == "test":
                    snap = self.engine.get(args.announcement_id)
                    return CommandOutcome(f"test only: would cancel {snap.id} ({snap.state.value})", code="test")
                snap = self.engine.cancel(args.announcement_id, reason)
                break
            except UnknownAnnouncement as err:
                if loop.time() > deadline:
                    raise CommandFailed(err.code, err.sentence) from err
                await asyncio.sleep(0.05)
        return CommandOutcome(
            f"{snap.id} cancelled ({snap.state.value})",
            state_after={"announcement": announcement_payload(snap).model_dump(mode="json")},
        )

    async def _system_test(self, command: Command) -> CommandOutcome:
        args = parse_args(SystemTestArgs, command)
        if command.mode == "test":
            return CommandOutcome("test only: no system test run", code="test")
        try:
            report = await self.systest.run(audible=args.audible)
        except PaEngineError as err:
            raise CommandRejected(err.code, err.sentence) from err
        self._refresh_plans()
        self.ctx.emit_event(self.device, "pa.system_test", report)
        if report["result"] == "failed":
            raise CommandFailed("system_test_failed", str(report.get("reason", "the system test failed")), dict(report))
        return CommandOutcome(f"system test {report['result']}", state_after=report)

    def _scheduled(self, job: str, result: dict[str, Any]) -> None:
        kind = "pa.system_test" if job == "system-test" else "pa.schedule"
        self.ctx.emit_event(self.device, kind, {"schedule": job, **result})
        self._refresh_plans()

    def _refresh_plans(self) -> None:
        allowed = self.systest.next_allowed()
        self.reporter.next_system_test = allowed.isoformat() if allowed else None
        self.reporter.schedules = {job: when.isoformat() for job, when in self.scheduling.scheduler.upcoming()}
        self.reporter.touch()
