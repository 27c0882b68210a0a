"""Feeding a recorder from a synthetic scene, and reading MP4 files back with PyAV and ffprobe."""

from __future__ import annotations

import json
import struct
import subprocess
import time
from pathlib import Path
from typing import Any

import av
import numpy as np

from edge.video.clip_store import ClipStore
from edge.video.recorder import ClipRecorder
from edge.video.recorder_config import RecorderConfig
from edge.video.retention import RetentionConfig, RetentionPolicy
from simulators.scenes import Scene

T0 = float(round(time.time()) - 3600)  # frame timestamps are UNIX seconds, an hour ago


def recorder(root: Path, config: RecorderConfig, retention: RetentionConfig | None = None, **kw: Any) -> ClipRecorder:
    """A recorder for camera ``cam1`` storing under ``root``."""
    store = ClipStore(root)
    return ClipRecorder("cam1", config, store, RetentionPolicy(retention or RetentionConfig(), store), **kw)


def feed(rec: ClipRecorder, scene: Scene, start: float, end: float, fps: float = 25.0) -> None:
    """Put the scene's frames from ``start`` to ``end`` (scene seconds) at ``fps``, stamped T0 + t."""
    for i in range(round(start * fps), round(end * fps)):
        t = i / fps
        rec.put(scene(t), T0 + t)


def probe(path: Path) -> dict[str, Any]:
    """ffprobe's view of the first video stream and the container."""
    out = subprocess.run(
        [
            "ffprobe",
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=codec_name,profile,pix_fmt,width,height,nb_frames:format=duration,format_name",
            "-of",
            "json",
            str(path),
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return json.loads(out.stdout)


def decoded(path: Path) -> list[tuple[float, np.ndarray]]:
    """Every frame of the file decoded with PyAV: (presentation time in s, BGR image)."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == "h264"
        return [(float(f.time or 0.0), f.to_ndarray(format="bgr24")) for f in container.decode(stream)]


def top_level_boxes(path: Path) -> list[str]:
    """The MP4's top-level box types in file order (faststart puts moov before mdat)."""
    data = path.read_bytes()
    boxes, offset = [], 0
    while offset + 8 <= len(data):
        size, kind = struct.unpack(">I4s", data[offset : offset + 8])
        if size == 1:
            size = struct.unpack(">Q", data[offset + 8 : offset + 16])[0]
        boxes.append(kind.decode("latin-1"))
        if size < 8:
            break
        offset += size
    return boxes


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    """Peak signal-to-noise ratio of two images of the same size."""
    mse = float(np.mean((a.astype(np.float32) - b.astype(np.float32)) ** 2))
    return 99.0 if mse == 0 else 10 * np.log10(255.0**2 / mse)
