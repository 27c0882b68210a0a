"""A simulated MJPEG-over-HTTP camera: ``/video.mjpg`` (multipart/x-mixed-replace) and ``/snapshot.jpg``.

Basic or Digest authentication; the transport faults of :mod:`simulators.cameras.faults`.
Run alone: ``python -m simulators camera-mjpeg --port 8081 --user admin --password secret``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random

from drivers.camera.httpauth import Credentials
from simulators.cameras.auth import Authenticator
from simulators.cameras.faults import Fault, FaultSwitch
from simulators.cameras.frames import FrameSource, TestPattern
from simulators.cameras.http import HttpRequest, HttpResponse, HttpServer
from simulators.cameras.jpeg_stream import JpegStream
from simulators.cameras.loop import LoopThread
from simulators.cameras.rtsp_server import add_common_arguments, credentials_from, serve_until_signalled

log = logging.getLogger(__name__)
BOUNDARY = "cityedgeframe"


class MjpegCamera:
    """An HTTP camera serving an MJPEG stream and snapshots of ``source``."""

    def __init__(
        self,
        source: FrameSource,
        *,
        fps: float = 10.0,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Credentials | None = None,
        auth_mode: str = "basic",
        faults: FaultSwitch | None = None,
        quality: int = 80,
    ) -> None:
        self.faults = faults or FaultSwitch()
        self.auth = Authenticator(credentials, mode=auth_mode, realm="cityedge-mjpeg", faults=self.faults)
        self.stream = JpegStream(source, fps=fps, quality=quality)
        self._loop = LoopThread("mjpeg-camera")
        self.http = HttpServer(self._handle, loop=self._loop, host=host, port=port, faults=self.faults)
        self._rng = random.Random()
        self.faults.add_listener(self._on_fault)

    @property
    def host(self) -> str:
        """Listening address."""
        return self.http.host

    @property
    def port(self) -> int:
        """Listening port."""
        return self.http.port

    def url(self, path: str = "/video.mjpg") -> str:
        """``http://host:port/path`` without credentials."""
        return f"http://{self.host}:{self.port}{path}"

    def start(self) -> MjpegCamera:
        """Start encoding on demand and listening."""
        self.stream.start()
        self.http.start()
        log.info("mjpeg camera listening on %s", self.url())
        return self

    def stop(self) -> None:
        """Stop listening and encoding."""
        self.http.stop()
        self._loop.stop()
        self.stream.stop()

    def _on_fault(self, fault: Fault, active: bool) -> None:
        if fault is Fault.WRONG_PASSWORD and active and self.auth.mode != "none":
            self.http.stop()
            self.http.start()

    async def _handle(self, request: HttpRequest, writer: asyncio.StreamWriter) -> HttpResponse | None:
        if request.method not in ("GET", "HEAD"):
            return HttpResponse(405, b"only GET")
        if not self.auth.check(request.headers.get("authorization"), request.method):
            return HttpResponse(401, b"login required", headers={"WWW-Authenticate": self.auth.challenge()})
        if request.path == "/snapshot.jpg":
            jpeg = await asyncio.to_thread(self.stream.snapshot)
            return HttpResponse(200, jpeg, "image/jpeg")
        if request.path in ("/video.mjpg", "/mjpeg", "/video"):
            await self._stream(writer)
            return None
        return HttpResponse(404, b"try /video.mjpg or /snapshot.jpg")

    async def _stream(self, writer: asyncio.StreamWriter) -> None:
        head = (
            "HTTP/1.1 200 OK\r\nServer: cityedge-camera-sim\r\nCache-Control: no-cache\r\nConnection: close\r\n"
            f"Content-Type: multipart/x-mixed-replace;boundary={BOUNDARY}\r\n\r\n"
        )
        writer.write(head.encode())
        self.stream.acquire()
        try:
            last = -1
            while True:
                last, jpeg = await asyncio.to_thread(self.stream.wait_newer, last, 1.0)
                if not jpeg or Fault.STALL in self.faults:
                    await asyncio.sleep(1.0 / self.stream.fps)
                    continue
                if Fault.GARBAGE in self.faults and self._rng.random() < 0.5:
                    jpeg = self._corrupt(jpeg)
                part = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
                writer.write(part.encode() + jpeg + b"\r\n")
                await writer.drain()
        finally:
            self.stream.release()

    def _corrupt(self, jpeg: bytes) -> bytes:
        data = bytearray(jpeg)
        start = len(data) // 3 + self._rng.randrange(max(1, len(data) // 3))
        end = min(len(data) - 2, start + len(data) // 4)
        data[start:end] = self._rng.randbytes(max(0, end - start))
        return bytes(data)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``python -m simulators camera-mjpeg`` options."""
    add_common_arguments(parser, default_port=8081)
    parser.set_defaults(fps=10.0, width=640, height=360)
    parser.add_argument("--auth", choices=["basic", "digest"], default="basic")


def run(args: argparse.Namespace) -> int:
    """Run an MJPEG camera until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    faults = FaultSwitch()
    camera = MjpegCamera(
        TestPattern(args.width, args.height, args.fps, args.label),
        fps=args.fps,
        host=args.host,
        port=args.port,
        credentials=credentials_from(args),
        auth_mode=args.auth,
        faults=faults,
    )
    with contextlib.suppress(KeyboardInterrupt):
        return serve_until_signalled(camera.start, camera.stop, faults, args)
    return 0
