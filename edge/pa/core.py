"""The engine's machinery: zone allocation (rules.plan), rounds, controller events, connection and faults.

Everything runs on one asyncio loop. Zone holders live in the :class:`ZoneBook`; an announcement holds the zones
of its current round. Pre-emption is decided here (strictly higher priority takes a zone) and confirmed by the
controller: the loser's zone changes state when the controller's CHANGE arrives (or at once, between plays, when
no call is running). Public operations are in :mod:`edge.pa.engine`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict, deque
from collections.abc import Coroutine
from typing import Any

from drivers.errors import DriverError
from drivers.pa.audio import LineOutput
from drivers.pa.codec import (
    CallEvent,
    CallState,
    ChangeEvent,
    EmergencyEvent,
    Event,
    FaultEvent,
    TimeoutEvent,
)
from drivers.pa.driver import ConnectionState, PaController
from drivers.pa.tts import Synthesizer
from edge.pa.config import PaSettings
from edge.pa.listener import EngineListener
from edge.pa.model import AnnouncementSnapshot, ControllerSnapshot, State, ZoneSnapshot
from edge.pa.player import CallFailed, Player
from edge.pa.priorities import priority_class
from edge.pa.rules import AfterPreemption, Candidate, after_preemption, plan
from edge.pa.runtime import Ann, Round
from edge.pa.zonebook import ZoneBook

log = logging.getLogger(__name__)

CallScoped = CallEvent | ChangeEvent | TimeoutEvent


class EngineCore:
    """State and internal transitions of the announcement engine."""

    def __init__(
        self,
        settings: PaSettings,
        listener: EngineListener,
        driver: PaController,
        line: LineOutput,
        synthesizer: Synthesizer,
        keep_finished: int = 500,
    ) -> None:
        self.settings = settings
        self.listener = listener
        self.driver = driver
        driver.on_event = self._on_event
        driver.on_connection = self._on_connection
        self.line = line
        self.tts = synthesizer
        self.book = ZoneBook({z.number: z.name for z in settings.zones}, settings.amplifiers)
        self.player = Player(
            driver,
            line,
            {m.id: m.duration_s for m in settings.messages},
            settings.call_grace_s,
            self._register_call,
            self._unregister_call,
        )
        self.active: dict[str, Ann] = {}
        self.finished: OrderedDict[str, AnnouncementSnapshot] = OrderedDict()
        self.keep_finished = keep_finished
        self.calls: dict[int, Round] = {}
        self.line_holder: str | None = None
        self._orphans: deque[tuple[int, CallScoped]] = deque(maxlen=64)
        self._done_calls: deque[int] = deque(maxlen=256)
        self._stale_calls: set[int] = set()
        self._dirty: set[int] = set()
        self._background: set[asyncio.Task[None]] = set()
        self._waiters: dict[str, list[asyncio.Future[AnnouncementSnapshot]]] = {}
        self._stopping = False
        self._seq = 0
        self.synced = asyncio.Event()  # set once zone status and faults were read after (re)connecting

    # ---- reporting --------------------------------------------------------------------------------------------

    def zone_snapshot(self, zone: int) -> ZoneSnapshot:
        holder = self.book.holder.get(zone)
        ann = self.active.get(holder) if holder else None
        entry = self.book.controller.get(zone)
        return ZoneSnapshot(
            zone=zone,
            name=self.book.names[zone],
            busy_with=holder if ann else None,
            priority=ann.priority if ann else None,
            queued=tuple(a.id for a in sorted(self.active.values(), key=lambda a: a.seq) if zone in a.waiting),
            faults=tuple(f.description for f in self.book.faults.values() if f.active and zone in f.zones),
            controller=entry.encode() if entry else "?",
        )

    def controller_snapshot(self) -> ControllerSnapshot:
        poll = self.driver.last_poll
        return ControllerSnapshot(
            connection=self.driver.state.value,
            reason=self.driver.reason,
            mode=poll.mode.value if poll else None,
            active_calls=poll.active_calls if poll else None,
            open_faults=poll.open_faults if poll else None,
        )

    def _changed(self, ann: Ann) -> None:
        ann.refresh()
        self.listener.announcement_changed(ann.snapshot())
        self._dirty |= set(ann.zones)
        if ann.finished and ann.id in self.active and ann.prepare is None:
            del self.active[ann.id]
            if ann.expiry is not None:
                ann.expiry.cancel()
            snap = ann.snapshot()
            self.finished[ann.id] = snap
            while len(self.finished) > self.keep_finished:
                self.finished.popitem(last=False)
            for fut in self._waiters.pop(ann.id, []):
                if not fut.done():
                    fut.set_result(snap)

    def _flush(self) -> None:
        dirty, self._dirty = self._dirty, set()
        for zone in sorted(dirty):
            if zone in self.book.names:
                self.listener.zone_changed(self.zone_snapshot(zone))

    def _zone(self, ann: Ann, zone: int, state: State, reason: str = "") -> None:
        ann.zones[zone].move(state, reason)
        self._dirty.add(zone)

    # ---- allocation -------------------------------------------------------------------------------------------

    def _dispatch(self) -> None:
        """Start rounds for announcements whose waiting zones can play now (rules.plan decides)."""
        if self._stopping:
            return
        connected = self.driver.state is ConnectionState.CONNECTED
        candidates = []
        for ann in list(self.active.values()):
            if not ann.waiting or ann.round is not None or not ann.ready:
                continue
            if not connected:
                for zone in sorted(ann.waiting):
                    self._zone(ann, zone, State.FAILED, self._unreachable())
                ann.waiting.clear()
                self._changed(ann)
                continue
            candidates.append(Candidate(ann.claim(), frozenset(ann.waiting), ann.req.needs_line))
        holders = {z: self.active[h].claim() for z, h in self.book.holder.items() if h in self.active}
        line = self.active[self.line_holder].claim() if self.line_holder in self.active else None
        faulted = {z for z in self.book.names if self.book.faulted(z)}
        for grant in plan(holders, faulted, line, candidates):
            ann = self.active[grant.ann_id]
            for zone in grant.fail:
                ann.waiting.discard(zone)
                self._zone(ann, zone, State.FAILED, self.book.fault_reason(zone))
            if grant.starts:
                who = f"{ann.id} ({priority_class(ann.priority).value})"
                if grant.line_taken_from in self.active:
                    loser = self.active[grant.line_taken_from]
                    self._stop_round(loser, State.PREEMPTED, f"pre-empted by {who}, which needs the line input")
                for zone, loser_id in grant.preempt.items():
                    self._yield(self.active[loser_id], zone, f"pre-empted by {who}")
                for zone in grant.starts:
                    self.book.holder[zone] = ann.id
                    ann.waiting.discard(zone)
                if ann.req.needs_line:
                    self.line_holder = ann.id
                self._start_round(ann, grant.starts)
            self._changed(ann)
        self._flush()

    def _unreachable(self) -> str:
        reason = self.driver.reason
        return reason if reason.startswith("controller unreachable") else f"controller unreachable: {reason}"

    def _yield(self, loser: Ann, zone: int, reason: str) -> None:
        rnd = loser.round
        if rnd is None or zone not in rnd.zones:
            return
        if rnd.call_id is not None and not rnd.ended.is_set():
            rnd.yielding[zone] = reason  # the controller's CHANGE confirms it
        else:
            rnd.zones.discard(zone)
            self._lost(loser, zone, reason, preempted=True)
            self._changed(loser)

    def _lost(self, ann: Ann, zone: int, reason: str, preempted: bool) -> None:
        """``ann`` lost ``zone``: pre-empted (then resumed by the controller, requeued, or dropped) or failed."""
        self.book.release(zone, ann.id)
        if not preempted:
            self._zone(ann, zone, State.FAILED, reason)
            return
        self._zone(ann, zone, State.PREEMPTED, reason)
        what = after_preemption(ann.priority, ann.policy)
        if what is AfterPreemption.CONTROLLER_RESUMES and ann.round is not None:
            ann.round.suspended.add(zone)
            self.book.suspended[zone].append(ann.id)
            self._zone(ann, zone, State.QUEUED, f"{reason}; the controller resumes it when the zone is free")
        elif what is not AfterPreemption.DROP:
            ann.waiting.add(zone)
            self._zone(ann, zone, State.QUEUED, f"{reason}; replays when the zone is free")

    # ---- rounds -----------------------------------------------------------------------------------------------

    def _start_round(self, ann: Ann, zones: set[int]) -> None:
        rnd = Round(ann, set(zones))
        ann.round = rnd
        rnd.task = asyncio.create_task(self._run_round(rnd), name=f"pa-round {ann.id}")

    async def _run_round(self, rnd: Round) -> None:
        state, reason = State.COMPLETED, ""
        try:
            await self.player.play(rnd, self._play_done)
        except CallFailed as err:
            state, reason = State.FAILED, err.sentence
        except asyncio.CancelledError:
            state, reason = rnd.stop or (State.FAILED, "stopped")
        self._finish_round(rnd, state, reason)

    def _play_done(self, rnd: Round) -> None:
        for zone in rnd.zones:
            rnd.ann.zones[zone].plays += 1

    def _stop_round(self, ann: Ann, state: State, reason: str) -> None:
        rnd = ann.round
        if rnd is not None and rnd.task is not None and not rnd.task.done():
            rnd.stop = (state, reason)
            rnd.task.cancel()

    def _finish_round(self, rnd: Round, state: State, reason: str) -> None:
        ann = rnd.ann
        ann.round = None  # zones lost with the round are requeued by the engine, not left to the controller
        for zone in sorted(rnd.zones):
            if state is State.PREEMPTED:
                self._lost(ann, zone, reason, preempted=True)
            else:
                self._zone(ann, zone, state, reason)
                self.book.release(zone, ann.id)
        for zone in sorted(rnd.suspended):
            self.book.release(zone, ann.id)
            final = State.PREEMPTED if state is State.COMPLETED else state
            self._zone(ann, zone, final, reason or "the controller ended the call before resuming it")
        if self.line_holder == ann.id:
            self.line_holder = None
        self._changed(ann)
        self._dispatch()

    # ---- controller events ------------------------------------------------------------------------------------

    def _register_call(self, call_id: int, rnd: Round) -> None:
        self.calls[call_id] = rnd
        mine = [ev for cid, ev in self._orphans if cid == call_id]
        if mine:
            self._orphans = deque(((c, e) for c, e in self._orphans if c != call_id), maxlen=64)
            for ev in mine:
                self._call_event(rnd, ev)

    def _unregister_call(self, call_id: int) -> None:
        self.calls.pop(call_id, None)
        self._done_calls.append(call_id)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, FaultEvent):
            self._on_fault(event)
        elif isinstance(event, EmergencyEvent):
            self._spawn(self._refresh_mode())
        else:
            rnd = self.calls.get(event.call_id)
            if rnd is not None:
                self._call_event(rnd, event)
            elif event.call_id not in self._done_calls:
                self._orphans.append((event.call_id, event))
        self._flush()

    def _call_event(self, rnd: Round, event: CallScoped) -> None:
        ann = rnd.ann
        rnd.progress += 1
        if isinstance(event, ChangeEvent):
            self.book.call_left(event.lost, event.call_id)
            for zone in sorted(event.lost & rnd.zones):
                rnd.zones.discard(zone)
                fault = self.book.explain_loss(zone)
                if fault is not None:
                    self._lost(ann, zone, fault, preempted=False)
                else:
                    why = rnd.yielding.pop(zone, "taken by another call at the controller")
                    self._lost(ann, zone, why, preempted=True)
        elif isinstance(event, TimeoutEvent):
            for zone in sorted(event.zones & rnd.suspended):
                rnd.suspended.discard(zone)
                self.book.release(zone, ann.id)
                self._zone(ann, zone, State.PREEMPTED, "the controller gave up resuming it (timeout)")
        elif event.state is CallState.START:
            self.book.call_holds(event.zones, event.call_id, ann.priority)
            for zone in sorted(rnd.zones - event.zones):
                rnd.zones.discard(zone)
                busy = f"zone {zone} is busy at the controller with a call of equal or higher priority"
                self._lost(ann, zone, self.book.fault_reason(zone) if self.book.faulted(zone) else busy, False)
            for zone in sorted(rnd.zones & event.zones):
                self._zone(ann, zone, State.PLAYING)
            rnd.started.set()
        elif event.state is CallState.STARTCHIME:
            rnd.chime_at = asyncio.get_running_loop().time()
        elif event.state in (CallState.MESSAGES, CallState.LIVESPEECH):
            rnd.content.set()
        elif event.state is CallState.REPLAY:
            self.book.call_holds(event.zones, event.call_id, ann.priority)
            for zone in sorted(event.zones & rnd.suspended):
                rnd.suspended.discard(zone)
                if ann.id in self.book.suspended[zone]:
                    self.book.suspended[zone].remove(ann.id)
                self.book.holder[zone] = ann.id
                rnd.zones.add(zone)
                self._zone(ann, zone, State.PLAYING, "resumed by the controller")
        else:  # END or ABORT
            self.book.call_left(frozenset(), event.call_id)
            self._dirty |= set(self.book.names)
            rnd.end_state = event.state
            rnd.ended.set()
        self._changed(ann)

    def _on_fault(self, event: FaultEvent) -> None:
        snap = self.book.on_fault(event)
        self.listener.fault_changed(snap)
        self._dirty |= set(snap.zones)
        self._spawn(self._refresh_zones())

    async def _refresh_zones(self) -> None:
        try:
            self.book.controller = await self.driver.zone_status()
        except DriverError as err:
            log.debug("zone status refresh failed: %s", err)
            return
        self.book.amp_zones()
        self._dirty |= set(self.book.names)
        self._flush()

    async def _refresh_mode(self) -> None:
        """The controller's mode changed (emergency raised, acknowledged, reset): poll it and report."""
        with contextlib.suppress(DriverError):
            await self.driver.poll()
        self.listener.controller_changed(self.controller_snapshot())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    # ---- connection -------------------------------------------------------------------------------------------

    def _on_connection(self, state: ConnectionState, reason: str) -> None:
        self.listener.controller_changed(self.controller_snapshot())
        if state is ConnectionState.CONNECTED:
            self._spawn(self._resync())
            return
        self.synced.clear()
        for ann in list(self.active.values()):
            if ann.round is not None:
                if ann.round.call_id is not None:
                    self._stale_calls.add(ann.round.call_id)
                self._stop_round(ann, State.FAILED, self._unreachable())
        self._dispatch()

    async def _resync(self) -> None:
        """After (re)connecting: abort calls of ours reported failed while out of touch; reload faults."""
        try:
            self.book.controller = await self.driver.zone_status()
            stale = {e.call_id for e in self.book.controller.values() if e.call_id in self._stale_calls}
            for call_id in sorted(c for c in stale if c is not None):
                with contextlib.suppress(DriverError):
                    await self.driver.abort_call(call_id)
            self._stale_calls.clear()
            for snap in self.book.load_faults(await self.driver.fault_list()):
                self.listener.fault_changed(snap)
            self.book.amp_zones()
            await self.driver.poll()
            self.synced.set()
        except DriverError as err:
            log.warning("PA resync after reconnect failed: %s", err)
        self.listener.controller_changed(self.controller_snapshot())
        self._dirty |= set(self.book.names)
        self._dispatch()
