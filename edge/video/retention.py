"""Retention of recorded clips: by age, by a size quota, and by free disk space — never filling the disk.

Oldest clips go first. Before a clip is written, :meth:`RetentionPolicy.admit` makes room for it or refuses
(:class:`DiskHeadroomError`) when even deleting every older clip would leave too little free space.
"""

from __future__ import annotations

import logging
import shutil
import time
from collections.abc import Callable
from typing import NamedTuple

from pydantic import BaseModel, ConfigDict, Field

from edge.contract.clips import ClipInfo
from edge.video.clip_store import ClipStore
from edge.video.errors import DiskHeadroomError

log = logging.getLogger(__name__)


class DiskUsage(NamedTuple):
    """``shutil.disk_usage``'s answer."""

    total: int
    used: int
    free: int


class RetentionConfig(BaseModel):
    """How long clips are kept and how much disk they may use."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_age_s: float = Field(default=31 * 24 * 3600, gt=0, description="Clips older than this are deleted.")
    max_bytes: int = Field(default=50 * 1024**3, gt=0, description="Quota: all clips together stay below this.")
    min_free_bytes: int = Field(
        default=2 * 1024**3, ge=0, description="Free space always left on the clips' file system."
    )


class RetentionPolicy:
    """Applies a :class:`RetentionConfig` to a :class:`ClipStore`."""

    def __init__(
        self,
        config: RetentionConfig,
        store: ClipStore,
        disk_usage: Callable[[], DiskUsage] | None = None,
        clock: Callable[[], float] = time.time,
        on_delete: Callable[[ClipInfo, str], None] | None = None,
    ) -> None:
        self.config = config
        self.on_delete = on_delete
        self.store = store
        self._disk_usage = disk_usage or (lambda: DiskUsage(*shutil.disk_usage(store.root)))
        self._clock = clock
        self.deleted = 0

    def enforce(self) -> list[ClipInfo]:
        """Delete clips past their age, then oldest first while over quota or short of free space."""
        return self._make_room(0)

    def admit(self, expected_bytes: int) -> list[ClipInfo]:
        """Make room for a new clip of about ``expected_bytes``; returns what was deleted.

        Raises :class:`DiskHeadroomError` — before deleting anything — when the clip cannot be written without
        breaking the quota or the free-space floor even after deleting every older clip (the disk is filled by
        something else: deleting evidence would not help).
        """
        cfg = self.config
        reclaimable = sum(self.store.size(clip) for clip in self.store.clips())
        free = self._disk_usage().free
        if expected_bytes > cfg.max_bytes or free + reclaimable - expected_bytes < cfg.min_free_bytes:
            raise DiskHeadroomError(
                f"clip of about {expected_bytes} B refused: {free} B free on disk and {reclaimable} B of clips that "
                f"could be deleted, but {cfg.min_free_bytes} B must stay free and clips may use {cfg.max_bytes} B"
            )
        deleted = self._make_room(expected_bytes)
        problem = self._shortfall(expected_bytes)
        if problem:
            raise DiskHeadroomError(f"clip of about {expected_bytes} B refused: {problem}")
        return deleted

    def _shortfall(self, extra: int) -> str | None:
        cfg = self.config
        total = self.store.total_bytes()
        if total + extra > cfg.max_bytes:
            return f"clips would use {total + extra} B of a {cfg.max_bytes} B quota"
        free = self._disk_usage().free
        if free - extra < cfg.min_free_bytes:
            return f"{free} B free on disk, {cfg.min_free_bytes} B must stay free"
        return None

    def _make_room(self, extra: int) -> list[ClipInfo]:
        deleted: list[ClipInfo] = []
        clips = self.store.clips()
        cutoff = self._clock() - self.config.max_age_s
        while clips and clips[0].end_ts < cutoff:
            deleted.append(self._delete(clips.pop(0), "older than the retention age"))
        while clips and self._shortfall(extra):
            deleted.append(self._delete(clips.pop(0), "making room"))
        return deleted

    def _delete(self, clip: ClipInfo, why: str) -> ClipInfo:
        self.store.delete(clip)
        self.deleted += 1
        log.info("deleted clip %s of camera %s (%s)", clip.clip_id, clip.camera, why)
        if self.on_delete is not None:
            self.on_delete(clip, why)
        return clip
