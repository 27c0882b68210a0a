"""A simulated RTSP camera: a real RTSP/1.0 server streaming H.264 over RTP interleaved on TCP.

OPTIONS, DESCRIBE (SDP with ``sprop-parameter-sets``), SETUP (TCP interleaved only; UDP gets 461), PLAY, PAUSE,
TEARDOWN and GET_PARAMETER keep-alives; Digest (or Basic) authentication on everything but OPTIONS; RFC 6184
packetisation (single NAL unit packets and FU-A). ffprobe and OpenCV read it as they would a real camera.

Run alone: ``python -m simulators camera-rtsp --port 8554 --user admin --password secret``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import threading

from drivers.camera.httpauth import Credentials
from simulators.cameras.auth import Authenticator
from simulators.cameras.faults import Fault, FaultScript, FaultSwitch, parse_script
from simulators.cameras.frames import FrameSource, TestPattern, with_noise
from simulators.cameras.loop import LoopThread
from simulators.cameras.rtsp_session import RtspSession
from simulators.cameras.stream import H264Stream

log = logging.getLogger(__name__)


class RtspCamera:
    """An RTSP server with one H.264 stream per path (e.g. ``/main`` and ``/sub``)."""

    def __init__(
        self,
        streams: dict[str, H264Stream],
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        credentials: Credentials | None = None,
        auth_mode: str = "digest",
        faults: FaultSwitch | None = None,
        garbage_ratio: float = 0.3,
    ) -> None:
        self.streams = {("/" + p.strip("/")): s for p, s in streams.items()}
        self.host = host
        self.port = port
        self.faults = faults or FaultSwitch()
        self.auth = Authenticator(credentials, mode=auth_mode, realm="cityedge-rtsp", faults=self.faults)
        self.garbage_ratio = garbage_ratio
        self._loop = LoopThread("rtsp-camera")
        self._server: asyncio.Server | None = None
        self._sessions: set[RtspSession] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self.faults.add_listener(self._on_fault)
        self._running = threading.Event()

    def url(self, path: str = "") -> str:
        """``rtsp://host:port/path`` without credentials."""
        path = "/" + path.strip("/") if path else next(iter(self.streams))
        return f"rtsp://{self.host}:{self.port}{path}"

    @property
    def sessions(self) -> int:
        """Connections open now."""
        return len(self._sessions)

    def start(self) -> RtspCamera:
        """Start the streams and listen; the port is known after this returns."""
        for stream in self.streams.values():
            stream.start()
        self._loop.start()
        self._loop.call(self._listen())
        self._running.set()
        log.info("rtsp camera listening on %s", self.url())
        return self

    def stop(self) -> None:
        """Drop every session, stop listening and stop the streams."""
        if self._running.is_set():
            self._running.clear()
            self._loop.call(self._shutdown())
        self._loop.stop()
        for stream in self.streams.values():
            stream.stop()

    async def _listen(self) -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((self.host, self.port))
        self.port = sock.getsockname()[1]
        self._server = await asyncio.start_server(self._accept, sock=sock)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        session = RtspSession(self, reader, writer)
        self._sessions.add(session)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            await session.run()
        except asyncio.CancelledError:  # stop() or the disappear fault; ends the connection task quietly
            pass
        finally:
            self._sessions.discard(session)
            if task is not None:
                self._tasks.discard(task)

    async def _drop_sessions(self) -> None:
        for session in list(self._sessions):
            await session.close()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        await self._drop_sessions()

    def _on_fault(self, fault: Fault, active: bool) -> None:
        if not self._running.is_set():
            return
        if fault is Fault.DISAPPEAR:
            coro = self._shutdown() if active else self._listen()
            asyncio.run_coroutine_threadsafe(coro, self._loop.loop).result(10)
        elif fault is Fault.WRONG_PASSWORD and active:
            asyncio.run_coroutine_threadsafe(self._drop_sessions(), self._loop.loop).result(10)

    def __enter__(self) -> RtspCamera:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def test_pattern_streams(
    width: int, height: int, fps: float, label: str, noise: float = 0.0, **kwargs: object
) -> dict[str, H264Stream]:
    """``/main`` at full size and ``/sub`` at half size, both from a :class:`TestPattern` (with sensor noise
    when ``noise`` > 0, which makes the encoder spend bits as on a real camera's picture)."""
    sub_w, sub_h = max(160, width // 2 // 2 * 2), max(120, height // 2 // 2 * 2)
    main: FrameSource = TestPattern(width, height, fps, label)
    sub: FrameSource = TestPattern(sub_w, sub_h, fps, label)
    if noise > 0:
        main, sub = with_noise(main, noise), with_noise(sub, noise)
    return {
        "/main": H264Stream(main, width, height, fps, name="main", **kwargs),  # type: ignore[arg-type]
        "/sub": H264Stream(sub, sub_w, sub_h, fps, name="sub", **kwargs),  # type: ignore[arg-type]
    }


def add_common_arguments(parser: argparse.ArgumentParser, default_port: int) -> None:
    """Options every camera simulator takes."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=default_port, help="TCP port (0: any free port)")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=720)
    parser.add_argument("--fps", type=float, default=25.0)
    parser.add_argument("--label", default="cityedge camera", help="text drawn on the test pattern")
    parser.add_argument("--user", default="admin", help="username the camera accepts")
    parser.add_argument("--password", default=None, help="password (default: $CAMERA_PASSWORD, else no login)")
    faults = ", ".join(f.value for f in Fault)
    parser.add_argument("--faults", default="", help=f"fault script START:FAULT:DURATION,... (faults: {faults})")
    parser.add_argument("--repeat-faults", action="store_true", help="play the fault script in a loop")


def credentials_from(args: argparse.Namespace) -> Credentials | None:
    """The credentials given on the command line or in $CAMERA_PASSWORD (keeps it out of ``ps``)."""
    import os

    password = args.password or os.environ.get("CAMERA_PASSWORD")
    return Credentials(args.user, password) if password else None


def serve_until_signalled(start: object, stop: object, faults: FaultSwitch, args: argparse.Namespace) -> int:
    """Start, play the fault script, wait for SIGINT/SIGTERM, stop."""
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        steps = parse_script(args.faults)
    except ValueError as err:
        print(f"error: {err}")
        return 2
    start()  # type: ignore[operator]
    script = FaultScript(faults, steps, repeat=args.repeat_faults) if steps else None
    if script:
        script.start()
    try:
        done.wait()
    finally:
        if script:
            script.stop()
        stop()  # type: ignore[operator]
    return 0


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``python -m simulators camera-rtsp`` options."""
    add_common_arguments(parser, default_port=8554)
    parser.add_argument("--auth", choices=["digest", "basic"], default="digest")
    parser.add_argument("--preset", default="ultrafast", help="libx264 preset")
    parser.add_argument("--bitrate", type=int, default=None, help="bits per second (default: libx264's CRF)")
    parser.add_argument("--prerender", type=float, default=0.0, help="encode N seconds once and loop them")
    parser.add_argument("--noise", type=float, default=0.0, help="sensor noise (std. dev. in grey levels) to add")


def run(args: argparse.Namespace) -> int:
    """Run an RTSP camera until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    faults = FaultSwitch()
    streams = test_pattern_streams(
        args.width,
        args.height,
        args.fps,
        args.label,
        noise=args.noise,
        preset=args.preset,
        bitrate=args.bitrate,
        prerender_s=args.prerender or None,
    )
    camera = RtspCamera(
        streams, host=args.host, port=args.port, credentials=credentials_from(args), auth_mode=args.auth, faults=faults
    )
    with contextlib.suppress(KeyboardInterrupt):
        return serve_until_signalled(camera.start, camera.stop, faults, args)
    return 0
