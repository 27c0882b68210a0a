"""One RTSP client connection: the request/response dialogue and, after PLAY, H.264 over interleaved RTP."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from drivers.camera.h264 import FU_A, NAL_IDR, NAL_TYPE_MASK, packetize_nal
from drivers.camera.rtp import INTERLEAVED_MAGIC, build_rtp, interleave, read_interleaved
from drivers.camera.rtsp import RtspRequest, RtspSyntaxError, format_response, parse_request, parse_transport
from drivers.camera.sdp import H264_PAYLOAD_TYPE, h264_session
from simulators.cameras.encoder import AccessUnit
from simulators.cameras.faults import Fault

if TYPE_CHECKING:
    from simulators.cameras.rtsp_server import RtspCamera
    from simulators.cameras.stream import H264Stream

log = logging.getLogger(__name__)

PUBLIC = "OPTIONS, DESCRIBE, SETUP, PLAY, PAUSE, TEARDOWN, GET_PARAMETER, SET_PARAMETER"
MAX_PAYLOAD = 1400
QUEUE_FRAMES = 50


def carries_slice(payload: bytes) -> bool:
    """Whether an RTP payload carries coded picture data (a slice NAL, whole or as an FU-A fragment)."""
    if len(payload) < 8:
        return False
    kind = payload[0] & NAL_TYPE_MASK
    if kind == FU_A:
        kind = payload[1] & NAL_TYPE_MASK
    return 1 <= kind <= NAL_IDR


class RtspSession:
    """Serves one TCP connection until the client leaves, TEARDOWN, or the camera drops it."""

    def __init__(self, camera: RtspCamera, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.camera = camera
        self.reader, self.writer = reader, writer
        self.session_id = secrets.token_hex(8)
        self.stream: H264Stream | None = None
        self.stream_path = ""
        self.channel = 0
        self.ssrc = random.getrandbits(32)
        self.seq = random.getrandbits(16)
        self.rtp_start = random.getrandbits(32)
        self._base_pts: int | None = None
        self._queue: asyncio.Queue[AccessUnit] = asyncio.Queue(QUEUE_FRAMES)
        self._unsubscribe: Callable[[], None] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._write_lock = asyncio.Lock()
        self._need_keyframe = True
        self._rng = random.Random()

    async def run(self) -> None:
        """Read requests (and interleaved RTCP) until EOF; always releases the subscription and socket."""
        buffer = bytearray()
        try:
            while True:
                chunk = await self.reader.read(65536)
                if not chunk:
                    return
                buffer += chunk
                while buffer:
                    if buffer[0] == INTERLEAVED_MAGIC:
                        frame = read_interleaved(buffer)
                        if frame is None:
                            break
                        del buffer[: frame[2]]  # RTCP receiver reports: nothing to do with them
                        continue
                    parsed = parse_request(buffer)
                    if parsed is None:
                        break
                    request, used = parsed
                    del buffer[:used]
                    if not await self._handle(request):
                        return
        except RtspSyntaxError as err:
            log.info("rtsp camera: closing a connection that sent a malformed request: %s", err)
        except (ConnectionError, asyncio.IncompleteReadError):
            return
        finally:
            await self.close()

    async def close(self) -> None:
        """Stop streaming and close the socket."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._sender is not None:
            self._sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                await self._sender
            self._sender = None
        self.writer.close()
        with contextlib.suppress(ConnectionError, OSError):
            await self.writer.wait_closed()

    async def _send(self, data: bytes) -> None:
        async with self._write_lock:
            self.writer.write(data)
            await self.writer.drain()

    async def _reply(self, request: RtspRequest, status: int, headers: dict[str, str] | None = None, body: bytes = b""):
        all_headers = {"Server": "cityedge-rtsp-sim", **(headers or {})}
        await self._send(format_response(status, request.cseq, all_headers, body))

    async def _handle(self, request: RtspRequest) -> bool:
        method = request.method.upper()
        if method == "OPTIONS":
            await self._reply(request, 200, {"Public": PUBLIC})
            return True
        auth = self.camera.auth
        if not auth.check(request.headers.get("authorization"), method):
            await self._reply(request, 401, {"WWW-Authenticate": auth.challenge()})
            return True
        handler = {
            "DESCRIBE": self._describe,
            "SETUP": self._setup,
            "PLAY": self._play,
            "PAUSE": self._pause,
            "GET_PARAMETER": self._keepalive,
            "SET_PARAMETER": self._keepalive,
        }.get(method)
        if method == "TEARDOWN":
            await self._reply(request, 200, {"Session": self.session_id})
            return False
        if handler is None:
            await self._reply(request, 501)
            return True
        await handler(request)
        return True

    def _find_stream(self, url: str) -> tuple[str, H264Stream] | None:
        path = "/" + url.split("://", 1)[-1].split("/", 1)[-1].split("?", 1)[0]
        for name, stream in sorted(self.camera.streams.items(), key=lambda kv: -len(kv[0])):
            if path == name or path.startswith(name.rstrip("/") + "/"):
                return name, stream
        return None

    async def _describe(self, request: RtspRequest) -> None:
        found = self._find_stream(request.url)
        if found is None:
            await self._reply(request, 404)
            return
        name, stream = found
        base = f"{self.camera.url(name)}/"
        sdp = h264_session(
            stream.parameter_sets,
            session_id=self.ssrc,
            address=self.camera.host,
            name=f"cityedge {stream.name}",
            width=stream.width,
            height=stream.height,
            fps=stream.fps,
        )
        await self._reply(request, 200, {"Content-Type": "application/sdp", "Content-Base": base}, sdp)

    async def _setup(self, request: RtspRequest) -> None:
        found = self._find_stream(request.url)
        if found is None:
            await self._reply(request, 404)
            return
        transport = parse_transport(request.headers.get("transport", ""))
        if "RTP/AVP/TCP" not in transport:
            await self._reply(request, 461)  # UDP is not offered: clients fall back to TCP, as with many cameras
            return
        first, _, _ = transport.get("interleaved", "0-1").partition("-")
        self.channel = int(first) if first.isdigit() else 0
        self.stream_path, self.stream = found
        value = f"RTP/AVP/TCP;unicast;interleaved={self.channel}-{self.channel + 1};ssrc={self.ssrc:08X}"
        await self._reply(request, 200, {"Transport": value, "Session": f"{self.session_id};timeout=60"})

    async def _play(self, request: RtspRequest) -> None:
        if self.stream is None:
            await self._reply(request, 455)
            return
        track = f"{self.camera.url(self.stream_path)}/trackID=0"
        headers = {
            "Session": self.session_id,
            "Range": "npt=0.000-",
            "RTP-Info": f"url={track};seq={self.seq};rtptime={self.rtp_start}",
        }
        await self._reply(request, 200, headers)
        if self._unsubscribe is None:
            loop = asyncio.get_running_loop()
            self._sender = loop.create_task(self._send_media())
            self._unsubscribe = self.stream.subscribe(lambda au: loop.call_soon_threadsafe(self._offer, au))

    async def _pause(self, request: RtspRequest) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        await self._reply(request, 200, {"Session": self.session_id})

    async def _keepalive(self, request: RtspRequest) -> None:
        await self._reply(request, 200, {"Session": self.session_id})

    def _offer(self, unit: AccessUnit) -> None:
        try:
            self._queue.put_nowait(unit)
        except asyncio.QueueFull:  # the client reads too slowly: drop, and restart at the next keyframe
            self._need_keyframe = True
            if self.stream is not None:
                self.stream.request_keyframe()

    async def _send_media(self) -> None:
        faults = self.camera.faults
        while True:
            unit = await self._queue.get()
            if Fault.STALL in faults:
                self._need_keyframe = True
                continue
            if self._need_keyframe:
                if not unit.keyframe:
                    continue
                self._need_keyframe = False
            if self._base_pts is None:
                self._base_pts = unit.pts
            timestamp = self.rtp_start + unit.pts - self._base_pts
            await self._send(self._packets(unit, timestamp, garbage=Fault.GARBAGE in faults))

    def _packets(self, unit: AccessUnit, timestamp: int, garbage: bool) -> bytes:
        payloads = [p for nal in unit.nals for p in packetize_nal(nal, MAX_PAYLOAD)]
        out = bytearray()
        for i, payload in enumerate(payloads):
            if garbage and carries_slice(payload) and self._rng.random() < self.camera.garbage_ratio:
                payload = self._corrupt(payload)
            packet = build_rtp(
                payload,
                sequence=self.seq,
                timestamp=timestamp,
                ssrc=self.ssrc,
                marker=i == len(payloads) - 1,
                payload_type=H264_PAYLOAD_TYPE,
            )
            self.seq = (self.seq + 1) & 0xFFFF
            out += interleave(self.channel, packet)
        return bytes(out)

    def _corrupt(self, payload: bytes) -> bytes:
        """Random bytes over part of the payload, keeping the NAL/FU headers so the packet still parses.

        Only picture data is damaged, as bit errors on a link would mostly hit (parameter sets are a few dozen
        bytes per GOP; damaging them would blank the stream until the next IDR, which is a stall, not garbage).
        """
        data = bytearray(payload)
        start = 2 + self._rng.randrange(max(1, len(data) - 2))
        end = min(len(data), start + max(4, len(data) // 3))
        data[start:end] = self._rng.randbytes(end - start)
        return bytes(data)
