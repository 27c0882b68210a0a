"""asyncio driver of the PA head-end controller over any pyserial URL.

One request at a time (the protocol answers every host frame within 100 ms); each gets the next SEQ and is matched
to the reply with the same ADDR/CMD/SEQ. A NAK-checksum or silence is retried twice with the same SEQ (the
controller answers a repeated frame without executing it twice), then :class:`ControllerUnreachable`. Any other
NAK is :class:`ControllerRefused` with the code and an operator sentence. Unsolicited events are ACKed at once,
deduplicated (the controller resends unacknowledged events every 500 ms) and handed to ``on_event``. The driver
polls every 5 s (the controller raises a COMMS fault after 15 s without a poll) and reports connection changes
through ``on_connection``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import deque
from collections.abc import Callable
from enum import Enum

from drivers.pa.commands import (
    AbortCall,
    DeviceType,
    EmergencyAcknowledge,
    EmergencyReset,
    FaultAcknowledge,
    FaultListQuery,
    FaultReset,
    HostCommand,
    Poll,
    SetTime,
    StartCall,
    StopCall,
    ZoneStatusQuery,
    command_frame,
)
from drivers.pa.deframer import BareNak, Item
from drivers.pa.errors import BadField, ControllerRefused, ControllerUnreachable, PaProtocolError, PortClosed
from drivers.pa.events import Event, ack_frame, parse_event
from drivers.pa.frames import EVENT_COMMAND, MAX_FRAME, Frame, Status, encode_frame
from drivers.pa.link import SerialLink
from drivers.pa.replies import (
    Ack,
    DeviceInfo,
    FaultRecord,
    Nak,
    NakCode,
    PollStatus,
    Reply,
    ZoneEntry,
    parse_reply,
    read_call_id,
    read_device_info,
    read_fault_page,
    read_poll,
    read_zone_page,
)
from drivers.transport import wire_time_s

log = logging.getLogger(__name__)

EVENT_DEDUPE_WINDOW = 32


class ConnectionState(Enum):
    """``disconnected``: port not open; ``unreachable``: port open, controller silent; ``connected``: answering."""

    DISCONNECTED = "disconnected"
    UNREACHABLE = "unreachable"
    CONNECTED = "connected"


EventCallback = Callable[[Event], None]
ConnectionCallback = Callable[[ConnectionState, str], None]


class PaController:
    """Driver of one PA head-end controller. Call :meth:`start` in a running loop, :meth:`close` to stop."""

    def __init__(
        self,
        url: str,
        *,
        baudrate: int = 9600,
        address: int = 1,
        on_event: EventCallback | None = None,
        on_connection: ConnectionCallback | None = None,
        poll_interval_s: float = 5.0,
        answer_timeout_s: float = 0.1,
        retries: int = 2,
        reopen_interval_s: float = 0.5,
    ) -> None:
        self.url = url
        self.baudrate = baudrate
        self.address = address
        self.on_event = on_event
        self.on_connection = on_connection
        self.poll_interval_s = poll_interval_s
        self.answer_timeout_s = answer_timeout_s
        self.retries = retries
        self.reopen_interval_s = reopen_interval_s
        self.state = ConnectionState.DISCONNECTED
        self.reason = "not started"
        self.last_poll: PollStatus | None = None
        self.counters = {"sent": 0, "retries": 0, "naks": 0, "protocol_errors": 0, "events": 0, "duplicates": 0}
        self._reported: ConnectionState | None = None
        self._link: SerialLink | None = None
        self._lock = asyncio.Lock()
        self._seq = 0
        self._pending: tuple[tuple[int, str, int], asyncio.Future[Reply]] | None = None
        self._recent_events: deque[tuple[int, tuple[str, ...]]] = deque(maxlen=EVENT_DEDUPE_WINDOW)
        self._poll_task: asyncio.Task[None] | None = None
        self._kick = asyncio.Event()
        self._state_changed = asyncio.Event()

    @property
    def where(self) -> str:
        """The port URL without credentials."""
        return self._link.where if self._link else self.url

    async def start(self) -> None:
        """Start the reader thread and the poller; returns at once (the port may come later)."""
        loop = asyncio.get_running_loop()
        self._link = SerialLink(
            self.url,
            self.baudrate,
            loop,
            self._on_items,
            self._on_open,
            self._on_lost,
            reopen_interval_s=self.reopen_interval_s,
        )
        self._link.start()
        self._poll_task = asyncio.create_task(self._poll_loop(), name=f"pa-poll {self.where}")

    async def close(self) -> None:
        """Stop polling, stop the reader thread and close the port."""
        if self._poll_task is not None:
            self._poll_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._poll_task
            self._poll_task = None
        if self._link is not None:
            await asyncio.to_thread(self._link.stop)
            self._link = None
        self._fail_pending(PortClosed("the PA driver was closed"))
        self._set_state(ConnectionState.DISCONNECTED, "driver closed", report=False)

    async def wait_state(self, state: ConnectionState, within_s: float) -> None:
        """Wait until the connection reaches ``state`` (TimeoutError otherwise)."""
        async with asyncio.timeout(within_s):
            while self.state is not state:
                self._state_changed.clear()
                await self._state_changed.wait()

    # ---- requests --------------------------------------------------------------------------------------------

    async def request(self, command: HostCommand) -> Ack:
        """Send one command and return the controller's ACK (see the module docstring for errors)."""
        async with self._lock:
            return await self._exchange(command)

    async def _exchange(self, command: HostCommand) -> Ack:
        link = self._link
        if link is None or not link.is_open:
            reason = link.last_reason if link else "the driver is not started"
            raise PortClosed(f"controller unreachable: serial port {self.where} is not open ({reason})")
        self._seq = (self._seq + 1) & 0xFF
        frame = command_frame(command, self.address, self._seq)
        data = encode_frame(frame)
        timeout = self.answer_timeout_s + wire_time_s(len(data) + MAX_FRAME, self.baudrate)
        last = "no answer"
        loop = asyncio.get_running_loop()
        for attempt in range(1 + self.retries):
            if attempt:
                self.counters["retries"] += 1
            future: asyncio.Future[Reply] = loop.create_future()
            self._pending = (frame.header, future)
            try:
                link.write(data)
                self.counters["sent"] += 1
                reply = await asyncio.wait_for(future, timeout)
            except TimeoutError:
                last = f"no answer within {timeout * 1000:.0f} ms"
                continue
            finally:
                self._pending = None
            self._set_state(ConnectionState.CONNECTED, "the controller answers")
            if isinstance(reply, Nak):
                self.counters["naks"] += 1
                if reply.code is NakCode.CHECKSUM:
                    last = "the controller reported a checksum error"
                    continue
                raise ControllerRefused(reply, reply.sentence())
            return reply
        sentence = f"controller unreachable: no valid answer to {command.CODE} after {1 + self.retries} tries ({last})"
        self._set_state(ConnectionState.UNREACHABLE, sentence)
        raise ControllerUnreachable(sentence)

    async def poll(self) -> PollStatus:
        """``PG``: mode, active calls and open faults."""
        status = read_poll(await self.request(Poll()))
        self.last_poll = status
        return status

    async def start_call(self, command: StartCall) -> int:
        """``CS``: start a call; returns its call id."""
        return read_call_id(await self.request(command))

    async def stop_call(self, call_id: int) -> None:
        """``CX``: stop the call after the current message."""
        await self.request(StopCall(call_id))

    async def abort_call(self, call_id: int) -> None:
        """``CA``: abort the call now."""
        await self.request(AbortCall(call_id))

    async def zone_status(self) -> dict[int, ZoneEntry]:
        """``ZS``, every page: zone number → idle / fault / busy (call id, priority)."""
        zones: dict[int, ZoneEntry] = {}
        first = 1
        while True:
            page = read_zone_page(await self.request(ZoneStatusQuery(first)))
            for offset, entry in enumerate(page.entries):
                zones[page.first + offset] = entry
            first = page.first + len(page.entries)
            if not page.entries or first > page.total:
                return zones

    async def fault_list(self) -> list[FaultRecord]:
        """``FL``, every page: the controller's fault table."""
        records: list[FaultRecord] = []
        while True:
            page = read_fault_page(await self.request(FaultListQuery(len(records) + 1)))
            records.extend(page.records)
            if not page.records or len(records) >= page.total:
                return records

    async def acknowledge_faults(self) -> None:
        """``FK``."""
        await self.request(FaultAcknowledge())

    async def reset_faults(self) -> None:
        """``FR`` (refused while a fault is unresolved)."""
        await self.request(FaultReset())

    async def emergency_acknowledge(self) -> None:
        """``EK``."""
        await self.request(EmergencyAcknowledge())

    async def emergency_reset(self) -> None:
        """``ER`` (refused while an emergency call holds zones)."""
        await self.request(EmergencyReset())

    async def device_info(self) -> DeviceInfo:
        """``DT``."""
        return read_device_info(await self.request(DeviceType()))

    async def set_time(self, command: SetTime) -> None:
        """``TM``."""
        await self.request(command)

    # ---- loop-side handlers of the reader thread -------------------------------------------------------------

    def _on_items(self, items: list[Item]) -> None:
        for item in items:
            if isinstance(item, BareNak):
                if self._pending and not self._pending[1].done():
                    self._pending[1].set_result(Nak(NakCode.CHECKSUM))
            elif isinstance(item, PaProtocolError):
                self.counters["protocol_errors"] += 1
                log.debug("PA controller %s sent malformed bytes: %s", self.where, item)
            elif item.command == EVENT_COMMAND and item.status is Status.NONE:
                self._on_event_frame(item)
            else:
                self._on_reply_frame(item)

    def _on_reply_frame(self, frame: Frame) -> None:
        if self._pending is None or self._pending[0] != frame.header or self._pending[1].done():
            log.debug("PA controller %s: reply %s matches no request", self.where, frame.header)
            return
        try:
            reply = parse_reply(frame)
        except BadField as err:
            self.counters["protocol_errors"] += 1
            log.debug("PA controller %s: bad reply: %s", self.where, err)
            return
        self._pending[1].set_result(reply)

    def _on_event_frame(self, frame: Frame) -> None:
        if self._link is None:
            return
        try:
            self._link.write(encode_frame(ack_frame(frame)))
        except PortClosed as err:
            log.debug("cannot ACK event: %s", err)
            return
        key = (frame.seq, frame.fields)
        if key in self._recent_events:
            self.counters["duplicates"] += 1
            return
        self._recent_events.append(key)
        try:
            event = parse_event(frame)
        except BadField as err:
            self.counters["protocol_errors"] += 1
            log.warning("PA controller %s sent an event that cannot be read: %s", self.where, err.sentence)
            return
        self.counters["events"] += 1
        if self.on_event is not None:
            self.on_event(event)

    def _on_open(self) -> None:
        log.debug("PA controller port %s open", self.where)
        self._kick.set()

    def _on_lost(self, reason: str) -> None:
        self._fail_pending(PortClosed(f"controller unreachable: {reason}"))
        self._set_state(ConnectionState.DISCONNECTED, f"controller unreachable: {reason}")

    def _fail_pending(self, err: Exception) -> None:
        if self._pending and not self._pending[1].done():
            self._pending[1].set_exception(err)

    def _set_state(self, state: ConnectionState, reason: str, report: bool = True) -> None:
        if state is self.state and self._reported is state:
            return
        self.state, self.reason = state, reason
        self._state_changed.set()
        if not report or self._reported is state:
            return
        self._reported = state
        if state is ConnectionState.CONNECTED:
            log.info("PA controller %s connected", self.where)
        else:
            log.warning("PA controller %s %s: %s", self.where, state.value, reason)
        if self.on_connection is not None:
            self.on_connection(state, reason)

    async def _poll_loop(self) -> None:
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), self.poll_interval_s)
            self._kick.clear()
            if self._link is None or not self._link.is_open:
                continue
            try:
                await self.poll()
            except (ControllerUnreachable, PortClosed, ControllerRefused, BadField) as err:
                log.debug("poll of %s failed: %s", self.where, err)
