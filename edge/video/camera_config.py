"""Configuration of one camera: where its stream is, how to log in, and how its health is judged."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator, model_validator

from drivers.camera.errors import InvalidSourceUrl
from drivers.camera.redact import redact
from drivers.camera.urls import SourceUrl, parse_source


class CameraConfig(BaseModel):
    """One camera. Inline credentials in ``url`` are moved into ``username``/``password`` when the config loads."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)  # inputs may hold credentials

    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="Device id, unique on the node.")
    url: str = Field(description="rtsp://, rtsps://, http(s):// (MJPEG), file path or file:// URL of the stream.")
    username: str | None = Field(default=None, description="Login name; overrides one written in the URL.")
    password: SecretStr | None = Field(default=None, description="Password; never logged or returned.")
    label: str = Field(default="", max_length=200, description="Name shown to operators.")
    location: str | None = Field(default=None, max_length=200, description="Location label shown to operators.")
    stall_timeout_s: float | None = Field(
        default=None, gt=0, description="No frame for this long raises camera_stall; default max(2 s, 3 frames)."
    )
    open_timeout_s: float = Field(default=10.0, gt=0, description="Seconds to wait for the stream to open.")
    read_timeout_s: float = Field(default=10.0, gt=0, description="A read blocked this long drops the connection.")
    backoff_initial_s: float = Field(default=0.5, gt=0, description="First reconnect delay.")
    backoff_max_s: float = Field(default=30.0, gt=0, description="Longest reconnect delay.")
    decode_error_threshold: int = Field(
        default=5, ge=1, description="Decoder errors within decode_error_window_s that raise camera_decode_errors."
    )
    decode_error_window_s: float = Field(default=5.0, gt=0, description="Window for counting decoder errors.")
    decode_error_clear_s: float = Field(
        default=5.0, gt=0, description="Seconds without decoder errors (frames flowing) that clear the condition."
    )
    decoder_threads: int = Field(
        default=1,
        ge=0,
        le=64,
        description=(
            "Decoder threads (0: OpenCV's choice, one per core). One is enough for 1080p25, costs the least CPU and "
            "adds no frame of latency; raise it for streams one core cannot decode in real time (4K, HEVC)."
        ),
    )
    hang_timeout_s: float | None = Field(
        default=None, gt=0, description="Silence from the worker process after which it is killed and restarted."
    )

    @model_validator(mode="before")
    @classmethod
    def _move_inline_credentials(cls, data: Any) -> Any:
        if not isinstance(data, dict) or not isinstance(data.get("url"), str):
            return data
        try:
            parsed = parse_source(data["url"])
        except InvalidSourceUrl:
            return {**data, "url": redact(data["url"])}  # the url validator reports it, without the credentials
        if parsed.username is None:
            return data
        out = dict(data)
        out["url"] = parsed.address
        out.setdefault("username", parsed.username)
        if parsed.password is not None and out.get("password") is None:
            out["password"] = parsed.password
        return out

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        source = parse_source(value)
        if source.scheme == "onvif":
            raise ValueError("an onvif:// device is resolved to its RTSP stream URL before it becomes a camera")
        return value

    def source(self) -> SourceUrl:
        """The parsed source with credentials attached."""
        return parse_source(self.url, username=self.username, password=self.password)

    def effective_hang_timeout_s(self) -> float:
        """How long the worker may stay silent: long enough for an open, its diagnosis and a blocked read."""
        return self.hang_timeout_s or (self.open_timeout_s + self.read_timeout_s + 10.0)
