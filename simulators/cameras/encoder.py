"""H.264 encoding with PyAV's bundled libx264: BGR frames in, access units (NAL units of one picture) out."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from fractions import Fraction

import av
from av.video.frame import PictureType

from drivers.camera.h264 import ParameterSets, find_parameter_sets, split_annexb
from drivers.camera.rtp import H264_CLOCK_HZ
from simulators.cameras.frames import Frame


@dataclass(frozen=True)
class AccessUnit:
    """One coded picture: its NAL units (no start codes), presentation time in 90 kHz ticks, keyframe flag."""

    nals: tuple[bytes, ...]
    pts: int
    keyframe: bool

    @property
    def size(self) -> int:
        """Bytes of NAL payload."""
        return sum(len(n) for n in self.nals)


class H264Encoder:
    """libx264 with camera-like settings: no B-frames, zero latency, SPS/PPS repeated before every IDR."""

    def __init__(
        self,
        width: int,
        height: int,
        fps: float,
        *,
        bitrate: int | None = None,
        gop: int | None = None,
        preset: str = "ultrafast",
        profile: str | None = None,
    ) -> None:
        self.width, self.height, self.fps = width, height, fps
        ctx = av.CodecContext.create("libx264", "w")
        ctx.width, ctx.height = width, height
        ctx.pix_fmt = "yuv420p"
        ctx.time_base = Fraction(1, H264_CLOCK_HZ)
        ctx.framerate = Fraction(fps).limit_denominator(1001)
        ctx.gop_size = gop or max(1, round(fps * 2))
        ctx.max_b_frames = 0
        if bitrate:
            ctx.bit_rate = bitrate
        if profile:
            ctx.profile = profile
        ctx.options = {"preset": preset, "tune": "zerolatency", "forced-idr": "1"}
        self._ctx = ctx
        self.gop: int = ctx.gop_size
        self._ticks_per_frame = H264_CLOCK_HZ / fps
        self.parameter_sets: ParameterSets | None = None

    def encode(self, image: Frame, index: int, force_keyframe: bool = False) -> list[AccessUnit]:
        """Encode frame number ``index``; returns the access units the encoder emitted (zero or one here)."""
        frame = av.VideoFrame.from_ndarray(image, format="bgr24")
        frame.pts = round(index * self._ticks_per_frame)
        if force_keyframe:
            frame.pict_type = PictureType.I
        out = []
        for packet in self._ctx.encode(frame):
            nals = tuple(split_annexb(bytes(packet)))
            if self.parameter_sets is None:
                self.parameter_sets = find_parameter_sets(list(nals))
            out.append(AccessUnit(nals=nals, pts=int(packet.pts or 0), keyframe=bool(packet.is_keyframe)))
        return out

    def close(self) -> None:
        """Flush and release the encoder."""
        with contextlib.suppress(av.error.EOFError, ValueError):
            self._ctx.encode(None)
