"""Why a source failed to open: OpenCV only says "not opened", so ask libavformat (through PyAV) directly.

PyAV raises typed errors (401 → ``HTTPUnauthorizedError``, ``ConnectionRefusedError``, ...) for RTSP and HTTP
alike; they are turned into the camera error hierarchy. Costs one more connection attempt, only after a failure.
"""

from __future__ import annotations

import time

import av

from drivers.camera.errors import CameraAuthFailed, CameraError, CameraTimeout, CameraUnreachable, StreamError
from drivers.camera.urls import SourceUrl


def demuxer_options(source: SourceUrl) -> dict[str, str]:
    """libavformat options for a source: RTSP always over TCP (interleaved), never UDP."""
    if source.scheme in ("rtsp", "rtsps"):
        return {"rtsp_transport": "tcp"}
    return {}


def classify_av_error(err: Exception, source: SourceUrl, elapsed_s: float, timeout_s: float) -> CameraError:
    """The camera error for a PyAV/FFmpeg open failure (messages redacted by the error classes)."""
    where = str(source)
    reason = getattr(err, "strerror", None) or str(err)
    if isinstance(err, av.error.HTTPUnauthorizedError | av.error.HTTPForbiddenError | PermissionError):
        return CameraAuthFailed(f"{where}: the camera refused the credentials ({reason})")
    if isinstance(err, av.error.HTTPNotFoundError | FileNotFoundError):
        return StreamError(f"{where}: no such stream ({reason})")
    if isinstance(err, TimeoutError) or elapsed_s >= timeout_s * 0.9:
        return CameraTimeout(f"{where}: no answer within {timeout_s:g} s")
    if isinstance(err, OSError):  # PyAV maps ECONNREFUSED, EHOSTUNREACH, ... onto the builtin OSError family
        return CameraUnreachable(f"{where}: {reason}")
    return StreamError(f"{where}: cannot open the stream ({reason})")


def diagnose_open(source: SourceUrl, timeout_s: float = 5.0) -> CameraError | None:
    """Open ``source`` with libavformat and return the error it meets, or None when it opens fine."""
    started = time.monotonic()
    try:
        container = av.open(source.for_decoder(), options=demuxer_options(source), timeout=(timeout_s, timeout_s))
    except Exception as err:  # PyAV raises FFmpegError subclasses and builtin OSErrors
        return classify_av_error(err, source, time.monotonic() - started, timeout_s)
    try:
        if not container.streams.video:
            return StreamError(f"{source}: the source has no video stream")
    finally:
        container.close()
    return None
