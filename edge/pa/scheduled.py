"""Scheduled announcements and the scheduled system test, as scheduler jobs driving an engine."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from edge.pa.engine import AnnouncementEngine
from edge.pa.errors import PaEngineError
from edge.pa.model import Request
from edge.pa.priorities import resolve_priority
from edge.pa.schedule import Job, Recurrence, Scheduler
from edge.pa.schedule_model import ScheduleSettings
from edge.pa.systest import SystemTest

log = logging.getLogger(__name__)

ResultCallback = Callable[[str, dict[str, Any]], None]


def recurrence_of(s: ScheduleSettings) -> Recurrence:
    """The recurrence a schedule describes."""
    return Recurrence(
        at=s.at,
        times=tuple(s.times),
        weekdays=frozenset(s.weekdays),
        every_s=s.every_s,
        start=s.start,
        until=s.until,
        timezone=s.timezone,
    )


def request_of(s: ScheduleSettings, engine: AnnouncementEngine) -> Request:
    """The announcement a schedule makes (zones or group resolved, priority mapped)."""
    try:
        priority = resolve_priority(s.priority)
    except ValueError as err:
        raise PaEngineError("bad_priority", str(err)) from err
    return Request(
        zones=engine.resolve_zones(s.zones, s.group),
        priority=priority,
        message_ids=(s.message_id,) if s.message_id is not None else (),
        text=s.text,
        origin=f"schedule:{s.id}",
        label=s.id,
    )


class PaScheduling:
    """Owns the scheduler of an engine's scheduled announcements and system test; reports each firing."""

    def __init__(
        self,
        engine: AnnouncementEngine,
        schedules: list[ScheduleSettings],
        systest: SystemTest | None,
        on_result: ResultCallback,
    ) -> None:
        self.engine = engine
        self.systest = systest
        self.on_result = on_result
        self._by_id = {s.id: s for s in schedules}
        self._tasks: set[asyncio.Task[None]] = set()
        jobs = [Job(s.id, recurrence_of(s), self._announce) for s in schedules]
        rec = systest.recurrence() if systest else None
        if rec is not None:
            jobs.append(Job("system-test", rec, self._test))
        self.scheduler = Scheduler(jobs)

    def start(self) -> None:
        self.scheduler.start()

    async def stop(self) -> None:
        await self.scheduler.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _announce(self, job_id: str, due: datetime) -> None:
        try:
            snap = self.engine.submit(request_of(self._by_id[job_id], self.engine))
        except PaEngineError as err:
            log.warning("scheduled announcement %s refused: %s", job_id, err.sentence)
            self.on_result(job_id, {"due": due.isoformat(), "result": "refused", "reason": err.sentence})
            return
        self.on_result(job_id, {"due": due.isoformat(), "result": "queued", "announcement_id": snap.id})

    def _test(self, job_id: str, due: datetime) -> None:
        assert self.systest is not None
        systest = self.systest

        async def run() -> None:
            try:
                report = await systest.run()
            except PaEngineError as err:
                report = {"result": "skipped", "reason": err.sentence}
            self.on_result(job_id, {"due": due.isoformat(), **report})

        task = asyncio.create_task(run(), name="pa-system-test")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
