"""CCTV on the contract: camera devices, their health state, the camera-manager commands, and the live-view
frames the edge publishes on ZeroMQ while someone watches."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from edge.contract.payloads import ContractModel, Id

CAMERA = "camera"
"""Device kind of a camera."""
CAMERA_MANAGER = "camera_manager"
"""Device kind of the node's camera manager, which takes ``add_camera``."""
CAMERAS_DEVICE = "cameras"
"""Device id of the camera manager on every node with a CCTV service."""
ADD_CAMERA = "add_camera"
SOURCE_SCHEMES = ("rtsp", "rtsps", "http", "https", "onvif", "file")
LIVE_TOPIC_PREFIX = "live/"


def live_topic(camera: str) -> bytes:
    """The ZeroMQ topic of a camera's live JPEG frames."""
    return f"{LIVE_TOPIC_PREFIX}{camera}\x00".encode()


class LinkState(StrEnum):
    """Where a camera's connection stands."""

    STARTING = "starting"
    CONNECTING = "connecting"
    STREAMING = "streaming"
    BACKOFF = "backoff"
    STOPPED = "stopped"


class Condition(StrEnum):
    """Camera problems raised as alerts (``alert_id`` and ``type`` are the value) and cleared on recovery."""

    STALL = "camera_stall"
    OFFLINE = "camera_offline"
    AUTH_FAILED = "camera_auth_failed"
    DECODE_ERRORS = "camera_decode_errors"


class CameraHealth(ContractModel):
    """The retained state of a ``camera`` device."""

    state: LinkState = Field(description="Connection state of the worker.")
    fps: float | None = Field(default=None, description="Frames per second over the last two seconds.")
    last_frame_age_s: float | None = Field(default=None, description="Seconds since the last frame; null before one.")
    frames: int = Field(default=0, ge=0, description="Frames decoded since the worker started.")
    decode_errors: int = Field(default=0, ge=0, description="Decoder error reports since the worker started.")
    reconnects: int = Field(default=0, ge=0, description="Connection attempts after the first one.")
    restarts: int = Field(default=0, ge=0, description="Worker processes killed and restarted (hung or crashed).")
    width: int | None = Field(default=None, description="Frame width in pixels.")
    height: int | None = Field(default=None, description="Frame height in pixels.")
    codec: str | None = Field(default=None, description="Codec the decoder reports (h264, mjpg, ...).")
    conditions: list[Condition] = Field(default_factory=list, description="Conditions active now.")
    last_error: str | None = Field(default=None, description="Last connection or read error, without credentials.")


def _no_credentials(url: str) -> str:
    parts = urlsplit(url)
    scheme = parts.scheme.lower() if "://" in url else "file"
    if scheme not in SOURCE_SCHEMES:
        raise ValueError(f"scheme {parts.scheme!r} is not one of {', '.join(SOURCE_SCHEMES)}")
    # the same rule as the drivers' redaction: everything up to the last '@' (before any query) is credentials,
    # so a raw password with '/' in it is caught too; an '@' in a path must be percent-encoded
    rest = url.split("://", 1)[1].split("?", 1)[0].split("#", 1)[0] if "://" in url else ""
    if "@" in rest:
        raise ValueError("must not carry credentials: give 'username' and 'password' instead")
    if scheme != "file" and not parts.hostname:
        raise ValueError("has no host")
    return url


class AddCameraArgs(ContractModel):
    """Arguments of ``add_camera`` on the ``cameras`` device: attach a camera, or replace one with the same id."""

    id: Id = Field(description="Device id of the camera, unique on the node.")
    url: str = Field(
        min_length=1,
        max_length=2000,
        description="rtsp://, rtsps://, http(s):// (MJPEG), onvif://host:port or a file path; no credentials in it.",
    )
    username: str | None = Field(default=None, max_length=200, description="Login name at the camera.")
    password: str | None = Field(
        default=None,
        max_length=200,
        repr=False,
        description="Password at the camera. Write-only: the control room stores and returns it masked.",
    )
    profile: str | None = Field(
        default=None, max_length=64, description="ONVIF profile token to stream (default: the device's first)."
    )
    label: str = Field(default="", max_length=200, description="Name shown to operators.")
    location: str | None = Field(default=None, max_length=200, description="Location label shown to operators.")

    _url = field_validator("url")(_no_credentials)


class LiveFrameHeader(ContractModel):
    """Second part of a live-view ZeroMQ message ``[topic, header JSON, JPEG]``."""

    camera: Id = Field(description="Camera device id.")
    seq: int = Field(ge=0, description="Live frame counter of this camera (gaps: frames skipped).")
    ts: datetime = Field(description="When the frame was decoded at the edge.")
    width: int = Field(gt=0, description="JPEG width.")
    height: int = Field(gt=0, description="JPEG height.")
