"""The ``[video]`` section of the edge config: which cameras' frames are analysed and recorded, and how."""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from edge.video.analytics.config import AnalyticsConfig
from edge.video.bus_config import CAMERA_ID, BusConfig
from edge.video.recorder_config import RecorderConfig
from edge.video.retention import RetentionConfig

TRIGGERS = ("covered", "defocused", "moved", "frozen", "loitering", "line_crossed", "motion_started")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class VideoCamera(_Strict):
    """One camera whose frames (from its ring) are analysed and recorded."""

    id: str = Field(pattern=CAMERA_ID.pattern, description="Camera id: the device id and the ring's name.")
    location: str | None = Field(default=None, max_length=200, description="Location label on its alerts.")
    analytics: AnalyticsConfig = Field(default_factory=AnalyticsConfig, description="Zones, lines, tamper, motion.")
    analysis_fps: float = Field(default=10.0, gt=0, le=30, description="Most frames analysed per second.")
    record: bool = Field(default=True, description="Record pre/post-event clips for this camera.")
    record_on: list[str] = Field(
        default_factory=lambda: ["covered", "defocused", "moved", "frozen", "loitering", "line_crossed"],
        description=f"Finding types that ask for a clip: any of {', '.join(TRIGGERS)}.",
    )

    @model_validator(mode="after")
    def _known_triggers(self) -> VideoCamera:
        unknown = sorted(set(self.record_on) - set(TRIGGERS))
        if unknown:
            raise ValueError(f"record_on: unknown finding types {unknown}; known: {', '.join(TRIGGERS)}")
        return self


class VideoSettings(_Strict):
    """Analytics and recording as consumers of the cameras' frame rings, and the clip server."""

    cameras: list[VideoCamera] = Field(default_factory=list, description="Cameras to analyse and record.")
    bus: BusConfig = Field(default_factory=BusConfig, description="Where the frame rings live (as the workers').")
    clips_dir: Path | None = Field(default=None, description="Where clips are stored; default DATA_DIR/clips.")
    recorder: RecorderConfig = Field(default_factory=RecorderConfig, description="Clip lengths and encoding.")
    retention: RetentionConfig = Field(default_factory=RetentionConfig, description="How long and how much.")
    clip_server: str = Field(
        default="127.0.0.1:0", description="host:port the clip server binds (port 0: any free port)."
    )
    advertise: str | None = Field(
        default=None, description="Endpoint the control room should use, when not the bound one (NAT, proxy)."
    )
    restart_backoff_s: float = Field(default=2.0, gt=0, le=300, description="Wait before restarting a worker.")

    @model_validator(mode="after")
    def _unique_cameras(self) -> VideoSettings:
        ids = [c.id for c in self.cameras]
        doubles = sorted({i for i in ids if ids.count(i) > 1})
        if doubles:
            raise ValueError(f"cameras listed twice: {doubles}")
        return self
