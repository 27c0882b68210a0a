"""When scheduled announcements (and the system test) fall due: pure recurrence maths and an asyncio scheduler.

A recurrence is one-off (``at``), daily at local ``times`` on ``weekdays`` (in ``timezone``, so 08:00 stays
08:00 across the clock change), or every ``every_s`` seconds from ``start``; ``until`` ends it.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

log = logging.getLogger(__name__)

MAX_SLEEP_S = 60.0  # re-check at least this often (wall-clock changes, suspend)


@dataclass(frozen=True)
class Recurrence:
    """When something happens; exactly one of ``at``, ``times`` or ``every_s`` is set."""

    at: datetime | None = None
    times: tuple[time, ...] = ()
    weekdays: frozenset[int] = frozenset(range(7))
    every_s: int | None = None
    start: datetime | None = None
    until: datetime | None = None
    timezone: str = "Europe/London"


def next_fire(rec: Recurrence, after: datetime) -> datetime | None:
    """The first occurrence strictly after ``after`` (aware), in UTC; None when there is none."""
    found: datetime | None = None
    if rec.at is not None:
        found = rec.at if rec.at > after else None
    elif rec.every_s is not None:
        assert rec.start is not None
        if after < rec.start:
            found = rec.start
        else:
            steps = int((after - rec.start).total_seconds() // rec.every_s) + 1
            found = rec.start + timedelta(seconds=steps * rec.every_s)
    elif rec.times and rec.weekdays:
        found = _next_local(rec, after)
    if found is None or (rec.until is not None and found > rec.until):
        return None
    return found.astimezone(UTC)


def _next_local(rec: Recurrence, after: datetime) -> datetime | None:
    tz = ZoneInfo(rec.timezone)
    first: date = after.astimezone(tz).date()
    for offset in range(8):
        day = first + timedelta(days=offset)
        if day.weekday() not in rec.weekdays:
            continue
        for t in sorted(rec.times):
            candidate = datetime.combine(day, t, tzinfo=tz)
            if candidate > after:
                return candidate
    return None


@dataclass
class Job:
    """Something the scheduler fires: an id, its recurrence, and what to do."""

    id: str
    recurrence: Recurrence
    fire: Callable[[str, datetime], None]
    next: datetime | None = None


class Scheduler:
    """Fires jobs when due, on the running loop. ``clock`` is injectable for tests."""

    def __init__(self, jobs: Sequence[Job], clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.jobs = list(jobs)
        self.clock = clock
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()

    def start(self) -> None:
        now = self.clock()
        for job in self.jobs:
            job.next = next_fire(job.recurrence, now)
        self._task = asyncio.create_task(self._run(), name="pa-scheduler")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    def upcoming(self) -> list[tuple[str, datetime]]:
        """Each job's next occurrence, soonest first."""
        return sorted(((j.id, j.next) for j in self.jobs if j.next is not None), key=lambda x: x[1])

    async def _run(self) -> None:
        while True:
            now = self.clock()
            for job in self.jobs:
                if job.next is not None and job.next <= now:
                    due, job.next = job.next, next_fire(job.recurrence, now)
                    try:
                        job.fire(job.id, due)
                    except Exception:  # a bad job must not stop the others
                        log.exception("scheduled job %s failed", job.id)
            pending = [j.next for j in self.jobs if j.next is not None]
            delay = min([MAX_SLEEP_S, *((t - now).total_seconds() for t in pending)])
            self._wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), max(0.0, delay))
