"""A Lunatone LUBA RS-232 DALI gateway simulator over a pseudo-terminal or TCP (``socket://``).

It answers the LUBA subset of :mod:`drivers.dali.luba_codec` (device info, settings, line status, add frame,
events 0/2/3) for several lines of up to 64 gear each, in DALI wire time (:mod:`simulators.dali_line`), and is
drivable unchanged by python-dali's own ``luba232`` driver. Faults are scriptable: lamp or gear failure, gear
that never answer (``mute``) or ignore commands (``deaf``), duplicate short addresses (colliding answers) and
bus power loss (event type 3).

``python -m simulators dali [--tcp HOST:PORT] --lines 4 --gear 64`` prints the port to open on its first line.
"""

from __future__ import annotations

import argparse
import logging
import os
import select
import signal
import socket
import sys
import threading
import tty

from drivers.dali import luba_codec as luba
from simulators.dali_gear import SimGear
from simulators.dali_line import SimLine

_LOG = logging.getLogger(__name__)
LUNATONE_GTIN = 9010342012345
LUBA_RS232_ARTICLE = 24166096


class DaliGatewaySimulator:
    """The simulated gateway. ``start()`` returns the URL (a pty path, or ``socket://host:port``)."""

    def __init__(
        self,
        lines: int = 1,
        gear_per_line: int = 64,
        *,
        tcp: tuple[str, int] | None = None,
        group_size: int = 0,
        fade_s: float = 0.0,
        capacity: int = 16,
    ) -> None:
        if not 1 <= lines <= 16:
            raise ValueError("a simulated gateway has 1-16 lines")
        if not 0 <= gear_per_line <= 64:
            raise ValueError("a DALI line holds at most 64 gear")
        self.lines = [SimLine(n, self._emit, capacity=capacity) for n in range(lines)]
        for line in self.lines:
            for short in range(gear_per_line):
                groups = {short // group_size} if group_size and short // group_size < 16 else set()
                line.add_gear(SimGear(short, groups=groups, fade_s=fade_s))
        self.settings = luba.Settings(event_filter=luba.EventFilter.NONE)
        self.device_info = luba.DeviceInfo(LUNATONE_GTIN, 1, 1, 1, LUBA_RS232_ARTICLE)
        self.url = ""
        self._tcp = tcp
        self._next_tx = 0
        self._write_lock = threading.Lock()
        self._stop = threading.Event()
        self._io: threading.Thread | None = None
        self._master = self._slave = -1
        self._server: socket.socket | None = None
        self._client: socket.socket | None = None
        self._decoder = luba.StreamDecoder()

    # --- lifecycle -------------------------------------------------------------------------------------

    def start(self) -> str:
        """Open the pty or the listening socket, start the lines and the I/O thread; return the URL."""
        if self._tcp is None:
            self._master, self._slave = os.openpty()
            tty.setraw(self._slave)
            os.set_blocking(self._master, False)  # a pty nobody reads must never block the simulator
            self.url = os.ttyname(self._slave)
        else:
            self._server = socket.create_server(self._tcp)
            host, port = self._server.getsockname()[:2]
            self.url = f"socket://{host}:{port}"
        for line in self.lines:
            line.start()
        self._io = threading.Thread(target=self._io_loop, name="dali-sim-io", daemon=True)
        self._io.start()
        return self.url

    def stop(self) -> None:
        """Stop every thread and close every descriptor."""
        self._stop.set()
        for line in self.lines:
            line.stop()
        if self._io is not None:
            self._io.join()
            self._io = None
        for fd in (self._master, self._slave):
            if fd >= 0:
                os.close(fd)
        self._master = self._slave = -1
        for sock in (self._client, self._server):
            if sock is not None:
                sock.close()
        self._client = self._server = None

    def __enter__(self) -> DaliGatewaySimulator:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- scripting -------------------------------------------------------------------------------------

    def gear(self, line: int, short: int) -> SimGear:
        """The (first) gear at ``short`` on ``line``."""
        for g in self.lines[line].state.gear:
            if g.short == short:
                return g
        raise KeyError(f"no gear {short} on line {line}")

    def add_gear(self, line: int, short: int, **kwargs: object) -> SimGear:
        """Connect another gear (a duplicate short address makes answers collide)."""
        return self.lines[line].add_gear(SimGear(short, **kwargs))  # type: ignore[arg-type]

    def set_bus_power(self, line: int, powered: bool, state: luba.BusPowerState | None = None) -> None:
        """Lose (``LOST`` or ``SHORT_CIRCUIT``) or restore a line's bus voltage; raises event type 3."""
        self.lines[line].set_power(powered, state)

    def frames_on_wire(self, line: int | None = None) -> int:
        """Forward frames transmitted so far on one line, or on all."""
        if line is not None:
            return self.lines[line].frames_on_wire
        return sum(x.frames_on_wire for x in self.lines)

    # --- LUBA ------------------------------------------------------------------------------------------

    def _handle(self, message: luba.Message) -> None:
        if message.cmd == luba.Cmd.QUERY_DEVICE_INFO:
            self._send(self.device_info.encode())
        elif message.cmd == luba.Cmd.SETTINGS:
            try:
                self.settings = luba.Settings.decode(message.payload)
            except (luba.LubaDecodeError, ValueError) as err:
                _LOG.warning("bad settings %s: %s", message.payload.hex(), err)
                return
            self._send(self.settings.encode(luba.Cmd.SETTINGS_REPLY))
        elif message.cmd == luba.Cmd.READ_STATUS:
            self._read_status(message.payload)
        elif message.cmd == luba.Cmd.ADD_FRAME:
            self._add_frame(message.payload)
        else:
            _LOG.warning("unsupported LUBA command 0x%02x", message.cmd)

    def _read_status(self, payload: bytes) -> None:
        number = payload[0] if payload else 0
        if number >= len(self.lines):
            self._send(luba.Message(luba.Cmd.STATUS_REPLY, bytes([number])))
            return
        line = self.lines[number]
        status = luba.LineStatus(number, not line.powered, 0, line.last_tx_id, line.queued())
        self._send(status.encode())

    def _add_frame(self, payload: bytes) -> None:
        try:
            request = luba.AddFrame.decode(payload)
        except luba.LubaDecodeError as err:
            _LOG.warning("refused add-frame %s: %s", payload.hex(), err)
            self._send(luba.FrameRefused(luba.TxError.SYNTAX_ERROR).encode())
            return
        if request.line >= len(self.lines):
            self._send(luba.FrameRefused(luba.TxError.LINE_NOT_AVAILABLE).encode())
            return
        line = self.lines[request.line]
        refusal = line.refusal()
        if refusal is not None:
            self._send(luba.FrameRefused(refusal).encode())
            return
        self._next_tx = self._next_tx % 255 + 1
        self._send(luba.FrameAccepted(self._next_tx).encode())
        line.enqueue(self._next_tx, request)

    def _emit(self, event: luba.Event) -> None:
        events = self.settings.event_filter
        if events & luba.EventFilter.NO_EVENTS:
            return
        if isinstance(event, luba.FrameSent) and events & luba.EventFilter.NO_SENT_EVENTS:
            return
        if isinstance(event, luba.FrameReceived | luba.FrameError) and events & luba.EventFilter.NO_RECEIVE_EVENTS:
            return
        self._send(luba.encode_event(event, events))

    def _send(self, message: luba.Message) -> None:
        data = message.encode()
        with self._write_lock:
            try:
                if self._master >= 0:
                    os.write(self._master, data)
                elif self._client is not None:
                    self._client.sendall(data)
            except OSError as err:
                _LOG.info("client gone while writing: %s", err)

    # --- I/O -------------------------------------------------------------------------------------------

    def _io_loop(self) -> None:
        while not self._stop.is_set():
            watch: list[int | socket.socket] = []
            if self._master >= 0:
                watch.append(self._master)
            if self._server is not None:
                watch.append(self._server)
            if self._client is not None:
                watch.append(self._client)
            readable, _, _ = select.select(watch, [], [], 0.1)
            for source in readable:
                if source is self._server:
                    self._accept()
                else:
                    self._read(source)

    def _accept(self) -> None:
        assert self._server is not None
        client, _ = self._server.accept()
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with self._write_lock:
            if self._client is not None:
                self._client.close()
            self._client = client
        self._decoder = luba.StreamDecoder()

    def _read(self, source: int | socket.socket) -> None:
        try:
            data = os.read(source, 4096) if isinstance(source, int) else source.recv(4096)
        except OSError:
            data = b""
        if not data:
            if isinstance(source, socket.socket):
                with self._write_lock:
                    source.close()
                    if self._client is source:
                        self._client = None
            return
        for item in self._decoder.feed(data):
            if isinstance(item, luba.StreamError):
                _LOG.warning("dropped %s: %s", item.data.hex(), item.reason)
            else:
                self._handle(item)


def _line_short(text: str) -> tuple[int, int]:
    try:
        line, short = text.split(":")
        return int(line), int(short)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected LINE:SHORT (e.g. 0:5), got {text!r}") from err


def _host_port(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    try:
        return host or "127.0.0.1", int(port)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}") from err


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``python -m simulators dali``."""
    parser.add_argument("--tcp", type=_host_port, help="listen on HOST:PORT (socket://) instead of a pty")
    parser.add_argument("--lines", type=int, default=1, help="DALI lines on the gateway (default 1)")
    parser.add_argument("--gear", type=int, default=64, help="gear per line, short addresses 0..N-1 (default 64)")
    parser.add_argument("--group-size", type=int, default=0, help="put gear s in group s // N (0: no groups)")
    parser.add_argument("--fade-s", type=float, default=0.0, help="fade time of every gear in seconds")
    for flag, what in (
        ("lamp-failure", "lamp failed"),
        ("gear-failure", "control gear failed"),
        ("mute", "gear never answers"),
        ("deaf", "gear ignores commands"),
        ("duplicate", "a second gear at this address"),
    ):
        parser.add_argument(f"--{flag}", type=_line_short, action="append", default=[], metavar="LINE:SHORT", help=what)


def run(args: argparse.Namespace) -> int:
    """Run until SIGINT/SIGTERM; the first line of stdout is the URL to open."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    sim = DaliGatewaySimulator(args.lines, args.gear, tcp=args.tcp, group_size=args.group_size, fade_s=args.fade_s)
    for line, short in args.lamp_failure:
        sim.gear(line, short).lamp_failure = True
    for line, short in args.gear_failure:
        sim.gear(line, short).gear_failure = True
    for line, short in args.mute:
        sim.gear(line, short).mute = True
    for line, short in args.deaf:
        sim.gear(line, short).deaf = True
    for line, short in args.duplicate:
        sim.add_gear(line, short)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    signal.signal(signal.SIGINT, lambda *_: done.set())
    url = sim.start()
    print(url, flush=True)
    print(f"DALI gateway simulator: {args.lines} line(s) x {args.gear} gear on {url}", file=sys.stderr, flush=True)
    try:
        done.wait()
    finally:
        sim.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    """``python -m simulators.dali_gateway``: the same as ``python -m simulators dali``."""
    parser = argparse.ArgumentParser(prog="dali_gateway", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
