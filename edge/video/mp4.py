"""Writing browser-playable MP4: H.264 (PyAV's bundled libx264), yuv420p, moov atom first (faststart).

Frames carry their own timestamps, so a clip with a dropped frame keeps real time (variable frame rate).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

from edge.video.errors import RecordingError

TIME_BASE = Fraction(1, 1000)


@dataclass(frozen=True)
class Mp4Result:
    """What was written."""

    frames: int
    width: int
    height: int
    duration_s: float
    bytes: int


def _even(n: int) -> int:
    return max(2, n - n % 2)


def write_mp4(
    path: Path, frames: Sequence[tuple[float, bytes]], *, crf: int = 23, preset: str = "veryfast"
) -> Mp4Result:
    """Encode JPEG ``frames`` (``(ts, jpeg)`` in time order) into ``path`` atomically (temp file, then rename).

    Raises :class:`RecordingError` naming the problem when nothing can be written.
    """
    if not frames:
        raise RecordingError(f"no frames to write to {path.name}")
    first = _decode(frames[0][1])
    height, width = _even(first.shape[0]), _even(first.shape[1])
    tmp = path.with_name(f".{path.name}.tmp")
    start = frames[0][0]
    last_pts = -1
    written = 0
    try:
        with av.open(str(tmp), "w", format="mp4", options={"movflags": "+faststart"}) as container:
            stream = container.add_stream("libx264", rate=_rate(frames))
            stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
            stream.time_base = TIME_BASE
            stream.codec_context.time_base = TIME_BASE
            stream.options = {"preset": preset, "crf": str(crf)}
            for ts, jpeg in frames:
                pts = round((ts - start) / TIME_BASE)
                if pts <= last_pts:
                    continue  # two frames in the same millisecond: keep the first
                image = _decode(jpeg)
                if image.shape[:2] != (height, width):
                    image = cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)
                frame = av.VideoFrame.from_ndarray(image, format="bgr24")
                frame.pts, frame.time_base = pts, TIME_BASE
                for packet in stream.encode(frame):
                    container.mux(packet)
                last_pts = pts
                written += 1
            for packet in stream.encode():
                container.mux(packet)
        os.replace(tmp, path)
    except (av.FFmpegError, OSError, ValueError) as err:
        tmp.unlink(missing_ok=True)
        raise RecordingError(f"cannot write {path.name}: {err}") from err
    step = (frames[-1][0] - start) / max(len(frames) - 1, 1)
    return Mp4Result(written, width, height, last_pts / 1000 + step, path.stat().st_size)


def _rate(frames: Sequence[tuple[float, bytes]]) -> Fraction:
    span = frames[-1][0] - frames[0][0]
    fps = (len(frames) - 1) / span if span > 0 else 10.0
    return Fraction(max(1, round(fps)), 1)


def _decode(jpeg: bytes) -> np.ndarray[Any, Any]:
    image = cv2.imdecode(np.frombuffer(jpeg, np.uint8), cv2.IMREAD_COLOR)
    if image is None:
        raise RecordingError("a buffered frame is not a decodable JPEG")
    return image
