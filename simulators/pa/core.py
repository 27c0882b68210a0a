"""The simulated head-end's rules (protocols.md §1): calls, zones, priorities, faults, emergency mode.

Runs on the simulator's event loop; every method is called from that loop. Events go out through ``post_event``
(which the event sender delivers after the reply in progress, with resends).

Priority rules: a higher priority pre-empts a lower one zone by zone (CHANGE to the loser); at equal priority the
running call keeps the zone. Non-partial calls are refused (NAK 04) if any zone is held at ≥ their priority, or
(NAK 05) if any zone is in fault; partial calls start in the free zones; stacked calls queue the zones they miss
or lose and replay them when free, until a timeout (then TIMEOUT). Emergency calls pre-empted by another
emergency are resumed the same way. A call in the emergency band latches emergency mode: only priority ≥ 224 is
accepted (NAK 07) until ``ER``. A zone line fault, or a fault of the amplifier feeding a zone, takes the zone out
of any call (CHANGE) and out of service until resolved.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, assert_never

import numpy as np

from drivers.pa.codec import (
    EMERGENCY_MIN,
    AbortCall,
    Ack,
    CallEvent,
    CallState,
    ChangeEvent,
    DeviceType,
    EmergencyAcknowledge,
    EmergencyEvent,
    EmergencyReset,
    EmergencyState,
    Event,
    FaultAcknowledge,
    FaultEvent,
    FaultListQuery,
    FaultPage,
    FaultReset,
    FaultType,
    Handling,
    HostCommand,
    Mode,
    Nak,
    NakCode,
    Poll,
    PollStatus,
    Reply,
    SetTime,
    StartCall,
    StopCall,
    TimeoutEvent,
    Where,
    ZoneEntry,
    ZonePage,
    ZoneStatusQuery,
)
from simulators.pa import sounds
from simulators.pa.calls import Call, Program
from simulators.pa.fault_table import FaultTable
from simulators.pa.recorder import CallRecording, Recorder
from simulators.pa.store import Store

log = logging.getLogger(__name__)

ZONES_PER_PAGE = 16
FAULTS_PER_PAGE = 8
DEVICE_TYPE = ("CITYEDGE-PA-SIM", "1.0")


class ControllerCore:
    """State and rules of one simulated PA head-end."""

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        zones: int,
        store: Store,
        amplifiers: dict[int, frozenset[int]],
        recorder: Recorder,
        post_event: Callable[[Event], None],
        comms_timeout_s: float = 15.0,
        stacked_timeout_s: float = 60.0,
    ) -> None:
        self.loop = loop
        self.n_zones = zones
        self.store = store
        self.amplifiers = amplifiers
        self.recorder = recorder
        self.post_event = post_event
        self.comms_timeout_s = comms_timeout_s
        self.stacked_timeout_s = stacked_timeout_s
        self.owner: dict[int, int] = {}
        self.calls: dict[int, Call] = {}
        self.table = FaultTable(zones, amplifiers)
        self.finished: list[dict[str, Any]] = []
        self.emergency = False
        self.emergency_acknowledged = False
        self.clock_offset_s = 0.0
        self.line_dropped_chunks = 0
        self.on_start: Callable[[], None] = lambda: None  # called after each call starts (simulator hook)
        self.starts: deque[tuple[int, float, float | None]] = deque(maxlen=10_000)  # (call, start, chime start)
        self._next_call = 1
        self._comms_timer: asyncio.TimerHandle | None = None
        self._chimes = {k: sounds.chime(v) for k, v in store.chimes.items()}
        self._messages = {k: sounds.message(v) for k, v in store.messages.items()}

    def now(self) -> float:
        return self.loop.time()

    # ---- host supervision -------------------------------------------------------------------------------------

    def host_heard(self) -> None:
        """A valid frame came from the host: restart the COMMS watch and resolve a COMMS fault."""
        if self._comms_timer is not None:
            self._comms_timer.cancel()
        self._comms_timer = self.loop.call_later(self.comms_timeout_s, self.comms_lost)
        for rec in self.table.active(FaultType.COMMS):
            self.resolve_fault(rec.fault_id)

    def comms_lost(self) -> None:
        """No poll for too long, or events unacknowledged after their resends: raise a COMMS fault (once)."""
        if not self.table.active(FaultType.COMMS):
            self.inject_fault(FaultType.COMMS, Where("SYS"))

    def shutdown(self) -> None:
        """Cancel timers (the simulator is stopping); running calls are written out as aborted."""
        if self._comms_timer is not None:
            self._comms_timer.cancel()
        for call in list(self.calls.values()):
            self._end(call, "STOPPED", post=False)

    # ---- commands ---------------------------------------------------------------------------------------------

    def handle(self, cmd: HostCommand) -> Reply:
        """Execute one host command and return the reply."""
        if isinstance(cmd, Poll):
            return Ack(self.poll_status().fields())
        if isinstance(cmd, StartCall):
            return self._start_call(cmd)
        if isinstance(cmd, StopCall | AbortCall):
            call = self.calls.get(cmd.call_id)
            if call is None:
                return Nak(NakCode.UNKNOWN_CALL)
            self._stop(call) if isinstance(cmd, StopCall) else self._abort(call)
            return Ack()
        if isinstance(cmd, ZoneStatusQuery):
            return Ack(self._zone_page(cmd.first).fields())
        if isinstance(cmd, FaultListQuery):
            records = list(self.table.records.values())
            page = tuple(records[cmd.first - 1 : cmd.first - 1 + FAULTS_PER_PAGE])
            return Ack(FaultPage(len(records), page).fields())
        if isinstance(cmd, FaultAcknowledge):
            self.table.acknowledge_all()
            return Ack()
        if isinstance(cmd, FaultReset):
            return self._reset_faults()
        if isinstance(cmd, EmergencyAcknowledge):
            if self.emergency and not self.emergency_acknowledged:
                self.emergency_acknowledged = True
                self.post_event(EmergencyEvent(EmergencyState.ACK))
            return Ack()
        if isinstance(cmd, EmergencyReset):
            return self._emergency_reset()
        if isinstance(cmd, DeviceType):
            return Ack(DEVICE_TYPE)
        if isinstance(cmd, SetTime):
            self.clock_offset_s = (cmd.when - datetime.now(UTC)).total_seconds()
            return Ack()
        assert_never(cmd)

    def poll_status(self) -> PollStatus:
        """Mode, active calls and listed faults."""
        if self.emergency:
            mode = Mode.EMERGENCY
        elif self.table.active():
            mode = Mode.FAULT
        else:
            mode = Mode.NORMAL
        return PollStatus(mode, len(self.calls), len(self.table.records))

    def _zone_page(self, first: int) -> ZonePage:
        entries = []
        for zone in range(first, min(self.n_zones, first + ZONES_PER_PAGE - 1) + 1):
            if self.zone_faulted(zone):
                entries.append(ZoneEntry("F"))
            elif zone in self.owner:
                call = self.calls[self.owner[zone]]
                entries.append(ZoneEntry("B", call.call_id, call.priority))
            else:
                entries.append(ZoneEntry("I"))
        return ZonePage(first, self.n_zones, tuple(entries))

    def _start_call(self, cmd: StartCall) -> Reply:
        if max(cmd.zones) > self.n_zones:
            return Nak(NakCode.BAD_FIELD)
        if cmd.chime and cmd.chime not in self.store.chimes:
            return Nak(NakCode.UNKNOWN_ID)
        if any(m not in self.store.messages for m in cmd.messages):
            return Nak(NakCode.UNKNOWN_ID)
        if self.emergency and cmd.priority < EMERGENCY_MIN:
            return Nak(NakCode.EMERGENCY_LOCK)
        faulted = frozenset(z for z in cmd.zones if self.zone_faulted(z))
        blocked = frozenset(
            z for z in cmd.zones - faulted if z in self.owner and self.calls[self.owner[z]].priority >= cmd.priority
        )
        free = cmd.zones - faulted - blocked
        if cmd.handling is Handling.NON_PARTIAL or not free:
            if blocked:
                return Nak(NakCode.ZONE_BUSY, blocked)
            if faulted:
                return Nak(NakCode.ZONE_FAULT, faulted)
        call = self._new_call(cmd)
        if cmd.handling is Handling.STACKED and blocked:
            self._queue(call, set(blocked))
        losers: dict[int, set[int]] = {}
        for zone in free:
            if zone in self.owner:
                losers.setdefault(self.owner[zone], set()).add(zone)
        for loser_id, zones in losers.items():
            self._lose(self.calls[loser_id], zones, preempted=True)
        for zone in free:
            self.owner[zone] = call.call_id
        call.zones |= free
        self.post_event(CallEvent(call.call_id, CallState.START, frozenset(free)))
        if cmd.priority >= EMERGENCY_MIN and not self.emergency:
            self.emergency, self.emergency_acknowledged = True, False
            self.post_event(EmergencyEvent(EmergencyState.ACTIVE))
        self._run_program(call, set(free), replay=False)
        self.starts.append((call.call_id, call.started, call.chime_started_at))
        self.on_start()
        return Ack((f"{call.call_id:04X}",))

    def _new_call(self, cmd: StartCall) -> Call:
        call_id = self._next_call
        self._next_call = self._next_call % 0xFFFF + 1
        chime_pcm = self._chimes[cmd.chime] if cmd.chime else np.zeros(0, dtype=np.int16)
        content = [self._messages[m] for m in cmd.messages]
        content_pcm = np.concatenate(content) if content else np.zeros(0, dtype=np.int16)
        now = self.now()
        meta = {
            "priority": cmd.priority,
            "chime": cmd.chime,
            "messages": [f"{m:02X}" for m in cmd.messages],
            "line": cmd.line,
            "live": cmd.live,
            "repeat": "I" if cmd.repeat is None else cmd.repeat,
            "handling": cmd.handling.value,
            "zones_requested": sorted(cmd.zones),
            "started_at": datetime.now(UTC).isoformat(),
        }
        plays = None if cmd.line or cmd.repeat is None else cmd.repeat + 1
        recording = CallRecording(call_id, now, chime_pcm, content_pcm, plays, meta, rate=sounds.RATE)
        call = Call(
            call_id=call_id,
            priority=cmd.priority,
            chime_id=cmd.chime,
            messages=cmd.messages,
            line=cmd.line,
            repeat=cmd.repeat,
            handling=cmd.handling,
            live=cmd.live,
            requested=cmd.zones,
            started=now,
            recording=recording,
            message_lengths=tuple(self.store.messages[m].duration_s for m in cmd.messages),
            chime_s=chime_pcm.size / sounds.RATE,
        )
        self.calls[call_id] = call
        return call

    # ---- programs ---------------------------------------------------------------------------------------------

    def _run_program(self, call: Call, zones: set[int], replay: bool) -> None:
        now = self.now()
        program = Program(now, set(zones), replay=replay, content_at=now + call.chime_s)
        call.programs.append(program)
        for zone in zones:
            call.recording.open(zone, now, now)
        if call.chime_s and not replay:
            call.chime_started_at = now
            self.post_event(CallEvent(call.call_id, CallState.STARTCHIME, frozenset(zones)))
        program.timers.append(self.loop.call_at(program.content_at, self._content, call, program))

    def _content(self, call: Call, program: Program) -> None:
        if program.done:
            return
        if not program.replay:
            state = CallState.LIVESPEECH if call.live else CallState.MESSAGES
            self.post_event(CallEvent(call.call_id, state, frozenset(call.zones)))
        if not call.line and call.plays is not None:
            end = program.content_at + call.plays * call.play_s
            program.timers.append(self.loop.call_at(end, self._program_done, call, program))

    def _program_done(self, call: Call, program: Program) -> None:
        if program.done:
            return
        program.cancel()
        finished = set(program.zones)
        now = self.now()
        for zone in finished:
            call.recording.close(zone, now)
            call.zones.discard(zone)
            if self.owner.get(zone) == call.call_id:
                del self.owner[zone]
        call.completed |= finished
        self._maybe_end(call)
        self._zones_freed(finished)

    def _stop(self, call: Call) -> None:
        """CX: stop after the current message (LINE calls stop now); no more replays."""
        call.stopping = True
        call.pending.clear()
        now = self.now()
        for program in call.live_programs():
            program.clear_timers()
            when = call.next_boundary(program, now)
            program.timers.append(self.loop.call_at(max(now, when), self._program_done, call, program))
        self._maybe_end(call)

    def _abort(self, call: Call) -> None:
        """CA: stop now."""
        self._end(call, "ABORT")

    def _queue(self, call: Call, zones: set[int]) -> None:
        call.pending |= zones
        if call.deadline is None:
            call.deadline = self.loop.call_later(self.stacked_timeout_s, self._stacked_timeout, call)

    def _stacked_timeout(self, call: Call) -> None:
        call.deadline = None
        if call.pending and call.call_id in self.calls:
            self.post_event(TimeoutEvent(call.call_id, frozenset(call.pending)))
            call.pending.clear()
            self._maybe_end(call)

    def _lose(self, call: Call, zones: set[int], preempted: bool) -> None:
        """Take ``zones`` from ``call`` (pre-emption or fault); resumable calls queue pre-empted zones."""
        now = self.now()
        for zone in zones:
            call.recording.close(zone, now)
            call.zones.discard(zone)
            if self.owner.get(zone) == call.call_id:
                del self.owner[zone]
            for program in call.programs:
                program.zones.discard(zone)
        for program in call.live_programs():
            if not program.zones:
                program.cancel()
        self.post_event(ChangeEvent(call.call_id, frozenset(zones), frozenset()))
        if preempted and call.resumable and not call.stopping:
            self._queue(call, zones)
        self._maybe_end(call)

    def _maybe_end(self, call: Call) -> None:
        if call.call_id in self.calls and not call.zones and not call.pending and not call.live_programs():
            self._end(call, "END")

    def _end(self, call: Call, outcome: str, post: bool = True) -> None:
        if self.calls.pop(call.call_id, None) is None:
            return
        now = self.now()
        for program in call.programs:
            program.cancel()
        if call.deadline is not None:
            call.deadline.cancel()
        freed = set(call.zones)
        for zone in freed:
            call.recording.close(zone, now)
            if self.owner.get(zone) == call.call_id:
                del self.owner[zone]
        if post:
            zones = frozenset(freed) if outcome == "ABORT" else frozenset(call.completed)
            state = CallState.ABORT if outcome == "ABORT" else CallState.END
            self.post_event(CallEvent(call.call_id, state, zones))
        call.recording.meta["started_monotonic"] = call.started
        call.recording.meta["chime_started_at"] = call.chime_started_at
        self.finished.append(self.recorder.finish(call.recording, now, outcome))
        if post:
            self._zones_freed(freed)

    def _zones_freed(self, zones: set[int]) -> None:
        """Give freed zones back to resumable calls waiting for them (highest priority first): REPLAY."""
        waiting = sorted((c for c in self.calls.values() if c.pending), key=lambda c: (-c.priority, c.call_id))
        for call in waiting:
            take = {z for z in call.pending if z not in self.owner and not self.zone_faulted(z)}
            if not take:
                continue
            call.pending -= take
            for zone in take:
                self.owner[zone] = call.call_id
            call.zones |= take
            self.post_event(CallEvent(call.call_id, CallState.REPLAY, frozenset(take)))
            self._run_program(call, take, replay=True)

    # ---- line input -------------------------------------------------------------------------------------------

    def line_audio(self, at: float, samples: Any) -> None:
        """Audio from the line input: attributed to LINE calls past their chime, in the zones open to them now."""
        taken = False
        for call in self.calls.values():
            if call.line and call.zones and any(p.content_at <= at for p in call.live_programs()):
                call.recording.add_line(at, samples)
                taken = True
        if not taken:
            self.line_dropped_chunks += 1

    # ---- faults -----------------------------------------------------------------------------------------------

    def zone_faulted(self, zone: int) -> bool:
        return self.table.faulted(zone)

    def inject_fault(self, kind: FaultType, where: Where) -> int:
        """A new fault (line supervision found it): EV FAULT NEW; zones it affects leave their calls."""
        rec = self.table.add(kind, where)
        self.post_event(FaultEvent(rec.fault_id, True, kind, where))
        hit = self.table.zones_of(kind, where)
        for call in list(self.calls.values()):
            lost = call.zones & hit
            if lost:
                self._lose(call, lost, preempted=False)
        return rec.fault_id

    def resolve_fault(self, fid: int) -> None:
        """The fault cleared: EV FAULT RESOLVED (it stays listed until FR)."""
        rec = self.table.resolve(fid)
        if rec is not None:
            self.post_event(FaultEvent(fid, False, rec.kind, rec.where))

    def _reset_faults(self) -> Reply:
        zones = self.table.reset()
        return Ack() if zones is None else Nak(NakCode.ZONE_FAULT, zones or None)

    def _emergency_reset(self) -> Reply:
        held = frozenset(z for z, cid in self.owner.items() if self.calls[cid].priority >= EMERGENCY_MIN)
        if held:
            return Nak(NakCode.ZONE_BUSY, held)
        if self.emergency:
            self.emergency = self.emergency_acknowledged = False
            self.post_event(EmergencyEvent(EmergencyState.RESET))
        return Ack()

    def snapshot(self) -> dict[str, Any]:
        """State for the control port and tests."""
        zones: dict[int, str] = {}
        for first in range(1, self.n_zones + 1, ZONES_PER_PAGE):
            page = self._zone_page(first)
            zones.update({first + i: e.encode() for i, e in enumerate(page.entries)})
        return {
            "mode": self.poll_status().mode.value,
            "zones": zones,
            "calls": {f"{c.call_id:04X}": sorted(c.zones) for c in self.calls.values()},
            "faults": [r.encode() for r in self.table.records.values()],
            "emergency": self.emergency,
        }
