"""The PA head-end simulator: one thread running an asyncio loop with the serial endpoint, the controller core,
the line input and (optionally) the control port. Usable in-process (tests, benchmarks) or as a program."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from drivers.pa.codec import FaultType, Where
from simulators.pa.control import ControlPort, as_json
from simulators.pa.core import ControllerCore
from simulators.pa.endpoints import PtyEndpoint, TcpEndpoint
from simulators.pa.line_input import LineInput
from simulators.pa.recorder import Recorder
from simulators.pa.session import FrameTiming, Session
from simulators.pa.store import Store, amplifier_map

T = TypeVar("T")


class PaControllerSimulator:
    """A simulated PA head-end. ``start()`` returns when ``url`` (pty symlink or ``socket://``) is ready."""

    def __init__(
        self,
        *,
        zones: int = 16,
        baudrate: int = 9600,
        address: int = 1,
        tcp: tuple[str, int] | None = None,
        pty_link: Path | None = None,
        recordings: Path | None = None,
        store: Store | None = None,
        zones_per_amplifier: int = 4,
        line_input: tuple[str, int] = ("127.0.0.1", 0),
        control: tuple[str, int] | None = None,
        comms_timeout_s: float = 15.0,
        stacked_timeout_s: float = 60.0,
    ) -> None:
        if not 1 <= zones <= 32:
            raise ValueError(f"zones must be 1-32, got {zones}")
        self.zones = zones
        self.baudrate = baudrate
        self.address = address
        self.store = store or Store()
        self.amplifiers = amplifier_map(zones, zones_per_amplifier)
        self._tcp = tcp
        self._tmp = Path(tempfile.mkdtemp(prefix="pa-sim-"))
        self._pty_link = pty_link or self._tmp / "pa-controller"
        self.recordings = recordings or self._tmp / "recordings"
        self._line_addr = line_input
        self._control_addr = control
        self._comms_timeout_s = comms_timeout_s
        self._stacked_timeout_s = stacked_timeout_s
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._started = threading.Condition()
        self._error: BaseException | None = None
        self._stop: asyncio.Event | None = None
        self.core: ControllerCore
        self.session: Session
        self.endpoint: PtyEndpoint | TcpEndpoint
        self.line_input: LineInput
        self.control: ControlPort | None = None

    # ---- lifecycle --------------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start the simulator thread and wait until its port, line input and control port listen."""
        self._thread = threading.Thread(target=self._run, name="pa-sim", daemon=True)
        self._thread.start()
        if not self._ready.wait(10.0):
            raise RuntimeError("PA simulator did not start within 10 s")
        if self._error is not None:
            self._thread.join()
            raise RuntimeError(f"PA simulator failed to start: {self._error}") from self._error

    def stop(self) -> None:
        """Stop everything the simulator started (running calls are written out) and remove temporary files."""
        if self._loop is not None and self._stop is not None and self._thread is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._stop.set)
            self._thread.join(timeout=10.0)
        self._thread = None
        if self.recordings.is_relative_to(self._tmp):
            return  # keep recordings a test may still read; the folder goes with cleanup()
        shutil.rmtree(self._tmp, ignore_errors=True)

    def cleanup(self) -> None:
        """Remove the temporary folder (pty link, default recordings)."""
        shutil.rmtree(self._tmp, ignore_errors=True)

    def __enter__(self) -> PaControllerSimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
        self.cleanup()

    @property
    def url(self) -> str:
        """The serial URL a driver opens: the pty symlink, or ``socket://host:port``."""
        return self.endpoint.url

    @property
    def line_url(self) -> str:
        """``tcp://host:port`` of the audio line input."""
        return self.line_input.url

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            loop.run_until_complete(self._main())
        except BaseException as err:  # reported to start()
            self._error = err
            self._ready.set()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self) -> None:
        loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        recorder = Recorder(self.recordings)
        session_box: list[Session] = []
        self.core = ControllerCore(
            loop,
            self.zones,
            self.store,
            self.amplifiers,
            recorder,
            lambda event: session_box[0].events.post(event),
            comms_timeout_s=self._comms_timeout_s,
            stacked_timeout_s=self._stacked_timeout_s,
        )
        self.core.on_start = self._notify_start
        self.session = Session(loop, self.core, self.address, self.baudrate, self._write)
        session_box.append(self.session)
        if self._tcp is not None:
            self.endpoint = TcpEndpoint(*self._tcp, self.session.on_bytes, self.session.reset_line)
            await self.endpoint.plug()
        else:
            self.endpoint = PtyEndpoint(loop, self._pty_link, self.session.on_bytes)
            self.endpoint.plug()
        self.line_input = LineInput(*self._line_addr, self.core.line_audio)
        await self.line_input.start()
        if self._control_addr is not None:
            self.control = ControlPort(*self._control_addr, self._handlers())
            await self.control.start()
        self.core.host_heard()  # arm the COMMS watch
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            self.core.shutdown()
            self.session.events.stop()
            if self.control is not None:
                await self.control.close()
            await self.line_input.close()
            await self.endpoint.close()

    def _notify_start(self) -> None:
        with self._started:
            self._started.notify_all()

    def _write(self, data: bytes) -> None:
        self.endpoint.write(data)

    # ---- in-process API (thread-safe) -------------------------------------------------------------------------

    def _in_loop(self, fn: Callable[[], T]) -> T:
        assert self._loop is not None
        if self._loop.is_closed():  # stopped: nothing else touches the state any more
            return fn()

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), self._loop).result(timeout=10.0)

    def inject_fault(self, kind: str | FaultType, where: str) -> int:
        """Raise a fault (e.g. ``"LINE_OPEN"``, ``"Z03"``); returns its fault id."""
        fault = FaultType(kind) if isinstance(kind, str) else kind
        location = Where.parse(where)
        return self._in_loop(lambda: self.core.inject_fault(fault, location))

    def resolve_fault(self, fault_id: int) -> None:
        """The fault clears."""
        self._in_loop(lambda: self.core.resolve_fault(fault_id))

    def unplug(self) -> None:
        """The serial port disappears (pty closed / TCP listener gone)."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._unplug(), self._loop).result(timeout=10.0)

    def plug(self) -> None:
        """The serial port comes back at the same URL."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self._plug(), self._loop).result(timeout=10.0)

    async def _unplug(self) -> None:
        if isinstance(self.endpoint, TcpEndpoint):
            await self.endpoint.unplug()
        else:
            self.endpoint.unplug()
        self.session.reset_line()

    async def _plug(self) -> None:
        if isinstance(self.endpoint, TcpEndpoint):
            await self.endpoint.plug()
        else:
            self.endpoint.plug()

    def garble(self, rx: int = 0, tx: int = 0) -> None:
        """Corrupt the next ``rx`` received frames (answered NAK 01) and ``tx`` sent frames."""

        def apply() -> None:
            self.session.faults.garble_rx += rx
            self.session.faults.garble_tx += tx

        self._in_loop(apply)

    def set_silent(self, silent: bool) -> None:
        """Stop (or resume) answering the host and sending events."""
        self._in_loop(lambda: setattr(self.session.faults, "silent", silent))

    def drop_acks(self, count: int) -> None:
        """Ignore the host's next ``count`` event ACKs."""
        self._in_loop(lambda: setattr(self.session.faults, "drop_acks", count))

    def snapshot(self) -> dict[str, Any]:
        """Mode, zones, calls and faults now."""
        return self._in_loop(self.core.snapshot)

    def finished_calls(self) -> list[dict[str, Any]]:
        """Index entries of calls that ended (each names its per-zone WAV files)."""
        return self._in_loop(lambda: list(self.core.finished))

    def frame_timings(self) -> list[FrameTiming]:
        """When each host frame's first byte arrived and when it counted as received."""
        return self._in_loop(lambda: list(self.session.timings))

    def wait_calls(self, count: int, within_s: float) -> bool:
        """Block until at least ``count`` calls have started (True), or ``within_s`` passed (False); no polling."""
        with self._started:
            return self._started.wait_for(lambda: len(self.core.starts) >= count, within_s)

    def quiet(self) -> bool:
        """No call running, no event waiting to go out or for its ACK, nothing on the line to the host."""

        def check() -> bool:
            events = self.session.events
            line_free = self.session.tx_free_at <= self.core.now()
            return not self.core.calls and not events.queue and events.outstanding is None and line_free

        return self._in_loop(check)

    def latest(self, command: str = "CS") -> tuple[int, FrameTiming | None, tuple[int, float, float | None] | None]:
        """(calls started so far, timing of the newest ``command`` frame, the newest call start) — cheap to poll."""

        def pick() -> tuple[int, FrameTiming | None, tuple[int, float, float | None] | None]:
            frame = next((t for t in reversed(self.session.timings) if t.command == command), None)
            starts = self.core.starts
            return len(starts), frame, starts[-1] if starts else None

        return self._in_loop(pick)

    def call_starts(self) -> list[tuple[int, float, float | None]]:
        """(call id, start, chime start) of every call started, in order (monotonic seconds)."""
        return self._in_loop(lambda: list(self.core.starts))

    def events_sent(self) -> list[tuple[float, Any]]:
        """Every event first sent to the host, with its time."""
        return self._in_loop(lambda: list(self.session.events.sent))

    # ---- control port handlers --------------------------------------------------------------------------------

    def _handlers(self) -> dict[str, Callable[[list[str]], Any]]:
        async def status(args: list[str]) -> str:
            return "ok " + as_json(self.core.snapshot())

        async def fault(args: list[str]) -> str:
            kind, where = args
            return f"ok {self.core.inject_fault(FaultType(kind), Where.parse(where)):04X}"

        async def resolve(args: list[str]) -> str:
            self.core.resolve_fault(int(args[0], 16))
            return "ok"

        async def unplug(args: list[str]) -> str:
            await self._unplug()
            return "ok"

        async def plug(args: list[str]) -> str:
            await self._plug()
            return "ok " + self.url

        async def garble(args: list[str]) -> str:
            direction, count = args
            if direction not in ("rx", "tx"):
                raise ValueError("garble rx|tx N")
            setattr(self.session.faults, f"garble_{direction}", int(count))
            return "ok"

        async def silent(args: list[str]) -> str:
            if args != ["on"] and args != ["off"]:
                raise ValueError("silent on|off")
            self.session.faults.silent = args == ["on"]
            return "ok"

        async def drop_acks(args: list[str]) -> str:
            self.session.faults.drop_acks = int(args[0])
            return "ok"

        async def calls(args: list[str]) -> str:
            return "\n".join([*(as_json(c) for c in self.core.finished), f"ok {len(self.core.finished)}"])

        return {
            "status": status,
            "fault": fault,
            "resolve": resolve,
            "unplug": unplug,
            "plug": plug,
            "garble": garble,
            "silent": silent,
            "drop-acks": drop_acks,
            "calls": calls,
        }
