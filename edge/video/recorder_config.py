"""Settings of the event-clip recorder (cheap to import: no OpenCV, no FFmpeg)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RecorderConfig(BaseModel):
    """Clip lengths, the in-memory buffer's bounds and the encoder's settings."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    pre_s: float = Field(default=10.0, ge=0, le=120, description="Seconds before the event in the clip.")
    post_s: float = Field(default=20.0, ge=0, le=600, description="Seconds after the (last) event in the clip.")
    max_clip_s: float = Field(default=120.0, gt=0, le=3600, description="Longest clip; later events start another.")
    fps: float = Field(default=10.0, gt=0, le=60, description="Frames kept per second (the source may be faster).")
    max_width: int = Field(default=1280, ge=64, le=3840, description="Wider frames are scaled down to this.")
    jpeg_quality: int = Field(default=80, ge=30, le=95, description="Quality of buffered frames.")
    memory_bytes: int = Field(
        default=64 * 1024**2, ge=1024**2, description="Most bytes of buffered JPEG frames (oldest dropped)."
    )
    crf: int = Field(default=23, ge=0, le=51, description="x264 constant rate factor (lower: better, bigger).")
    preset: Literal["ultrafast", "superfast", "veryfast", "faster", "fast", "medium"] = Field(
        default="veryfast", description="x264 speed preset."
    )
    size_estimate: float = Field(
        default=0.5, gt=0, le=2, description="Expected MP4 size as a fraction of its frames' JPEG bytes."
    )
