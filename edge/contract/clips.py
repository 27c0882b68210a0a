"""Recorded CCTV clips on the contract: the events that announce them and the ZeroMQ protocol that fetches them.

An edge records event clips on its own disk. It announces each one with a ``cctv.clip_recorded`` event (data: a
:class:`ClipInfo`) on the camera device, and ``cctv.clip_deleted`` when retention removes it. The node's
``clips`` device (kind ``clip_store``) advertises in its capabilities the ZeroMQ endpoint (``endpoint``) of a
REP-style server answering :class:`ClipRequest` with :class:`ClipReply` and, for ``read``, the bytes.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from edge.contract.payloads import ContractModel

CLIP_STORE = "clip_store"
"""Device kind of a node's clip store."""
CLIPS_DEVICE = "clips"
"""Device id of the clip store on every node that records."""
CLIP_RECORDED = "cctv.clip_recorded"
CLIP_DELETED = "cctv.clip_deleted"
CLIP_FAILED = "cctv.clip_failed"
CLIP_ID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
READ_LIMIT = 1024 * 1024
"""Most bytes one ``read`` returns."""


class ClipInfo(ContractModel):
    """A recorded clip (the edge's ``clip.json``, and the data of ``cctv.clip_recorded``)."""

    clip_id: str = Field(pattern=CLIP_ID_PATTERN, description="UUIDv7 of the clip (time-ordered).")
    camera: str = Field(description="Camera id.")
    start_ts: float = Field(description="Timestamp of the first frame (UNIX seconds).")
    end_ts: float = Field(description="Timestamp of the last frame (UNIX seconds).")
    start: str = Field(description="First frame time, UTC ISO 8601.")
    end: str = Field(description="Last frame time, UTC ISO 8601.")
    trigger_ts: float = Field(description="Time of the first event that asked for this clip.")
    pre_s: float = Field(description="Seconds of picture before the first event actually recorded.")
    post_s: float = Field(description="Seconds of picture after the last event actually recorded.")
    events: list[dict[str, Any]] = Field(default_factory=list, description="Events the clip covers.")
    frames: int = Field(ge=1, description="Frames in the MP4.")
    width: int = Field(ge=1, description="Picture width in pixels.")
    height: int = Field(ge=1, description="Picture height in pixels.")
    codec: str = Field(default="h264", description="Video codec.")
    bytes: int = Field(ge=0, description="Size of clip.mp4.")
    sha256: str = Field(description="SHA-256 of clip.mp4 when it was recorded.")
    snapshots: list[str] = Field(default_factory=list, description="Snapshot file names under snapshots/.")
    recorded_at: str = Field(description="When the clip was written, UTC ISO 8601.")

    def files(self) -> list[str]:
        """Every file of the clip, as named in requests and evidence manifests."""
        return ["clip.mp4", *(f"snapshots/{name}" for name in self.snapshots)]


class ClipRequest(ContractModel):
    """A request to a node's clip server."""

    op: Literal["info", "read"] = Field(description="info: the clip's ClipInfo; read: bytes of one of its files.")
    clip_id: str = Field(pattern=CLIP_ID_PATTERN, description="The clip.")
    file: str | None = Field(default=None, max_length=200, description="read: one of ClipInfo.files().")
    offset: int = Field(default=0, ge=0, description="read: first byte.")
    length: int = Field(default=READ_LIMIT, ge=1, le=READ_LIMIT, description="read: most bytes wanted.")


class ClipReply(ContractModel):
    """The answer (first frame of the reply; a ``read`` has the bytes as the second frame)."""

    ok: bool = Field(description="Whether the request was served.")
    error: str | None = Field(default=None, description="Why not, when ok is false.")
    info: ClipInfo | None = Field(default=None, description="info: the clip.")
    size: int | None = Field(default=None, ge=0, description="read: the file's total size.")
    offset: int = Field(default=0, ge=0, description="read: first byte returned.")
    eof: bool = Field(default=False, description="read: the bytes returned end the file.")
