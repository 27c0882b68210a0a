"""Retention: a small quota keeps the newest clips, old clips age out, and the disk is never filled."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from recorder_support import T0, feed, recorder

from edge.contract.clips import ClipInfo
from edge.video.clip_store import ClipStore
from edge.video.errors import DiskHeadroomError, RecordingError
from edge.video.recorder import ClipRecorder
from edge.video.recorder_config import RecorderConfig
from edge.video.retention import DiskUsage, RetentionConfig, RetentionPolicy
from simulators.scenes import make_scene

CLIP = RecorderConfig(pre_s=1.0, post_s=1.0, fps=10.0, crf=18)


def _record(rec: ClipRecorder, n: int, start: float = 0.0) -> list[str]:
    """Record ``n`` clips, one after another, waiting for each to be written."""
    scene = make_scene("bridge", 640, 360)
    ids = []
    t = start
    for _ in range(n):
        feed(rec, scene, t, t + 1.5, fps=10.0)
        ids.append(rec.trigger(T0 + t + 1.2, {"type": "x"}))
        feed(rec, scene, t + 1.5, t + 2.5, fps=10.0)
        t += 2.5
    return ids


class _Written:
    def __init__(self) -> None:
        self.infos: list[ClipInfo] = []
        self.errors: list[RecordingError] = []
        self.event = threading.Condition()

    def clip(self, info: ClipInfo) -> None:
        with self.event:
            self.infos.append(info)
            self.event.notify_all()

    def error(self, clip_id: str, err: RecordingError) -> None:
        with self.event:
            self.errors.append(err)
            self.event.notify_all()

    def wait(self, count: int) -> None:
        with self.event:
            assert self.event.wait_for(lambda: len(self.infos) + len(self.errors) >= count, timeout=60)


def test_a_small_quota_keeps_the_newest_clips(tmp_path: Path) -> None:
    written = _Written()
    probe_rec = recorder(tmp_path / "probe", CLIP, on_clip=written.clip)
    try:
        _record(probe_rec, 1)
        written.wait(1)
    finally:
        probe_rec.close()
    one_clip = probe_rec.store.total_bytes()
    quota = int(one_clip * 3.5)
    written = _Written()
    rec = recorder(tmp_path / "clips", CLIP, RetentionConfig(max_bytes=quota, min_free_bytes=0), on_clip=written.clip)
    try:
        ids = []
        for i in range(7):
            ids += _record(rec, 1, start=i * 2.5)
            written.wait(i + 1)
            assert rec.store.total_bytes() <= quota
    finally:
        rec.close()
    kept = [c.clip_id for c in rec.store.clips()]
    assert 2 <= len(kept) <= 3 and kept == ids[-len(kept) :]
    assert rec.retention.deleted == 7 - len(kept)
    assert sorted(p.name for p in (tmp_path / "clips" / "cam1").iterdir()) == sorted(kept)


def test_clips_past_their_age_are_deleted(tmp_path: Path) -> None:
    written = _Written()
    rec = recorder(tmp_path, CLIP, on_clip=written.clip)
    try:
        _record(rec, 3)
        written.wait(3)
    finally:
        rec.close()
    clips = rec.store.clips()
    cut = clips[1].end_ts + 3600 + 0.5  # "now" such that the first two clips are just over an hour old
    policy = RetentionPolicy(RetentionConfig(max_age_s=3600), rec.store, clock=lambda: cut)
    assert [c.clip_id for c in policy.enforce()] == [c.clip_id for c in clips[:2]]
    assert [c.clip_id for c in rec.store.clips()] == [clips[2].clip_id]


def test_a_clip_that_would_eat_into_the_free_space_floor_is_refused_and_nothing_is_deleted(tmp_path: Path) -> None:
    written = _Written()
    rec = recorder(tmp_path, CLIP, on_clip=written.clip, on_error=written.error)
    try:
        _record(rec, 1)
        written.wait(1)
        disk = shutil.disk_usage(tmp_path)
        # The real disk's free space is below the floor asked for, and our clips are too small to matter.
        rec.retention.config = RetentionConfig(min_free_bytes=disk.total + 1)
        _record(rec, 1, start=5.0)
        written.wait(2)
        rec.retention.config = RetentionConfig()
        _record(rec, 1, start=10.0)
        written.wait(3)
    finally:
        rec.close()
    (error,) = written.errors
    assert isinstance(error, DiskHeadroomError)
    assert "B free on disk" in str(error) and "must stay free" in str(error)
    assert len(rec.store.clips()) == 2  # the first kept, the refused one absent, recording went on afterwards
    assert len(list((tmp_path / "cam1").iterdir())) == 2


def test_on_a_nearly_full_disk_the_oldest_clips_make_room(tmp_path: Path) -> None:
    """A disk of 8 clips' size with a floor of 3 clips free holds 5 clips, whatever is recorded.

    The file system here is large, so its size is modelled (this one layer's unit test): free space is the
    modelled capacity minus what the store really holds.
    """
    store = ClipStore(tmp_path)
    written = _Written()
    sizes: list[int] = []

    def usage() -> DiskUsage:
        used = store.total_bytes()
        return DiskUsage(capacity, used, capacity - used)

    capacity = 10**12
    policy = RetentionPolicy(RetentionConfig(min_free_bytes=0), store, disk_usage=usage)
    rec = ClipRecorder("cam1", CLIP, store, policy, on_clip=written.clip, on_error=written.error)
    try:
        _record(rec, 1)
        written.wait(1)
        clip = store.total_bytes()
        capacity = 8 * clip
        policy.config = RetentionConfig(min_free_bytes=3 * clip)
        for i in range(8):
            _record(rec, 1, start=(i + 1) * 2.5)
            written.wait(i + 2)
            sizes.append(usage().free)
    finally:
        rec.close()
    assert not written.errors
    assert all(free >= 3 * clip * 0.9 for free in sizes), sizes  # clips vary a little in size
    assert 4 <= len(store.clips()) <= 5
    assert [c.clip_id for c in store.clips()] == [i.clip_id for i in written.infos[-len(store.clips()) :]]


def test_admission_rejects_a_clip_larger_than_the_quota_itself(tmp_path: Path) -> None:
    policy = RetentionPolicy(RetentionConfig(max_bytes=1000, min_free_bytes=0), ClipStore(tmp_path))
    with pytest.raises(DiskHeadroomError, match="clips may use 1000 B"):
        policy.admit(5000)
