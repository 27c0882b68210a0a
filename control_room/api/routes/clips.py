"""Recorded CCTV clips: list a camera's clips, play one, see its snapshots, export it as evidence.

Clips stay on the edge that recorded them; the control room fetches them over ZeroMQ when asked. Every list,
view and export is written to the audit log.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Annotated

from fastapi import APIRouter, Header, HTTPException, Path, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field

from control_room.api.deps import Commander, ContextDep, CurrentUser, Reader, SessionDep
from control_room.audit import record
from control_room.clip_client import ClipClient, ClipUnavailable
from control_room.clips import KnownClip, camera_clips, clip_client, evidence_zip, find_clip
from control_room.errors import Conflict, ControlRoomError, NotFound
from edge.contract.clips import CLIP_ID_PATTERN, ClipInfo

router = APIRouter(prefix="/api/v1", tags=["clips"])

ClipId = Annotated[str, Path(pattern=CLIP_ID_PATTERN, description="Clip id (UUID).")]
_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")


class ClipPublic(BaseModel):
    """A recorded clip and the node that holds it."""

    node_id: str = Field(description="Edge node holding the clip.")
    deleted: bool = Field(description="Removed by the node's retention (metadata only).")
    clip: ClipInfo = Field(description="The clip as the edge recorded it.")


class ExportRequest(BaseModel):
    """Why the evidence is exported (goes in the manifest and the audit log)."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, description="Case or incident reference.")


def _public(clip: KnownClip) -> ClipPublic:
    return ClipPublic(node_id=clip.node_id, deleted=clip.deleted, clip=clip.info)


def _http(err: ControlRoomError) -> HTTPException:
    if isinstance(err, NotFound):
        return HTTPException(status.HTTP_404_NOT_FOUND, str(err))
    if isinstance(err, Conflict):
        return HTTPException(status.HTTP_409_CONFLICT, str(err))
    return HTTPException(status.HTTP_502_BAD_GATEWAY, str(err))


def _located(s: SessionDep, clip_id: str) -> tuple[KnownClip, ClipClient]:
    try:
        clip = find_clip(s, clip_id)
        return clip, clip_client(s, clip)
    except ControlRoomError as err:
        raise _http(err) from err


def _byte_range(header: str | None, size: int) -> tuple[int, int]:
    """``(start, end)`` (end exclusive) of a single ``Range: bytes=…`` header; the whole file without one."""
    if header is None:
        return 0, size
    m = _RANGE.match(header.strip())
    if not m or not (m.group(1) or m.group(2)):
        raise HTTPException(status.HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE, f"cannot serve range {header!r}")
    if m.group(1):
        start = int(m.group(1))
        end = min(int(m.group(2)) + 1, size) if m.group(2) else size
    else:
        start, end = max(0, size - int(m.group(2))), size
    if start >= size or end <= start:
        raise HTTPException(status.HTTP_416_REQUESTED_RANGE_NOT_SATISFIABLE, f"range {header!r} is outside the clip")
    return start, end


def _target(clip: KnownClip) -> str:
    return f"{clip.node_id}/{clip.info.camera}/{clip.info.clip_id}"


@router.get("/cameras/{camera}/clips", summary="A camera's recorded clips")
def list_clips(
    camera: Annotated[str, Path(max_length=64, description="Camera device id.")],
    user: Reader,
    s: SessionDep,
    include_deleted: bool = False,
) -> list[ClipPublic]:
    """Clips its edge recorded around events, newest first."""
    clips = camera_clips(s, camera, include_deleted)
    record(s, user.actor, "clips.list", camera, {"count": len(clips)})
    return [_public(c) for c in clips]


@router.get("/clips/{clip_id}", summary="One clip's description")
def get_clip(clip_id: ClipId, user: Reader, s: SessionDep) -> ClipPublic:
    """Times, events, size and hash of a clip."""
    try:
        return _public(find_clip(s, clip_id))
    except ControlRoomError as err:
        raise _http(err) from err


@router.get(
    "/clips/{clip_id}/video.mp4",
    summary="Play a clip (H.264 MP4, byte ranges supported)",
    response_class=StreamingResponse,
    responses={200: {"content": {"video/mp4": {}}}, 206: {"content": {"video/mp4": {}}}},
)
def clip_video(
    clip_id: ClipId,
    user: Reader,
    s: SessionDep,
    range_: Annotated[str | None, Header(alias="Range", description="bytes=START-END")] = None,
) -> StreamingResponse:
    """The clip's MP4 fetched from its edge as it is sent. A view from the start is audited."""
    clip, client = _located(s, clip_id)
    size = clip.info.bytes
    start, end = _byte_range(range_, size)
    partial = range_ is not None
    try:
        first = next(iter(client.chunks(clip_id, "clip.mp4", start, end)), b"")
    except ClipUnavailable as err:
        raise _http(err) from err
    if start == 0:
        record(s, user.actor, "clip.view", _target(clip), {"range": range_})
    headers = {"Accept-Ranges": "bytes", "Content-Length": str(end - start)}
    if partial:
        headers["Content-Range"] = f"bytes {start}-{end - 1}/{size}"

    def body() -> Iterator[bytes]:
        yield first
        if start + len(first) < end:
            yield from client.chunks(clip_id, "clip.mp4", start + len(first), end)

    return StreamingResponse(body(), status_code=206 if partial else 200, media_type="video/mp4", headers=headers)


@router.get(
    "/clips/{clip_id}/snapshots/{name}",
    summary="A snapshot of a clip",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}}}},
)
def clip_snapshot(
    clip_id: ClipId,
    name: Annotated[str, Path(pattern=r"^[A-Za-z0-9_.-]{1,100}\.jpg$", description="Snapshot file name.")],
    user: Reader,
    s: SessionDep,
) -> Response:
    """One of the JPEG snapshots taken with the clip (audited)."""
    clip, client = _located(s, clip_id)
    if name not in clip.info.snapshots:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"clip {clip_id} has no snapshot {name}")
    try:
        data = client.fetch(clip_id, f"snapshots/{name}", 16 * 1024 * 1024)
    except ClipUnavailable as err:
        raise _http(err) from err
    record(s, user.actor, "clip.snapshot_view", _target(clip), {"snapshot": name})
    return Response(data, media_type="image/jpeg")


@router.post(
    "/clips/{clip_id}/export",
    summary="Export a clip as an evidence package (zip)",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}}},
)
def export_clip(clip_id: ClipId, body: ExportRequest, user: Commander, s: SessionDep, ctx: ContextDep) -> Response:
    """Clip, snapshots and a sealed manifest (camera, times, events, SHA-256 of every file, who exported it).

    The manifest's digest is returned in ``X-Evidence-Digest`` and written to the audit log, so a package can
    later be checked against it: ``cityedge evidence verify DIR --expect-digest DIGEST``.
    """
    clip, client = _located(s, clip_id)
    key = ctx.settings.evidence_key.get_secret_value().encode() if ctx.settings.evidence_key else None
    try:
        data, digest, manifest = evidence_zip(client, clip, user.username, body.reason, key)
    except ControlRoomError as err:
        _audit_failure(ctx, user, clip, body.reason, str(err))
        raise _http(err) from err
    record(
        s,
        user.actor,
        "clip.export",
        _target(clip),
        {"reason": body.reason, "digest": digest, "files": [f["path"] for f in manifest["files"]]},
    )
    filename = f"evidence-{clip.info.camera}-{clip_id}.zip"
    return Response(
        data,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{filename}"', "X-Evidence-Digest": digest},
    )


def _audit_failure(ctx: ContextDep, user: CurrentUser, clip: KnownClip, reason: str, error: str) -> None:
    """A failed export is audited too (in its own transaction: the request's is rolled back)."""
    with ctx.store.session() as s:
        record(s, user.actor, "clip.export", _target(clip), {"reason": reason, "error": error}, result="failed")
