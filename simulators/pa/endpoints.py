"""Where the simulated controller's serial port appears: a pty (behind a stable symlink) or a TCP listener.

Both can be unplugged and plugged back: the pty is closed (the host's reads fail) and a new one is made behind the
same symlink, as a USB adapter reappears under its udev by-id name; the TCP listener drops its client and stops
accepting, then listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import tty
from collections.abc import Callable
from pathlib import Path

log = logging.getLogger(__name__)


class PtyEndpoint:
    """A pseudo-terminal; ``url`` is a symlink to the current slave (``/dev/pts/N``)."""

    def __init__(self, loop: asyncio.AbstractEventLoop, link: Path, on_bytes: Callable[[bytes], None]) -> None:
        self.loop = loop
        self.link = link
        self.on_bytes = on_bytes
        self.device = ""
        self._master: int | None = None
        self._slave: int | None = None

    @property
    def url(self) -> str:
        return str(self.link)

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def plug(self) -> None:
        if self._master is not None:
            return
        master, slave = os.openpty()
        tty.setraw(slave)
        os.set_blocking(master, False)
        self._master, self._slave = master, slave  # holding the slave open keeps the master readable
        self.device = os.ttyname(slave)
        tmp = self.link.with_name(self.link.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(self.device)
        tmp.replace(self.link)
        self.loop.add_reader(master, self._readable)

    def unplug(self) -> None:
        if self._master is None:
            return
        self.loop.remove_reader(self._master)
        with contextlib.suppress(FileNotFoundError):
            self.link.unlink()
        for fd in (self._master, self._slave):
            if fd is not None:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self._master = self._slave = None

    def write(self, data: bytes) -> None:
        if self._master is None:
            return
        try:
            os.write(self._master, data)
        except BlockingIOError:
            log.warning("pty buffer full: %d bytes dropped", len(data))
        except OSError as err:
            log.debug("pty write failed: %s", err)

    def _readable(self) -> None:
        if self._master is None:
            return
        try:
            data = os.read(self._master, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError as err:
            log.debug("pty read failed: %s", err)
            return
        if data:
            self.on_bytes(data)

    async def close(self) -> None:
        self.unplug()


class TcpEndpoint:
    """A TCP listener for ``socket://host:port``; one host at a time (a newer connection replaces the older)."""

    def __init__(self, host: str, port: int, on_bytes: Callable[[bytes], None], on_connect: Callable[[], None]) -> None:
        self.host = host
        self.port = port
        self.on_bytes = on_bytes
        self.on_connect = on_connect
        self._server: asyncio.Server | None = None
        self._writer: asyncio.StreamWriter | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def url(self) -> str:
        return f"socket://{self.host}:{self.port}"

    @property
    def plugged(self) -> bool:
        return self._server is not None

    async def plug(self) -> None:
        if self._server is not None:
            return
        self._server = await asyncio.start_server(self._client, self.host, self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    async def unplug(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.close()
        self._drop_client()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if server is not None:
            await server.wait_closed()

    def write(self, data: bytes) -> None:
        if self._writer is not None and not self._writer.is_closing():
            self._writer.write(data)

    def _drop_client(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._drop_client()
        self._writer = writer
        self.on_connect()
        try:
            while data := await reader.read(4096):
                self.on_bytes(data)
        except ConnectionError:
            pass
        finally:
            self._tasks.discard(task)
            if self._writer is writer:
                self._writer = None
            writer.close()

    async def close(self) -> None:
        await self.unplug()
