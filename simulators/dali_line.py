"""One simulated DALI line: a send buffer drained in real time at 1200 bit/s, and the line's bus power.

Each queued frame occupies the line for its wire time (:mod:`drivers.dali.timing`): about 22 ms for a
command, about 34 ms for a query with an answer, about 37 ms for a query nobody answers. The gear act at the end
of the forward frame; the "frame sent" event leaves then, the answer event when the backward frame has ended.
Send-twice frames go out twice back to back (well inside the 100 ms limit).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

from drivers.dali import luba_codec as luba
from drivers.dali import timing
from simulators.dali_gear import LineState, SimGear, decode, execute

EmitFn = Callable[[luba.Event], None]


class SimLine:
    """A DALI line with its gear, a bounded send buffer and a worker thread honouring wire time."""

    def __init__(self, number: int, emit: EmitFn, *, capacity: int = 16) -> None:
        self.number = number
        self.state = LineState()
        self.powered = True
        self.frames_on_wire = 0
        self.last_tx_id = 0
        self._emit = emit
        self._capacity = capacity
        self._queue: deque[tuple[int, luba.AddFrame]] = deque()
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._free_at = 0.0
        self._thread = threading.Thread(target=self._run, name=f"dali-sim-line-{number}", daemon=True)

    def start(self) -> None:
        """Start draining the send buffer."""
        self._thread.start()

    def stop(self) -> None:
        """Stop the worker and wait for it."""
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        if self._thread.is_alive():
            self._thread.join()

    # --- the gateway's side ----------------------------------------------------------------------------

    def refusal(self) -> luba.TxError | None:
        """Why a new frame would be refused right now, or ``None``."""
        with self._cond:
            if not self.powered:
                return luba.TxError.BUS_VOLTAGE_ERROR
            if len(self._queue) >= self._capacity:
                return luba.TxError.SEND_BUFFER_FULL
            return None

    def enqueue(self, tx_id: int, request: luba.AddFrame) -> None:
        """Queue an accepted frame (dropped if the bus lost power since it was accepted)."""
        with self._cond:
            if not self.powered:
                return
            self._queue.append((tx_id, request))
            self.last_tx_id = tx_id
            self._cond.notify()

    def queued(self) -> int:
        """Frames waiting in the send buffer."""
        with self._cond:
            return len(self._queue)

    def set_power(self, powered: bool, state: luba.BusPowerState | None = None) -> None:
        """Lose or restore bus voltage: the buffer is flushed, gear go to their system failure level."""
        with self._cond:
            if powered == self.powered:
                return
            self.powered = powered
            if not powered:
                self._queue.clear()
                now = time.monotonic()
                for g in self.state.gear:
                    g.go_to(g.system_failure_level, now, fade=False)
        if state is None:
            state = luba.BusPowerState.RESTORED if powered else luba.BusPowerState.LOST
        self._emit(luba.BusPower(self.number, state, tick()))

    def add_gear(self, gear: SimGear) -> SimGear:
        """Connect a gear (a second gear with the same short address makes their answers collide)."""
        with self._cond:
            self.state.gear.append(gear)
        return gear

    # --- the wire --------------------------------------------------------------------------------------

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                while not self._queue and not self._stop.is_set():
                    self._cond.wait(0.5)
                if self._stop.is_set():
                    return
                tx_id, request = self._queue.popleft()
            self._transmit(tx_id, request)

    def _sleep_until(self, deadline: float) -> bool:
        delay = deadline - time.monotonic()
        if delay > 0:
            return not self._stop.wait(delay)
        return not self._stop.is_set()

    def _transmit(self, tx_id: int, request: luba.AddFrame) -> None:
        is_query = request.nbits == 16 and bool(decode(request.data).is_query)
        for _ in range(2 if request.send_twice else 1):
            start = max(time.monotonic(), self._free_at)
            end = start + timing.frame_s(request.nbits)
            if not self._sleep_until(end):
                return
            with self._cond:
                if not self.powered:
                    return
                answers = execute(self.state, request.data, end) if request.nbits == 16 else []
                self.frames_on_wire += 1
            self._emit(luba.FrameSent(self.number, tx_id, request.data, tick()))
            if not is_query:
                self._free_at = end + timing.SETTLE_AFTER_FORWARD_S
            elif not answers:
                self._free_at = end + timing.ANSWER_WINDOW_S + timing.BACKWARD_S + timing.SETTLE_AFTER_BACKWARD_S
            else:
                answered = end + timing.ANSWER_DELAY_S + timing.BACKWARD_S
                if not self._sleep_until(answered):
                    return
                if len(answers) == 1:
                    self._emit(luba.FrameReceived(self.number, bytes([answers[0]]), tick()))
                else:
                    self._emit(luba.FrameError(self.number, luba.ReceiveError.FRAMING_ERROR, tick()))
                self._free_at = answered + timing.SETTLE_AFTER_BACKWARD_S


def tick() -> int:
    """The gateway's millisecond tick (16 bits, wrapping)."""
    return int(time.monotonic() * 1000) & 0xFFFF
