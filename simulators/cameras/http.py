"""A small asyncio HTTP/1.1 server for the simulated cameras (MJPEG streams, snapshots, ONVIF SOAP).

Keep-alive, Content-Length bodies, and handlers that may take over the connection to stream (MJPEG). The
``disappear`` fault closes the listener and every connection; clearing it listens again on the same port.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

from simulators.cameras.faults import Fault, FaultSwitch
from simulators.cameras.loop import LoopThread

log = logging.getLogger(__name__)

MAX_HEADER = 32 * 1024
MAX_BODY = 1024 * 1024
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    413: "Payload Too Large",
    500: "Internal Server Error",
}


@dataclass
class HttpRequest:
    """A parsed request; header names lower-case."""

    method: str
    target: str
    headers: dict[str, str]
    body: bytes = b""
    peer: tuple[str, int] | None = None
    path: str = field(init=False)
    query: dict[str, list[str]] = field(init=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.target)
        self.path = parts.path or "/"
        self.query = parse_qs(parts.query)


@dataclass
class HttpResponse:
    """A complete response (streaming handlers write to the connection themselves and return None)."""

    status: int = 200
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"
    headers: dict[str, str] = field(default_factory=dict)

    def encode(self, keep_alive: bool) -> bytes:
        """Status line, headers and body."""
        lines = [f"HTTP/1.1 {self.status} {REASONS.get(self.status, 'Unknown')}", "Server: cityedge-camera-sim"]
        lines += [f"Content-Type: {self.content_type}", f"Content-Length: {len(self.body)}"]
        lines += [f"{k}: {v}" for k, v in self.headers.items()]
        lines.append(f"Connection: {'keep-alive' if keep_alive else 'close'}")
        return ("\r\n".join(lines) + "\r\n\r\n").encode() + self.body


Handler = Callable[[HttpRequest, asyncio.StreamWriter], Awaitable[HttpResponse | None]]


class BadRequest(Exception):
    """The client sent something that is not HTTP/1.x."""


async def read_request(reader: asyncio.StreamReader) -> HttpRequest | None:
    """The next request on the connection, or None at EOF."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as err:
        if err.partial.strip():
            raise BadRequest("connection closed inside a request header") from err
        return None
    except asyncio.LimitOverrunError as err:
        raise BadRequest(f"request header larger than {MAX_HEADER} bytes") from err
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise BadRequest(f"bad request line {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, sep, value = line.partition(":")
            if not sep:
                raise BadRequest(f"bad header {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
    length = headers.get("content-length", "0")
    if not length.isdigit():
        raise BadRequest(f"bad Content-Length {length[:20]!r}")
    if int(length) > MAX_BODY:
        raise BadRequest(f"body of {length} bytes is larger than {MAX_BODY}")
    body = await reader.readexactly(int(length)) if int(length) else b""
    return HttpRequest(parts[0].upper(), parts[1], headers, body)


class HttpServer:
    """Serves ``handler`` on ``host:port`` from a :class:`LoopThread`; reacts to the ``disappear`` fault."""

    def __init__(self, handler: Handler, *, loop: LoopThread, host: str, port: int, faults: FaultSwitch) -> None:
        self.handler, self.loop, self.host, self.port, self.faults = handler, loop, host, port, faults
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._running = threading.Event()
        faults.add_listener(self._on_fault)

    def start(self) -> None:
        """Listen (the port is known when this returns)."""
        self.loop.start()
        self.loop.call(self._listen())
        self._running.set()

    def stop(self) -> None:
        """Close the listener and every connection."""
        if self._running.is_set():
            self._running.clear()
            self.loop.call(self._shutdown())

    async def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._serve, sock=sock, limit=MAX_HEADER)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _on_fault(self, fault: Fault, active: bool) -> None:
        if fault is Fault.DISAPPEAR and self._running.is_set():
            self.loop.call(self._shutdown() if active else self._listen())

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self._writers.add(writer)
        peer = writer.get_extra_info("peername")
        try:
            while True:
                try:
                    request = await read_request(reader)
                except BadRequest as err:
                    writer.write(HttpResponse(400, str(err).encode()).encode(keep_alive=False))
                    await writer.drain()
                    return
                if request is None:
                    return
                request.peer = peer
                response = await self.handler(request, writer)
                if response is None:  # the handler streamed and is done with the connection
                    return
                keep = request.headers.get("connection", "").lower() != "close"
                writer.write(response.encode(keep))
                await writer.drain()
                if not keep:
                    return
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        except asyncio.CancelledError:  # stop() or the disappear fault; ends the connection task quietly
            return
        finally:
            self._writers.discard(writer)
            self._tasks.discard(task)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()
