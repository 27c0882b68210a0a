"""Transport-level faults a simulated camera can be told to show, by hand or by a timed script.

- ``stall``: the connection stays up, RTSP/HTTP requests are answered, but no media is sent.
- ``garbage``: media keeps flowing but a share of the packets carry corrupted payload bytes.
- ``wrong_password``: the camera's password has changed: sessions are dropped and every login gets 401.
- ``disappear``: the camera is gone: listeners close, connections drop (connection refused), until cleared.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum


class Fault(StrEnum):
    """A transport fault of a simulated camera."""

    STALL = "stall"
    GARBAGE = "garbage"
    WRONG_PASSWORD = "wrong_password"
    DISAPPEAR = "disappear"


Listener = Callable[[Fault, bool], None]


class FaultSwitch:
    """The set of active faults of one camera; listeners hear every change (from the changing thread)."""

    def __init__(self) -> None:
        self._active: set[Fault] = set()
        self._lock = threading.Lock()
        self._listeners: list[Listener] = []

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener(fault, active)`` on every change."""
        self._listeners.append(listener)

    def set(self, fault: Fault | str, active: bool = True) -> None:
        """Switch ``fault`` on or off; notifies listeners when it changes."""
        fault = Fault(fault)
        with self._lock:
            if (fault in self._active) == active:
                return
            if active:
                self._active.add(fault)
            else:
                self._active.discard(fault)
        for listener in list(self._listeners):
            listener(fault, active)

    def clear(self, fault: Fault | str) -> None:
        """Switch ``fault`` off."""
        self.set(fault, False)

    def __contains__(self, fault: object) -> bool:
        with self._lock:
            return fault in self._active

    @property
    def active(self) -> frozenset[Fault]:
        """The faults active now."""
        with self._lock:
            return frozenset(self._active)


@dataclass(frozen=True)
class ScriptStep:
    """Switch ``fault`` on at ``at_s`` seconds after the script starts, for ``duration_s`` seconds."""

    at_s: float
    fault: Fault
    duration_s: float


def parse_script(text: str) -> list[ScriptStep]:
    """Parse ``"10:stall:5,30:garbage:5"`` (start second, fault, duration) into steps.

    Raises ValueError naming the bad item.
    """
    steps: list[ScriptStep] = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        parts = item.split(":")
        if len(parts) != 3:
            raise ValueError(f"fault script item {item!r}: use START:FAULT:DURATION, e.g. 10:stall:5")
        try:
            at, duration = float(parts[0]), float(parts[2])
        except ValueError:
            raise ValueError(f"fault script item {item!r}: START and DURATION must be seconds") from None
        try:
            fault = Fault(parts[1])
        except ValueError:
            known = ", ".join(f.value for f in Fault)
            raise ValueError(f"fault script item {item!r}: unknown fault {parts[1]!r} (known: {known})") from None
        if at < 0 or duration <= 0:
            raise ValueError(f"fault script item {item!r}: START must be >= 0 and DURATION > 0")
        steps.append(ScriptStep(at, fault, duration))
    return steps


class FaultScript:
    """Plays a list of steps against a :class:`FaultSwitch` in a thread; :meth:`stop` clears what it set."""

    def __init__(self, switch: FaultSwitch, steps: list[ScriptStep], repeat: bool = False) -> None:
        self.switch = switch
        self.steps = steps
        self.repeat = repeat
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="camera-fault-script", daemon=True)

    def start(self) -> None:
        """Begin playing the script."""
        self._thread.start()

    def _run(self) -> None:
        events = sorted(
            [(s.at_s, s.fault, True) for s in self.steps]
            + [(s.at_s + s.duration_s, s.fault, False) for s in self.steps],
            key=lambda e: (e[0], e[2]),
        )
        period = max((e[0] for e in events), default=0.0)
        base = time.monotonic()
        while not self._stop.is_set():
            for at, fault, active in events:
                if self._stop.wait(max(0.0, base + at - time.monotonic())):
                    return
                self.switch.set(fault, active)
            if not self.repeat or period <= 0:
                return
            base += period

    def stop(self) -> None:
        """Stop playing and clear the faults of the script."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        for step in self.steps:
            self.switch.clear(step.fault)
