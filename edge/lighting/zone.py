"""One lighting zone on the edge: drive it to its target and reconcile what its luminaires report.

The target (schedule, overrides, manual level; :mod:`edge.lighting.targets`) is applied by each kind of hardware
in the fewest messages/frames. Then the zone is reconciled: luminaires that are reachable but not at the level are
re-queried, re-sent individually up to ``retries`` times, and whatever still does not follow is named in one
``not_at_level`` alert on the zone, cleared when they do. A round also runs every ``interval_s``, and luminaires
that come back (online again, bus power restored, gateway reconnected) get the zone's level at once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from edge.config import LightingZone
from edge.contract.payloads import Alert, Severity
from edge.lighting.hardware import ApplyResult, Hardware, Summary
from edge.lighting.settings import ReconcileSettings
from edge.lighting.targets import Source, Target, TargetBook

log = logging.getLogger("edge.lighting.zone")

NOT_AT_LEVEL = "not_at_level"
MAX_LISTED = 200
RETURN_DEBOUNCE_S = 0.5


class ZoneHost(Protocol):
    """What a zone needs of the lighting service."""

    def emit(self, device: str, type_: str, data: dict[str, Any], severity: Severity = Severity.INFO) -> None:
        """Emit an event."""

    def raise_alert(self, device: str, alert: Alert) -> None:
        """Raise an alert."""

    def clear_alert(self, device: str, alert_id: str, reason: str = "recovered") -> None:
        """Clear an alert."""

    def zone_dirty(self, zone: str) -> None:
        """The zone's state should be published again."""


@dataclass
class Settled:
    """What a zone was driven to, and how that went."""

    target: Target
    result: ApplyResult | None
    off_level: list[str] = field(default_factory=list)


def utcnow() -> dt.datetime:
    """Aware UTC now."""
    return dt.datetime.now(dt.UTC)


def shown(ids: Sequence[str], limit: int = 20) -> str:
    """A short list of ids for a sentence."""
    return ", ".join(ids[:limit]) + (" …" if len(ids) > limit else "")


class ZoneController:
    """Drives one zone."""

    def __init__(
        self,
        cfg: LightingZone,
        parts: Sequence[tuple[Hardware, list[str]]],
        book: TargetBook,
        host: ZoneHost,
        settings: ReconcileSettings,
    ) -> None:
        self.cfg = cfg
        self.id = cfg.id
        self.label = cfg.label or cfg.id
        self.parts = [(hw, lums) for hw, lums in parts if lums]
        self.luminaires = [lum for _, lums in self.parts for lum in lums]
        self.hw_of = {lum: hw for hw, lums in self.parts for lum in lums}
        self.book = book
        self.host = host
        self.settings = settings
        self.commanded: int | None = None
        self.source: Source | None = None
        self.not_at_level: set[str] = set()
        self.lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._last_round = time.monotonic()
        self._returned: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    # the zone's own loop -----------------------------------------------------------------------------------
    async def run(self) -> None:
        """Follow the target for ever: at each schedule step, override start or expiry, and on request."""
        await asyncio.gather(*(hw.ready(3.0) for hw, _ in self.parts))
        while True:
            try:
                await self.settle(tag=self._tag("schedule"))
            except Exception:
                log.exception("zone %s: applying its target failed", self.id)
            target = self.book.target(self.id, utcnow())
            until = (target.until - utcnow()).total_seconds() if target and target.until else 60.0
            next_round = self._last_round + self.settings.interval_s - time.monotonic()
            try:  # asyncio.timeout: wait_for (3.11) can swallow stop()'s cancellation when wake() races it
                async with asyncio.timeout(max(0.02, min(until, next_round, 60.0))):
                    await self._wake.wait()
            except TimeoutError:
                pass
            self._wake.clear()
            if time.monotonic() >= self._last_round + self.settings.interval_s:
                try:
                    await self.periodic_round()
                except Exception:
                    log.exception("zone %s: reconciliation failed", self.id)

    def wake(self) -> None:
        """Look at the target again now (an override or schedule changed)."""
        self._wake.set()

    async def stop(self) -> None:
        """Cancel the zone's helper tasks."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @staticmethod
    def _tag(kind: str) -> str:
        return f"{kind}-{uuid.uuid4().hex[:16]}"

    # driving -----------------------------------------------------------------------------------------------
    async def settle(
        self, *, tag: str, fade_ms: int = 0, force: bool = False, command_id: str | None = None
    ) -> Settled | None:
        """Drive the zone to its target if it is not there (or ``force``); reconcile; return what happened."""
        async with self.lock:
            now = utcnow()
            for gone in self.book.expire(now, self.id):
                self.host.emit(self.id, "lighting.override_ended", {"override_id": gone.id, "reason": "expired"})
            target = self.book.target(self.id, now)
            self.host.zone_dirty(self.id)
            if target is None:
                self.source = None
                return None
            self.source = target.source
            if target.level == self.commanded and not force:
                return Settled(target, None)
            result = await self._apply(target.level, fade_ms, tag)
            self.commanded = target.level
            self.book.note_level(self.id, target.level)
            # again: a flush while the frames were on their way published the zone with the old commanded level
            self.host.zone_dirty(self.id)
            self.host.emit(
                self.id,
                "lighting.level_set",
                {
                    "level": target.level,
                    "source": target.source,
                    "override_id": target.override.id if target.override else None,
                    "command_id": command_id or tag,
                    "confirmed": len(result.reached),
                    "missing": result.missing[:MAX_LISTED],
                    "messages": result.messages,
                    "frames": result.frames,
                    "elapsed_ms": round(result.elapsed_s * 1000, 1),
                    "errors": [m for _, m in result.errors],
                },
            )
            off = await self._reconcile(target.level, tag)
            self.host.zone_dirty(self.id)
            return Settled(target, result, off)

    async def _apply(self, level: int, fade_ms: int, tag: str) -> ApplyResult:
        parts = await asyncio.gather(*(hw.apply(lums, level, fade_ms, tag) for hw, lums in self.parts))
        total = ApplyResult(level)
        for part in parts:
            total = total.merge(part)
        return total

    def off_level(self, level: int, among: Iterable[str] | None = None) -> list[str]:
        """Reachable luminaires (of ``among``) that do not report ``level``."""
        lums = self.luminaires if among is None else among
        return [lum for lum in lums if self.hw_of[lum].reachable(lum) and not self.hw_of[lum].at_level(lum, level)]

    def _split(self, lums: Iterable[str]) -> list[tuple[Hardware, list[str]]]:
        by: dict[int, tuple[Hardware, list[str]]] = {}
        for lum in lums:
            hw = self.hw_of[lum]
            by.setdefault(id(hw), (hw, []))[1].append(lum)
        return list(by.values())

    async def _reconcile(self, level: int, tag: str) -> list[str]:
        for attempt in range(1, self.settings.retries + 1):
            off = self.off_level(level)
            if not off:
                break
            await asyncio.sleep(self.settings.retry_delay_s)
            await asyncio.gather(*(hw.requery(lums) for hw, lums in self._split(off)))
            off = self.off_level(level, off)
            if not off:
                break
            log.info("zone %s: %d luminaire(s) not at %d%%, re-sending (%d)", self.id, len(off), level, attempt)
            await asyncio.gather(*(hw.resend(lums, level, f"{tag[:52]}-r{attempt}") for hw, lums in self._split(off)))
        final = self.off_level(level)
        self._last_round = time.monotonic()
        self._set_not_at_level(final, level)
        return final

    async def periodic_round(self) -> None:
        """A reconciliation round without a new level."""
        async with self.lock:
            if self.commanded is None:
                self._last_round = time.monotonic()
                return
            await self._reconcile(self.commanded, self._tag("check"))

    # what the hardware reports -----------------------------------------------------------------------------
    def luminaire_changed(self, lum: str) -> None:
        """A luminaire reported something: it may have reached the level (or gone away)."""
        self.host.zone_dirty(self.id)
        if lum not in self.not_at_level or self.commanded is None:
            return
        hw = self.hw_of[lum]
        if hw.at_level(lum, self.commanded) or not hw.reachable(lum):
            self._set_not_at_level(sorted(self.not_at_level - {lum}), self.commanded)

    def returned(self, lums: Iterable[str]) -> None:
        """Luminaires are reachable again: after a short pause (they tend to come back together) give them the
        zone's level, in the fewest messages."""
        fresh = not self._returned
        self._returned.update(lums)
        if fresh:
            task = asyncio.get_running_loop().create_task(self._catch_up(), name=f"lighting-catch-up-{self.id}")
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _catch_up(self) -> None:
        await asyncio.sleep(RETURN_DEBOUNCE_S)
        async with self.lock:
            back, self._returned = self._returned, set()
            if self.commanded is None:
                return
            await asyncio.gather(*(hw.requery(lums) for hw, lums in self._split(back)))
            off = self.off_level(self.commanded, sorted(back))
            if not off:
                return
            log.info("zone %s: %d returning luminaire(s) set to %d%%", self.id, len(off), self.commanded)
            tag = self._tag("return")
            await asyncio.gather(*(hw.apply(lums, self.commanded, 0, tag) for hw, lums in self._split(off)))

    def _set_not_at_level(self, lums: Sequence[str], level: int) -> None:
        new = set(lums)
        if new == self.not_at_level:
            return
        had = bool(self.not_at_level)
        self.not_at_level = new
        self.host.zone_dirty(self.id)
        if had:
            self.host.clear_alert(self.id, NOT_AT_LEVEL, "superseded" if new else "recovered")
        if not new:
            return
        names = sorted(new)
        self.host.raise_alert(
            self.id,
            Alert(
                alert_id=NOT_AT_LEVEL,
                type="lighting_not_at_level",
                severity=Severity.MINOR,
                message=f"{len(names)} of {len(self.luminaires)} luminaires in {self.label} do not reach the "
                f"commanded {level}% after {self.settings.retries} re-sends: {shown(names)}",
                raised_at=utcnow(),
                location=self.cfg.location,
                data={"zone": self.id, "commanded": level, "luminaires": names[:MAX_LISTED]},
            ),
        )

    # state -------------------------------------------------------------------------------------------------
    def summary(self) -> Summary:
        """Online, lowest level, at level and faults over every hardware kind."""
        total = Summary()
        for hw, lums in self.parts:
            total = total.add(hw.summarise(lums, self.commanded))
        return total
