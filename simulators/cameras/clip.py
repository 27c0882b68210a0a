"""Writing a test-pattern clip (H.264 MP4 with PyAV's libx264) for file-source cameras."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av

from simulators.cameras.frames import FrameSource


def write_clip(path: Path, source: FrameSource, width: int, height: int, fps: int, seconds: float) -> Path:
    """Encode ``seconds`` of ``source`` to ``path`` (written to a temporary name, then renamed into place, so a
    reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.part")
    with av.open(str(tmp), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.time_base = Fraction(1, fps)
        stream.options = {"preset": "veryfast"}
        for i in range(round(seconds * fps)):
            frame = av.VideoFrame.from_ndarray(source(i / fps), format="bgr24")
            frame.pts = i
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    os.replace(tmp, path)
    return path
