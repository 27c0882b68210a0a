"""The clips the edges announced (``cctv.clip_recorded`` events), where to fetch them, and evidence packages."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from control_room.clip_client import ClipClient
from control_room.errors import Conflict, NotFound
from control_room.store.models import Device, Event
from edge.contract.clips import CLIP_DELETED, CLIP_RECORDED, CLIPS_DEVICE, ClipInfo
from edge.contract.evidence import MANIFEST, build_manifest

MAX_EXPORT_BYTES = 512 * 1024 * 1024


@dataclass(frozen=True)
class KnownClip:
    """A clip announced by a node."""

    node_id: str
    info: ClipInfo
    deleted: bool


def _deleted(s: Session, node_id: str | None = None) -> set[str]:
    q = select(Event.data).where(Event.type == CLIP_DELETED)
    if node_id:
        q = q.where(Event.node_id == node_id)
    return {str(d.get("clip_id")) for d in s.execute(q).scalars()}


def _parse(event: Event) -> ClipInfo | None:
    try:
        return ClipInfo.model_validate(event.data)
    except ValidationError:
        return None  # not ours to show


def camera_clips(s: Session, camera: str, include_deleted: bool = False, limit: int = 500) -> list[KnownClip]:
    """Clips of a camera (device id), newest first."""
    q = (
        select(Event)
        .where(Event.type == CLIP_RECORDED, Event.device_id == camera)
        .order_by(Event.id.desc())
        .limit(limit)
    )
    gone = _deleted(s)
    out = []
    for event in s.execute(q).scalars():
        info = _parse(event)
        if info is not None and (include_deleted or info.clip_id not in gone):
            out.append(KnownClip(event.node_id, info, info.clip_id in gone))
    return out


def find_clip(s: Session, clip_id: str) -> KnownClip:
    """One announced clip by id; :class:`NotFound` when no node announced it."""
    q = select(Event).where(Event.type == CLIP_RECORDED, Event.data["clip_id"].as_string() == clip_id)
    for event in s.execute(q).scalars():
        info = _parse(event)
        if info is not None:
            return KnownClip(event.node_id, info, clip_id in _deleted(s, event.node_id))
    raise NotFound(f"no clip {clip_id}")


def clip_client(s: Session, clip: KnownClip) -> ClipClient:
    """A client of the clip server of the node holding ``clip``."""
    if clip.deleted:
        raise Conflict(f"clip {clip.info.clip_id} was deleted by its node's retention")
    device = s.get(Device, (clip.node_id, CLIPS_DEVICE))
    endpoint = (device.capabilities or {}).get("endpoint") if device else None
    if not isinstance(endpoint, str):
        raise Conflict(f"node {clip.node_id} does not offer its clips")
    return ClipClient(endpoint)


def _entry(path: str, data: bytes) -> dict[str, Any]:
    return {"path": path, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def evidence_zip(
    client: ClipClient, clip: KnownClip, exported_by: str, reason: str, key: bytes | None
) -> tuple[bytes, str, dict[str, Any]]:
    """Fetch a clip and its snapshots and pack them with a sealed manifest: ``(zip bytes, digest, manifest)``.

    The clip must still match the SHA-256 the edge announced when it recorded it (else :class:`Conflict`);
    fetching raises :class:`~control_room.clip_client.ClipUnavailable`.
    """
    info = clip.info
    if info.bytes > MAX_EXPORT_BYTES:
        raise Conflict(f"clip {info.clip_id} is {info.bytes} B, more than the {MAX_EXPORT_BYTES} B an export holds")
    files: dict[str, bytes] = {}
    for name in info.files():
        files[name] = client.fetch(info.clip_id, name, MAX_EXPORT_BYTES)
    if hashlib.sha256(files["clip.mp4"]).hexdigest() != info.sha256:
        raise Conflict(f"clip {info.clip_id} on node {clip.node_id} no longer matches the hash it was recorded with")
    entries = [_entry(name, data) for name, data in files.items()]
    exported_at = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    manifest = build_manifest(info, entries, exported_by, exported_at, reason, key, node=clip.node_id)
    folder = f"evidence-{info.camera}-{info.clip_id}"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, data in files.items():
            archive.writestr(f"{folder}/{name}", data)
        archive.writestr(f"{folder}/{MANIFEST}", json.dumps(manifest, indent=2, sort_keys=True))
    return buf.getvalue(), manifest["seal"]["sha256"], manifest
