"""The announcement engine: what an operator (through the edge service) can ask of the PA.

Submit an announcement (zones or a group, a message slot or text, a priority, repeats), follow it through
queued → playing → completed | preempted | failed | cancelled | expired per zone, cancel it, or sound the
all-clear (cancel everything and reset the controller's emergency state). Depends on the driver only; the edge
service wires the :class:`EngineListener` reports to MQTT.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import uuid
from typing import Any

from drivers.errors import DriverError
from drivers.pa.audio import LineOutput, open_line_output
from drivers.pa.codec import Mode
from drivers.pa.driver import ConnectionState, PaController
from drivers.pa.errors import SpeechFailed, TextRejected
from drivers.pa.tts import Synthesizer
from edge.pa.config import PaSettings
from edge.pa.core import EngineCore
from edge.pa.errors import PaRejected, UnknownAnnouncement
from edge.pa.listener import EngineListener
from edge.pa.model import (
    AnnouncementSnapshot,
    FaultSnapshot,
    Request,
    State,
    Transition,
    ZoneOutcome,
    ZoneSnapshot,
    utcnow,
)
from edge.pa.priorities import priority_class
from edge.pa.rules import Candidate, Claim, default_policy, plan
from edge.pa.runtime import Ann

MAX_INTERVAL_S = 3600.0


class AnnouncementEngine(EngineCore):
    """Zones, priorities, content and lifecycle of announcements on one PA head-end."""

    def __init__(
        self,
        settings: PaSettings,
        listener: EngineListener,
        *,
        driver: PaController | None = None,
        line: LineOutput | None = None,
        synthesizer: Synthesizer | None = None,
    ) -> None:
        driver = driver or PaController(
            settings.url,
            baudrate=settings.baudrate,
            address=settings.address,
            poll_interval_s=settings.poll_interval_s,
            answer_timeout_s=settings.answer_timeout_s,
        )
        tts = synthesizer or Synthesizer(
            voice=settings.tts.voice, words_per_minute=settings.tts.words_per_minute, max_chars=settings.tts.max_chars
        )
        super().__init__(settings, listener, driver, line or open_line_output(settings.line_output), tts)
        self.groups = settings.zone_groups()
        self.library = {m.id: m for m in settings.messages}

    async def start(self) -> None:
        """Open the controller link (returns at once; the link comes up in the background)."""
        await self.driver.start()

    async def stop(self) -> None:
        """Stop every round and task and close the driver. Calls already playing are left to the controller."""
        self._stopping = True
        tasks = []
        for ann in list(self.active.values()):
            if ann.prepare is not None:
                ann.prepare.cancel()
                tasks.append(ann.prepare)
            if ann.round is not None and ann.round.task is not None:
                ann.round.stop = (State.FAILED, "the edge's PA service stopped")
                ann.round.task.cancel()
                tasks.append(ann.round.task)
            if ann.expiry is not None:
                ann.expiry.cancel()
        for task in self._background:
            task.cancel()
        await asyncio.gather(*tasks, *self._background, return_exceptions=True)
        await self.driver.close()
        for futures in self._waiters.values():
            for fut in futures:
                fut.cancel()

    # ---- requests ---------------------------------------------------------------------------------------------

    def resolve_zones(self, zones: list[int] | None = None, group: str | None = None) -> frozenset[int]:
        """Zone numbers from a list or a group name; :class:`PaRejected` naming what is unknown."""
        if (zones is None) == (group is None):
            raise PaRejected("bad_zones", "give either zones or a group")
        if group is not None:
            if group not in self.groups:
                raise PaRejected("unknown_group", f"no zone group {group!r}; groups: {', '.join(sorted(self.groups))}")
            return self.groups[group]
        assert zones is not None
        return frozenset(zones)

    def validate(self, req: Request) -> Request:
        """The request with its text cleaned, or :class:`PaRejected` with a code and a sentence."""
        if not req.zones:
            raise PaRejected("bad_zones", "an announcement needs at least one zone")
        unknown = sorted(req.zones - set(self.book.names))
        if unknown:
            known = ", ".join(map(str, sorted(self.book.names)))
            raise PaRejected("unknown_zone", f"zones {unknown} are not configured (configured: {known})")
        if not 0 <= req.priority <= 255:
            raise PaRejected("bad_priority", f"priority {req.priority} is outside 0-255")
        if bool(req.message_ids) == (req.text is not None):
            raise PaRejected("bad_content", "give either a pre-recorded message or text to speak")
        missing = [m for m in req.message_ids if m not in self.library]
        if missing:
            raise PaRejected("unknown_message", f"message {missing[0]} is not in the controller's library")
        if not 0 <= req.repeat <= 9:
            raise PaRejected("bad_repeat", f"repeat {req.repeat} is outside 0-9")
        if not 0 <= req.interval_s <= MAX_INTERVAL_S:
            raise PaRejected("bad_interval", f"interval {req.interval_s:g} s is outside 0-{MAX_INTERVAL_S:g} s")
        if req.chime is not None and not 0 <= req.chime <= 255:
            raise PaRejected("bad_chime", f"chime {req.chime} is outside 0-255")
        if req.text is not None:
            try:
                req = dataclasses.replace(req, text=self.tts.check(req.text))
            except TextRejected as err:
                raise PaRejected("bad_text", err.sentence) from err
        return req

    def submit(self, request: Request) -> AnnouncementSnapshot:
        """Queue an announcement; it starts as soon as its zones allow. Raises :class:`PaRejected`."""
        req = self.validate(request)
        ann_id = req.announcement_id or f"pa-{uuid.uuid4().hex[:12]}"
        if ann_id in self.active or ann_id in self.finished:
            raise PaRejected("duplicate", f"announcement {ann_id} already exists")
        self._seq += 1
        chime = req.chime if req.chime is not None else self.settings.chimes.get(priority_class(req.priority), 0)
        if req.text is not None:
            content = f"speech: {req.text!r}"
        else:
            content = "message " + " + ".join(f"{m} ({self.library[m].name})" for m in req.message_ids)
        zones = {z: ZoneOutcome(z) for z in sorted(req.zones)}
        for outcome in zones.values():
            outcome.history.append(Transition(State.QUEUED, utcnow()))
        ann = Ann(
            id=ann_id,
            req=req,
            seq=self._seq,
            policy=req.policy or default_policy(req.priority),
            chime=chime,
            content=content,
            zones=zones,
            waiting=set(req.zones),
            ready=req.text is None,
        )
        self.active[ann_id] = ann
        wait = req.max_wait_s if req.max_wait_s is not None else self.settings.max_wait_s
        ann.expiry = asyncio.get_running_loop().call_later(wait, self._expire, ann_id, wait)
        if req.text is not None:
            ann.prepare = asyncio.create_task(self._synthesize(ann), name=f"pa-tts {ann_id}")
        self._changed(ann)
        self._dispatch()
        return ann.snapshot()

    def plan(self, request: Request) -> dict[str, Any]:
        """What would happen now (test mode): zones that would play, pre-empt, wait, or fail. Nothing is played."""
        req = self.validate(request)
        holders = {z: self.active[h].claim() for z, h in self.book.holder.items() if h in self.active}
        line = self.active[self.line_holder].claim() if self.line_holder in self.active else None
        faulted = {z for z in self.book.names if self.book.faulted(z)}
        candidate = Candidate(Claim("(planned)", req.priority, self._seq + 1), req.zones, req.needs_line)
        grant = plan(holders, faulted, line, [candidate])[0]
        return {
            "controller": self.driver.state.value,
            "play": sorted(grant.play),
            "preempt": {str(z): a for z, a in sorted(grant.preempt.items())},
            "queue": sorted(grant.queue),
            "fail": {str(z): self.book.fault_reason(z) for z in sorted(grant.fail)},
            "line_taken_from": grant.line_taken_from,
        }

    async def _synthesize(self, ann: Ann) -> None:
        assert ann.req.text is not None
        try:
            ann.pcm = await self.tts.synthesize(ann.req.text)
            ann.ready = True
        except (SpeechFailed, TextRejected) as err:
            for zone in sorted(ann.waiting):
                self._zone(ann, zone, State.FAILED, f"speech synthesis failed: {err.sentence}")
            ann.waiting.clear()
        ann.prepare = None
        self._changed(ann)
        self._dispatch()

    def _expire(self, ann_id: str, wait: float) -> None:
        ann = self.active.get(ann_id)
        if ann is None or not ann.waiting:
            return
        for zone in sorted(ann.waiting):
            self._zone(ann, zone, State.EXPIRED, f"did not start within {wait:g} s")
        ann.waiting.clear()
        self._changed(ann)
        self._flush()

    # ---- control ----------------------------------------------------------------------------------------------

    def cancel(self, ann_id: str, reason: str = "cancelled by the operator") -> AnnouncementSnapshot:
        """Stop an announcement now: queued zones are dropped, playing ones aborted (idempotent once finished)."""
        ann = self.active.get(ann_id)
        if ann is None:
            if ann_id in self.finished:
                return self.finished[ann_id]
            raise UnknownAnnouncement("unknown_announcement", f"no announcement {ann_id}")
        for zone in sorted(ann.waiting):
            self._zone(ann, zone, State.CANCELLED, reason)
        ann.waiting.clear()
        if ann.prepare is not None:
            ann.prepare.cancel()  # it may not have started: do not count on it to report
            ann.prepare = None
        self._stop_round(ann, State.CANCELLED, reason)
        self._changed(ann)
        self._flush()
        return ann.snapshot()

    async def all_clear(self, reason: str = "all clear") -> dict[str, Any]:
        """Cancel every announcement, wait for their calls to stop, then acknowledge and reset emergency mode."""
        ids = list(self.active)
        rounds = [a.round.task for a in self.active.values() if a.round is not None and a.round.task is not None]
        for ann_id in ids:
            self.cancel(ann_id, reason)
        await asyncio.gather(*rounds, return_exceptions=True)
        reset: str | None = None
        if self.driver.state is ConnectionState.CONNECTED:
            try:
                if (await self.driver.poll()).mode is Mode.EMERGENCY:
                    await self.driver.emergency_acknowledge()
                    await self.driver.emergency_reset()
                    await self.driver.poll()
                    reset = "emergency mode reset"
            except DriverError as err:
                reset = f"emergency reset failed: {getattr(err, 'sentence', err)}"
        self.listener.controller_changed(self.controller_snapshot())
        return {"cancelled": ids, "emergency": reset}

    # ---- queries ----------------------------------------------------------------------------------------------

    def get(self, ann_id: str) -> AnnouncementSnapshot:
        """An announcement, in progress or finished."""
        ann = self.active.get(ann_id)
        if ann is not None:
            return ann.snapshot()
        if ann_id in self.finished:
            return self.finished[ann_id]
        raise UnknownAnnouncement("unknown_announcement", f"no announcement {ann_id}")

    async def wait(self, ann_id: str, within_s: float) -> AnnouncementSnapshot:
        """Wait until an announcement finishes (TimeoutError otherwise)."""
        if ann_id not in self.active:
            return self.get(ann_id)
        fut: asyncio.Future[AnnouncementSnapshot] = asyncio.get_running_loop().create_future()
        self._waiters.setdefault(ann_id, []).append(fut)
        try:
            return await asyncio.wait_for(fut, within_s)
        finally:
            with contextlib.suppress(ValueError):
                self._waiters.get(ann_id, []).remove(fut)

    def zones(self) -> list[ZoneSnapshot]:
        """Every configured zone."""
        return [self.zone_snapshot(z) for z in sorted(self.book.names)]

    def faults(self) -> list[FaultSnapshot]:
        """Faults the controller reported (active and resolved-not-reset)."""
        return list(self.book.faults.values())

    def active_ids(self) -> list[str]:
        """Announcements not finished yet, oldest first."""
        return [a.id for a in sorted(self.active.values(), key=lambda a: a.seq)]
