"""The serial side of the PA driver: one reader thread that owns opening, reading and reopening the port.

Bytes are deframed on the reader thread and handed to the asyncio loop as items (frames, bare NAKs, protocol
errors); writes come from the loop under a lock. When the port fails (a pty closed, a TCP peer gone, a USB adapter
pulled) the thread closes it and keeps trying to reopen the same URL.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable

import serial

from drivers.errors import TransportError
from drivers.pa.deframer import Deframer, Item
from drivers.pa.errors import PortClosed
from drivers.transport import describe_url, open_serial

log = logging.getLogger(__name__)

READ_TIMEOUT_S = 0.02
WRITE_TIMEOUT_S = 1.0


class SerialLink:
    """Owns one serial URL: a reader thread, a write lock, and callbacks into the event loop.

    ``on_items(items)``, ``on_open()`` and ``on_lost(reason)`` are called on ``loop``.
    """

    def __init__(
        self,
        url: str,
        baudrate: int,
        loop: asyncio.AbstractEventLoop,
        on_items: Callable[[list[Item]], None],
        on_open: Callable[[], None],
        on_lost: Callable[[str], None],
        reopen_interval_s: float = 0.5,
        idle_flush_s: float = 0.05,
    ) -> None:
        self.url = url
        self.where = describe_url(url)
        self.baudrate = baudrate
        self._loop = loop
        self._on_items = on_items
        self._on_open = on_open
        self._on_lost = on_lost
        self._reopen_interval_s = reopen_interval_s
        self._idle_flush_s = idle_flush_s
        self._port: serial.SerialBase | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.last_reason = "not opened yet"

    @property
    def is_open(self) -> bool:
        """Whether the port is open now."""
        return self._port is not None

    def start(self) -> None:
        """Start the reader thread (it opens the port; failures are reported through ``on_lost``)."""
        self._thread = threading.Thread(target=self._run, name=f"pa-link {self.where}", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the reader thread and close the port (blocks up to a few read timeouts)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)
            self._thread = None
        self._close()

    def write(self, data: bytes) -> None:
        """Write a whole frame; :class:`PortClosed` when the port is not open or the write fails."""
        with self._lock:
            port = self._port
            if port is None:
                raise PortClosed(f"the controller's serial port {self.where} is not open ({self.last_reason})")
            try:
                port.write(data)
            except (serial.SerialException, OSError) as err:
                raise PortClosed(f"writing to the controller's serial port {self.where} failed: {err}") from err

    def _post(self, fn: Callable[..., None], *args: object) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop closed under us during shutdown
            self._stop.set()

    def _open(self) -> bool:
        try:
            port = open_serial(self.url, self.baudrate, timeout=READ_TIMEOUT_S)
            port.write_timeout = WRITE_TIMEOUT_S
        except TransportError as err:
            reason = str(err)
            if reason != self.last_reason:
                self.last_reason = reason
                self._post(self._on_lost, reason)
            return False
        with self._lock:
            self._port = port
        self.last_reason = "open"
        self._post(self._on_open)
        return True

    def _close(self) -> None:
        with self._lock:
            port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except (serial.SerialException, OSError) as err:
                log.debug("closing %s: %s", self.where, err)

    def _run(self) -> None:
        deframer = Deframer()
        last_rx = time.monotonic()
        while not self._stop.is_set():
            port = self._port
            if port is None:
                if not self._open():
                    self._stop.wait(self._reopen_interval_s)
                continue
            try:
                data = port.read(max(1, port.in_waiting))
            except (serial.SerialException, OSError, TypeError) as err:
                # TypeError: pyserial's posix port read after a concurrent close
                self._close()
                deframer = Deframer()
                self.last_reason = f"the controller's serial port {self.where} went away: {err}"
                self._post(self._on_lost, self.last_reason)
                self._stop.wait(self._reopen_interval_s)
                continue
            now = time.monotonic()
            items: list[Item] = []
            if data:
                items = deframer.feed(data)
                last_rx = now
            elif deframer.pending and now - last_rx > self._idle_flush_s:
                items = deframer.flush()
            if items:
                self._post(self._on_items, items)
