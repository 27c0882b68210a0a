"""Recorded clips on disk: one folder per clip holding ``clip.mp4``, ``clip.json`` and ``snapshots/``.

``<root>/<camera>/<clip id>/``. A clip exists for readers once its ``clip.json`` does (written last,
atomically), so a half-written clip is never listed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
from datetime import UTC, datetime
from pathlib import Path

from edge.contract.clips import CLIP_ID_PATTERN, ClipInfo
from edge.video.bus_config import check_camera_id
from edge.video.errors import RecordingError

CLIP_ID = re.compile(CLIP_ID_PATTERN)
MP4, META, SNAPSHOTS = "clip.mp4", "clip.json", "snapshots"


def iso(ts: float) -> str:
    """UTC ISO 8601 of a UNIX timestamp."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` via a temporary file and a rename (readers never see half a file)."""
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)


class ClipStore:
    """The clips under one root folder."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)

    def folder(self, camera: str, clip_id: str) -> Path:
        """Where a clip lives (validated: no path tricks through ids)."""
        if not CLIP_ID.match(clip_id):
            raise RecordingError(f"{clip_id!r} is not a clip id")
        return self.root / check_camera_id(camera) / clip_id

    def save_meta(self, info: ClipInfo) -> None:
        """Publish a clip by writing its metadata (last step of recording it)."""
        write_atomic(self.folder(info.camera, info.clip_id) / META, info.model_dump_json(indent=2).encode())

    def clips(self, camera: str | None = None) -> list[ClipInfo]:
        """Finished clips, oldest first (optionally of one camera)."""
        pattern = f"{check_camera_id(camera)}/*/{META}" if camera else f"*/*/{META}"
        out = []
        for meta in self.root.glob(pattern):
            try:
                out.append(ClipInfo.model_validate(json.loads(meta.read_bytes())))
            except (OSError, ValueError):
                continue  # being deleted, or not ours
        return sorted(out, key=lambda c: (c.start_ts, c.clip_id))

    def get(self, clip_id: str) -> ClipInfo:
        """One clip by id, whatever its camera; :class:`RecordingError` if there is none."""
        if not CLIP_ID.match(clip_id):
            raise RecordingError(f"{clip_id!r} is not a clip id")
        for meta in self.root.glob(f"*/{clip_id}/{META}"):
            return ClipInfo.model_validate(json.loads(meta.read_bytes()))
        raise RecordingError(f"no clip {clip_id}")

    def mp4(self, info: ClipInfo) -> Path:
        """Path of a clip's video."""
        return self.folder(info.camera, info.clip_id) / MP4

    def snapshot_paths(self, info: ClipInfo) -> list[Path]:
        """Paths of a clip's snapshots."""
        folder = self.folder(info.camera, info.clip_id) / SNAPSHOTS
        return [folder / name for name in info.snapshots]

    def size(self, info: ClipInfo) -> int:
        """Bytes a clip takes on disk (all its files)."""
        folder = self.folder(info.camera, info.clip_id)
        return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())

    def total_bytes(self) -> int:
        """Bytes all clips take, including folders being written."""
        return sum(p.stat().st_size for p in self.root.rglob("*") if p.is_file())

    def delete(self, info: ClipInfo) -> None:
        """Remove a clip: its metadata first (so it stops being listed), then its files."""
        folder = self.folder(info.camera, info.clip_id)
        (folder / META).unlink(missing_ok=True)
        shutil.rmtree(folder, ignore_errors=True)

    def discard(self, camera: str, clip_id: str) -> None:
        """Remove whatever a failed recording left of a clip."""
        shutil.rmtree(self.folder(camera, clip_id), ignore_errors=True)
