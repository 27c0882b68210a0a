"""The system test: quiet by default (line supervision and a fault read-out, no sound), audible only when
configured, and never sooner than the configured minimum interval after the previous one — the old messaging
tool's fortnightly test messages taught people to ignore it."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from drivers.errors import DriverError
from edge.pa.engine import AnnouncementEngine
from edge.pa.errors import PaRejected
from edge.pa.model import Request
from edge.pa.priorities import resolve_priority
from edge.pa.schedule import Recurrence
from edge.pa.schedule_model import SystemTestSettings

log = logging.getLogger(__name__)


def _human(seconds: float) -> str:
    days, rest = divmod(int(seconds), 86400)
    hours, rest = divmod(rest, 3600)
    parts = [f"{days} d" if days else "", f"{hours} h" if hours else "", f"{rest // 60} min" if rest >= 60 else ""]
    return " ".join(p for p in parts if p) or f"{seconds:.0f} s"


class SystemTest:
    """Runs system tests for an engine; remembers the last run in ``state_path`` (JSON) across restarts."""

    def __init__(self, engine: AnnouncementEngine, settings: SystemTestSettings, state_path: Path | None) -> None:
        self.engine = engine
        self.settings = settings
        self.state_path = state_path
        self.last_run: datetime | None = None
        if state_path is not None and state_path.exists():
            try:
                self.last_run = datetime.fromisoformat(json.loads(state_path.read_text())["last_run"])
            except (OSError, ValueError, KeyError) as err:
                log.warning("cannot read the last system test time from %s: %s", state_path, err)

    def recurrence(self) -> Recurrence | None:
        """When the test is tried automatically (None: on request only)."""
        if not self.settings.times:
            return None
        return Recurrence(
            times=tuple(self.settings.times),
            weekdays=frozenset(self.settings.weekdays),
            timezone=self.settings.timezone,
        )

    def next_allowed(self) -> datetime | None:
        """The earliest time the next test may run (None: now)."""
        if self.last_run is None:
            return None
        return self.last_run + timedelta(seconds=self.settings.min_interval_s)

    async def run(self, audible: bool | None = None, now: datetime | None = None) -> dict[str, Any]:
        """Run a test now, or :class:`PaRejected` (``too_soon``) naming when the next one is allowed."""
        now = now or datetime.now(UTC)
        allowed = self.next_allowed()
        if allowed is not None and now < allowed:
            raise PaRejected(
                "too_soon",
                f"the last system test ran at {self.last_run:%Y-%m-%d %H:%M} UTC; tests run at most once every "
                f"{_human(self.settings.min_interval_s)}, so the next is allowed from {allowed:%Y-%m-%d %H:%M} UTC",
            )
        audible = self.settings.audible if audible is None else audible
        if audible and self.settings.message_id is None:
            raise PaRejected("no_test_message", "an audible system test needs a test message configured")
        self._record(now)
        report: dict[str, Any] = {"at": now.isoformat(), "audible": audible}
        driver = self.engine.driver
        try:
            poll = await driver.poll()
            zones = await driver.zone_status()
            faults = await driver.fault_list()
        except DriverError as err:
            report.update(result="failed", reason=getattr(err, "sentence", str(err)))
            return report
        report.update(
            mode=poll.mode.value,
            zones_in_fault=sorted(z for z, e in zones.items() if e.state == "F"),
            active_faults=[f"{r.kind.value} at {r.where.encode()}" for r in faults if r.active],
        )
        report["result"] = "passed" if not report["zones_in_fault"] and not report["active_faults"] else "faults"
        if audible:
            assert self.settings.message_id is not None
            zones_to_test = frozenset(self.settings.zones or self.engine.book.names)
            snap = self.engine.submit(
                Request(
                    zones=zones_to_test,
                    priority=resolve_priority(self.settings.priority),
                    message_ids=(self.settings.message_id,),
                    origin="system-test",
                    label="system test",
                )
            )
            report["announcement_id"] = snap.id
        return report

    def _record(self, when: datetime) -> None:
        self.last_run = when
        if self.state_path is not None:
            self.state_path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.state_path.with_suffix(".tmp")
            tmp.write_text(json.dumps({"last_run": when.isoformat()}))
            tmp.replace(self.state_path)
