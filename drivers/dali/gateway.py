"""Asyncio driver for a Lunatone LUBA RS-232 DALI gateway on any pyserial URL.

The driver owns the port: one reader thread decodes LUBA messages and hands them to the event loop, where
requests are matched to replies. Frames are pipelined: up to ``window`` frames per line wait in the gateway's
send buffer, so the line never idles between them; lines are independent and run in parallel.

Matching (no LUBA field ties an answer to its query, so order does):
- 0x33 replies come in the order the 0x32 requests were written; the reply gives the frame its ``tx_id``.
- A "frame sent" event names the ``tx_id`` (and repeats the data, which is checked).
- A backward frame on a line belongs to the last query sent on that line. The query has no answer when the next
  frame on that line is sent, or ``answer_timeout_s`` after it went out, whichever comes first; a framing error
  is a collision (several gear answered). The default 150 ms covers the DALI answer window and backward frame
  (about 20 ms), a USB-serial adapter's latency timer (16 ms) and a busy host; it only matters for a query left
  unanswered with nothing queued behind it.

python-dali's own ``luba232`` driver is not used here: it opens ports with serialx (not pyserial URLs such as
``socket://``), drives line 0 only, serialises every frame of the gateway under one lock (no per-line
parallelism, no pipelining) and does not report bus power events.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

import serial

from drivers.dali import luba_codec as luba
from drivers.dali.errors import (
    BusPowerFailure,
    FrameRejected,
    GatewayProtocolError,
    GatewayTimeout,
    GatewayUnavailable,
)
from drivers.errors import TransportError
from drivers.transport import describe_url, open_serial

_LOG = logging.getLogger(__name__)
BAUDRATE = 38400

BusPowerCallback = Callable[[int, bool, str], None]


class AnswerKind(StrEnum):
    """What came back after a query."""

    ANSWER = "answer"
    NO_ANSWER = "no_answer"
    COLLISION = "collision"


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of a query frame: a byte, nothing, or a collision."""

    kind: AnswerKind
    value: int | None = None


@dataclass(eq=False)
class _Pending:
    line: int
    request: luba.AddFrame
    query: bool
    future: asyncio.Future[Answer | None]
    expected_sent: int
    sent: int = 0
    tx_id: int | None = None
    timer: asyncio.TimerHandle | None = None


class LubaGateway:
    """A LUBA gateway with one or more DALI lines.

    ``on_bus_power(line, powered, state)`` is called (on the event loop) when a line loses or regains bus power.
    """

    def __init__(
        self,
        url: str,
        *,
        lines: int = 1,
        window: int = 8,
        answer_timeout_s: float = 0.15,
        confirm_timeout_s: float = 2.0,
        reconnect: bool = True,
        reconnect_delay_s: tuple[float, float] = (0.2, 5.0),
        on_bus_power: BusPowerCallback | None = None,
    ) -> None:
        if lines < 1:
            raise ValueError("a gateway has at least one line")
        self.url = url
        self.lines = lines
        self.answer_timeout_s = answer_timeout_s
        self.confirm_timeout_s = confirm_timeout_s
        self.device_info: luba.DeviceInfo | None = None
        self._window = window
        self._reconnect = reconnect
        self._delays = reconnect_delay_s
        self._on_bus_power = on_bus_power
        self._settings = luba.Settings()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._port: serial.SerialBase | None = None
        self._reader: threading.Thread | None = None
        self._stop_reader = threading.Event()
        self._connected = False
        self._closing = False
        self._reconnect_task: asyncio.Task[None] | None = None
        self._slots = [asyncio.Semaphore(window) for _ in range(lines)]
        self._awaiting_accept: deque[_Pending] = deque()
        self._by_tx_id: dict[int, _Pending] = {}
        self._open_query: list[_Pending | None] = [None] * lines
        self._replies: dict[int, deque[asyncio.Future[bytes]]] = {
            luba.Cmd.DEVICE_INFO: deque(),
            luba.Cmd.SETTINGS_REPLY: deque(),
            luba.Cmd.STATUS_REPLY: deque(),
        }
        self._bus_powered: list[bool | None] = [None] * lines

    # --- lifecycle -----------------------------------------------------------------------------------------

    @property
    def connected(self) -> bool:
        """The port is open and the handshake has completed."""
        return self._connected

    def bus_powered(self, line: int) -> bool | None:
        """Last known bus power of ``line`` (``None`` until an event or a status read says)."""
        self._check_line(line)
        return self._bus_powered[line]

    async def start(self) -> None:
        """Open the port and run the handshake (device info, settings); raises :class:`GatewayUnavailable`."""
        self._loop = asyncio.get_running_loop()
        self._closing = False
        await self._connect()

    async def close(self) -> None:
        """Stop reconnecting, stop the reader thread, close the port and fail whatever is still waiting."""
        self._closing = True
        if self._reconnect_task is not None:
            self._reconnect_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._reconnect_task
            self._reconnect_task = None
        await self._drop_port()
        self._fail_all(GatewayUnavailable(f"gateway {describe_url(self.url)} closed"))

    async def __aenter__(self) -> LubaGateway:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def _connect(self) -> None:
        try:
            port = await asyncio.to_thread(open_serial, self.url, BAUDRATE)
        except TransportError as err:
            raise GatewayUnavailable(str(err)) from err
        self._port = port
        self._stop_reader = threading.Event()
        self._reader = threading.Thread(
            target=self._read_loop, args=(port, self._stop_reader), name=f"luba-reader {describe_url(self.url)}"
        )
        self._reader.start()
        self._connected = True
        try:
            info = await self._request(luba.query_device_info(), luba.Cmd.DEVICE_INFO)
            self.device_info = luba.DeviceInfo.decode(info)
            reply = luba.Settings.decode(await self._request(self._settings.encode(), luba.Cmd.SETTINGS_REPLY))
        except luba.LubaDecodeError as err:
            await self._drop_port()
            raise GatewayProtocolError(f"gateway {describe_url(self.url)} handshake: {err}") from err
        except Exception:
            await self._drop_port()
            raise
        if reply.event_filter != self._settings.event_filter:
            await self._drop_port()
            raise GatewayProtocolError(f"gateway kept event filter {reply.event_filter!r}, not the one written")

    async def _drop_port(self) -> None:
        self._connected = False
        self._stop_reader.set()
        if self._reader is not None:
            await asyncio.to_thread(self._reader.join)
            self._reader = None
        if self._port is not None:
            with contextlib.suppress(OSError, serial.SerialException):
                self._port.close()
            self._port = None

    def _read_loop(self, port: serial.SerialBase, stop: threading.Event) -> None:
        decoder = luba.StreamDecoder()
        loop = self._loop
        assert loop is not None
        while not stop.is_set():
            try:
                data = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError, AttributeError) as err:
                if not stop.is_set():
                    loop.call_soon_threadsafe(self._on_lost, err)
                return
            if data:
                items = decoder.feed(data)
                if items:
                    loop.call_soon_threadsafe(self._dispatch, items)

    def _on_lost(self, err: BaseException) -> None:
        if self._closing or not self._connected:
            return
        _LOG.error("DALI gateway %s lost: %s", describe_url(self.url), err)
        self._connected = False
        self._fail_all(GatewayUnavailable(f"gateway {describe_url(self.url)} lost: {err}"))
        if self._reconnect and self._loop is not None:
            self._reconnect_task = self._loop.create_task(self._reconnect_loop())

    async def _reconnect_loop(self) -> None:
        await self._drop_port()
        delay = self._delays[0]
        while not self._closing:
            await asyncio.sleep(delay)
            try:
                await self._connect()
            except (TransportError, GatewayTimeout, GatewayProtocolError) as err:
                _LOG.debug("DALI gateway %s still unavailable: %s", describe_url(self.url), err)
                delay = min(delay * 2, self._delays[1])
                continue
            _LOG.info("DALI gateway %s reconnected", describe_url(self.url))
            return

    # --- requests ------------------------------------------------------------------------------------------

    async def read_line_status(self, line: int) -> luba.LineStatus:
        """Ask the gateway for ``line``'s status (bus voltage)."""
        self._check_line(line)
        try:
            status = luba.LineStatus.decode(await self._request(luba.read_status(line), luba.Cmd.STATUS_REPLY))
        except luba.LubaDecodeError as err:
            raise GatewayProtocolError(f"line {line} status: {err}") from err
        self._note_bus_power(line, not status.bus_voltage_error, "status read")
        return status

    async def transmit(
        self, line: int, data: bytes, *, query: bool, send_twice: bool = False, priority: int = 2
    ) -> Answer | None:
        """Send one DALI forward frame on ``line``; return its :class:`Answer` for a query, else ``None``.

        Raises :class:`BusPowerFailure` or :class:`FrameRejected` when the gateway refuses the frame,
        :class:`GatewayTimeout` when it does not confirm, :class:`GatewayUnavailable` when the port is down.
        """
        self._check_line(line)
        request = luba.AddFrame(line, 8 * len(data), data, priority, send_twice)
        async with self._slots[line]:
            if not self._connected or self._loop is None:
                raise GatewayUnavailable(f"gateway {describe_url(self.url)} is not connected")
            pending = _Pending(line, request, query, self._loop.create_future(), 2 if send_twice else 1)
            self._awaiting_accept.append(pending)
            self._write(request.encode())
            timeout = self.confirm_timeout_s * pending.expected_sent + self.answer_timeout_s
            try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a caller's cancellation
                async with asyncio.timeout(timeout):
                    return await asyncio.shield(pending.future)
            except TimeoutError as err:
                self._abandon(pending)
                raise GatewayTimeout(
                    f"line {line}: gateway did not confirm frame {data.hex()} within {timeout:.2f} s"
                ) from err

    async def _request(self, message: luba.Message, reply: luba.Cmd) -> bytes:
        if not self._connected or self._loop is None:
            raise GatewayUnavailable(f"gateway {describe_url(self.url)} is not connected")
        future: asyncio.Future[bytes] = self._loop.create_future()
        self._replies[reply].append(future)
        self._write(message)
        try:
            async with asyncio.timeout(self.confirm_timeout_s):
                return await asyncio.shield(future)
        except TimeoutError as err:
            with contextlib.suppress(ValueError):
                self._replies[reply].remove(future)
            raise GatewayTimeout(
                f"gateway {describe_url(self.url)} did not answer 0x{message.cmd:02x} "
                f"within {self.confirm_timeout_s:.2f} s"
            ) from err

    def _write(self, message: luba.Message) -> None:
        port = self._port
        if port is None:
            raise GatewayUnavailable(f"gateway {describe_url(self.url)} is not connected")
        try:
            port.write(message.encode())
        except (serial.SerialException, OSError) as err:
            self._on_lost(err)
            raise GatewayUnavailable(f"gateway {describe_url(self.url)}: write failed: {err}") from err

    # --- matching ------------------------------------------------------------------------------------------

    def _dispatch(self, items: list[luba.Message | luba.StreamError]) -> None:
        for item in items:
            if isinstance(item, luba.StreamError):
                _LOG.warning("DALI gateway %s: dropped %s (%s)", describe_url(self.url), item.data.hex(), item.reason)
                continue
            try:
                self._handle(item)
            except luba.LubaDecodeError as err:
                _LOG.warning("DALI gateway %s: bad 0x%02x message: %s", describe_url(self.url), item.cmd, err)

    def _handle(self, message: luba.Message) -> None:
        if message.cmd == luba.Cmd.EVENT:
            event = luba.decode_event(message.payload, self._settings.event_filter)
            if isinstance(event, luba.FrameSent):
                self._on_sent(event)
            elif isinstance(event, luba.FrameReceived | luba.FrameError):
                self._on_received(event)
            elif isinstance(event, luba.BusPower):
                self._on_bus_power_event(event)
        elif message.cmd == luba.Cmd.ADD_FRAME_REPLY:
            self._on_add_frame_reply(luba.decode_add_frame_reply(message.payload))
        elif message.cmd in self._replies:
            waiting = self._replies[message.cmd]
            while waiting:
                future = waiting.popleft()
                if not future.done():
                    future.set_result(message.payload)
                    break
        else:
            _LOG.debug("DALI gateway %s: ignored message 0x%02x", describe_url(self.url), message.cmd)

    def _on_add_frame_reply(self, reply: luba.FrameAccepted | luba.FrameRefused) -> None:
        if not self._awaiting_accept:
            _LOG.warning("DALI gateway %s: add-frame reply with nothing waiting", describe_url(self.url))
            return
        pending = self._awaiting_accept.popleft()
        if isinstance(reply, luba.FrameAccepted):
            pending.tx_id = reply.tx_id
            if not pending.future.done():
                self._by_tx_id[reply.tx_id] = pending
            return
        if reply.error == luba.TxError.BUS_VOLTAGE_ERROR:
            self._note_bus_power(pending.line, False, "frame refused: no bus voltage")
            self._fail(pending, BusPowerFailure(pending.line))
        else:
            self._fail(pending, FrameRejected(reply.error.name, f"line {pending.line}: gateway refused the frame"))

    def _match_sent(self, event: luba.FrameSent) -> _Pending | None:
        pending = self._by_tx_id.get(event.tx_id)
        if pending is not None and pending.line == event.line and pending.request.data == event.data:
            return pending
        for candidate in self._by_tx_id.values():
            if candidate.line == event.line and candidate.request.data == event.data:
                return candidate
        return None

    def _on_sent(self, event: luba.FrameSent) -> None:
        line = event.line
        if not 0 <= line < self.lines:
            return
        pending = self._match_sent(event)
        previous = self._open_query[line]
        if previous is not None and previous is not pending:
            self._resolve(previous, Answer(AnswerKind.NO_ANSWER))
        if pending is None:
            _LOG.debug("line %d: frame %s sent that this driver did not queue", line, event.data.hex())
            return
        pending.sent += 1
        if pending.sent < pending.expected_sent:
            return
        if pending.tx_id is not None:
            self._by_tx_id.pop(pending.tx_id, None)
        if pending.query and self._loop is not None:
            self._open_query[line] = pending
            pending.timer = self._loop.call_later(
                self.answer_timeout_s, self._resolve, pending, Answer(AnswerKind.NO_ANSWER)
            )
        else:
            self._resolve(pending, None)

    def _on_received(self, event: luba.FrameReceived | luba.FrameError) -> None:
        if not 0 <= event.line < self.lines:
            return
        pending = self._open_query[event.line]
        if isinstance(event, luba.FrameError):
            if pending is not None:
                self._resolve(pending, Answer(AnswerKind.COLLISION))
            return
        if len(event.data) != 1:
            _LOG.debug("line %d: another master sent %s", event.line, event.data.hex())
            return
        if pending is None:
            _LOG.debug("line %d: answer 0x%02x with no query waiting", event.line, event.data[0])
            return
        self._resolve(pending, Answer(AnswerKind.ANSWER, event.data[0]))

    def _on_bus_power_event(self, event: luba.BusPower) -> None:
        if not 0 <= event.line < self.lines:
            return
        powered = event.state == luba.BusPowerState.RESTORED
        self._note_bus_power(event.line, powered, event.state.name)
        if not powered:
            for pending in self._pending_on(event.line):
                self._fail(pending, BusPowerFailure(event.line, f"bus power {event.state.name.lower()}"))

    def _note_bus_power(self, line: int, powered: bool, why: str) -> None:
        before = self._bus_powered[line]
        self._bus_powered[line] = powered
        if before == powered:
            return
        if not powered:
            _LOG.error("DALI line %d on %s has no bus power (%s)", line, describe_url(self.url), why)
        elif before is False:
            _LOG.info("DALI line %d on %s has bus power again", line, describe_url(self.url))
        if self._on_bus_power is not None and (before is not None or not powered):
            self._on_bus_power(line, powered, why)

    # --- bookkeeping ---------------------------------------------------------------------------------------

    def _pending_on(self, line: int) -> list[_Pending]:
        found = [p for p in self._awaiting_accept if p.line == line]
        found += [p for p in self._by_tx_id.values() if p.line == line]
        query = self._open_query[line]
        if query is not None:
            found.append(query)
        return found

    def _resolve(self, pending: _Pending, answer: Answer | None) -> None:
        if pending.timer is not None:
            pending.timer.cancel()
            pending.timer = None
        if self._open_query[pending.line] is pending:
            self._open_query[pending.line] = None
        if not pending.future.done():
            pending.future.set_result(answer)

    def _fail(self, pending: _Pending, err: Exception) -> None:
        if pending.timer is not None:
            pending.timer.cancel()
            pending.timer = None
        if self._open_query[pending.line] is pending:
            self._open_query[pending.line] = None
        if pending.tx_id is not None and self._by_tx_id.get(pending.tx_id) is pending:
            del self._by_tx_id[pending.tx_id]
        if not pending.future.done():
            pending.future.set_exception(err)
            pending.future.exception()  # retrieved here so an abandoned future never warns

    def _abandon(self, pending: _Pending) -> None:
        if pending in self._awaiting_accept:
            self._awaiting_accept.remove(pending)  # its reply is taken as lost
        self._fail(pending, GatewayTimeout("abandoned"))

    def _fail_all(self, err: Exception) -> None:
        for pending in list(self._awaiting_accept) + list(self._by_tx_id.values()):
            self._fail(pending, err)
        for query in self._open_query:
            if query is not None:
                self._fail(query, err)
        self._awaiting_accept.clear()
        self._by_tx_id.clear()
        for waiting in self._replies.values():
            while waiting:
                future = waiting.popleft()
                if not future.done():
                    future.set_exception(err)
                    future.exception()

    def _check_line(self, line: int) -> None:
        if not 0 <= line < self.lines:
            raise ValueError(f"line {line} out of range 0-{self.lines - 1} for gateway {describe_url(self.url)}")
