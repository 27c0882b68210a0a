"""What a source offers, before an integrator commits it: codec, resolution, frame rate (declared by the stream
and measured over a short read), and for ONVIF devices the profiles with their stream URIs.

Streams are examined with libavformat through PyAV: the same probing ffprobe does, in-process, so the
credentials never appear on a command line (``ps`` shows every process's arguments to every local user).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

import av

from drivers.camera.diagnose import classify_av_error, demuxer_options
from drivers.camera.errors import CameraError, StreamError
from drivers.camera.onvif.client import OnvifClient
from drivers.camera.onvif.models import DeviceInformation
from drivers.camera.redact import redact
from drivers.camera.urls import SourceUrl, parse_source


@dataclass(frozen=True)
class StreamReport:
    """One video stream: what the container declares and what a short read measured."""

    url: str
    """The stream's URL, credentials removed."""
    codec: str
    width: int
    height: int
    fps: float | None
    """Frame rate the stream declares (None when it declares none, as MJPEG over HTTP)."""
    measured_fps: float | None = None
    """Frames per second counted over the measuring window (None for files or when not measured)."""
    profile: str | None = None
    """ONVIF profile token this stream belongs to."""
    profile_name: str | None = None
    snapshot_url: str | None = None
    error: str | None = None
    """Why the stream could not be read (the other fields are then empty)."""


@dataclass(frozen=True)
class ProbeReport:
    """The result of :func:`probe`."""

    source: str
    kind: str
    streams: list[StreamReport] = field(default_factory=list)
    device: DeviceInformation | None = None
    auth: str | None = None
    """ONVIF only: how the device authenticated us (wsse, digest, none)."""


def _rate(value: object) -> float | None:
    try:
        rate = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return rate if 0 < rate < 1000 else None


def probe_stream(source: SourceUrl, timeout_s: float = 10.0, measure_s: float = 2.0) -> StreamReport:
    """Open one stream with libavformat, read its video parameters, and count frames for ``measure_s`` seconds
    (network sources only). Blocking; raises :class:`CameraError` subclasses."""
    started = time.monotonic()
    try:
        container = av.open(source.for_decoder(), options=demuxer_options(source), timeout=(timeout_s, timeout_s))
    except Exception as err:
        raise classify_av_error(err, source, time.monotonic() - started, timeout_s) from err
    try:
        if not container.streams.video:
            raise StreamError(f"{source}: no video stream")
        stream = container.streams.video[0]
        ctx = stream.codec_context
        declared = None if source.scheme in ("http", "https") else _rate(stream.average_rate or stream.guessed_rate)
        measured = None
        if not source.is_file and measure_s > 0:
            measured = _measure(container, stream, measure_s, use_pts=source.scheme not in ("http", "https"))
        return StreamReport(
            url=redact(source.address),
            codec=ctx.name,
            width=ctx.width,
            height=ctx.height,
            fps=declared,
            measured_fps=measured,
        )
    except av.error.FFmpegError as err:
        raise StreamError(f"{source}: reading the stream failed ({err.strerror})") from err
    finally:
        container.close()


def _measure(
    container: av.container.InputContainer, stream: av.video.stream.VideoStream, seconds: float, use_pts: bool
) -> float | None:
    """Frames per second over about ``seconds`` of stream: from presentation times when the stream has them
    (packets read ahead while probing do not inflate it), else from arrival times (MJPEG over HTTP, whose
    demuxer invents 25 fps timestamps)."""
    started = time.monotonic()
    stamps: set[int] = set()
    arrivals: list[float] = []
    for packet in container.demux(stream):
        if packet.size == 0:
            continue
        now = time.monotonic()
        arrivals.append(now)
        if use_pts and packet.pts is not None:
            stamps.add(packet.pts)
        if now - started >= seconds:
            break
    if len(stamps) >= 3 and stream.time_base:
        span = (max(stamps) - min(stamps)) * float(stream.time_base)
        return round((len(stamps) - 1) / span, 2) if span > 0 else None
    if len(arrivals) >= 3 and arrivals[-1] > arrivals[0]:
        return round((len(arrivals) - 1) / (arrivals[-1] - arrivals[0]), 2)
    return None


async def probe(
    url: str,
    username: str | None = None,
    password: str | None = None,
    *,
    timeout_s: float = 10.0,
    measure_s: float = 2.0,
) -> ProbeReport:
    """Describe the source at ``url`` (rtsp, http(s) MJPEG, file or onvif://host:port)."""
    source = parse_source(url, username=username, password=password)
    if source.scheme != "onvif":
        report = await asyncio.to_thread(probe_stream, source, timeout_s, measure_s)
        return ProbeReport(source=str(source), kind=source.scheme, streams=[report])
    async with OnvifClient(url, username, password, timeout_s=timeout_s) as client:
        described = await client.describe()
    streams = []
    for item in described.streams:
        stream_source = source.with_address(item.stream_uri)
        try:
            report = await asyncio.to_thread(probe_stream, stream_source, timeout_s, measure_s)
        except CameraError as err:
            report = StreamReport(url=redact(item.stream_uri), codec="", width=0, height=0, fps=None, error=str(err))
        streams.append(
            StreamReport(
                **{
                    **report.__dict__,
                    "profile": item.profile.token,
                    "profile_name": item.profile.name,
                    "snapshot_url": redact(item.snapshot_uri) if item.snapshot_uri else None,
                }
            )
        )
    return ProbeReport(
        source=str(source), kind="onvif", streams=streams, device=described.information, auth=described.auth
    )
