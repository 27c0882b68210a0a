"""Frame ring semantics in one process: zero copy, latest frame, overwrite detection, generations, cleanup."""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import time

import numpy as np
import pytest
from ringprocs import bus_config

from edge.video import notify
from edge.video.consumer import FrameConsumer
from edge.video.errors import FrameBusError, FrameOverwritten
from edge.video.ring import FrameRing


def data_address(array: np.ndarray) -> int:
    return int(array.__array_interface__["data"][0])


def test_roundtrip_gives_a_read_only_view_of_the_frame() -> None:
    with bus_config() as config, FrameRing("cam1", config) as ring, FrameConsumer("cam1", config) as consumer:
        frame = np.random.default_rng(1).integers(0, 255, (720, 1280, 3), dtype=np.uint8)
        ring.put(frame, 12.5)
        view = consumer.next_frame(timeout=10)
        assert view is not None
        assert (view.seq, view.ts, view.image.shape, view.image.dtype) == (1, 12.5, (720, 1280, 3), np.uint8)
        assert np.array_equal(view.image, frame)
        assert not view.image.flags.writeable
        with pytest.raises(ValueError):
            view.image[0, 0, 0] = 1


def test_the_consumer_view_is_the_shared_memory_itself() -> None:
    """Zero copy: the view's pixels lie inside the consumer's mapping, and the producer made exactly one copy."""
    with bus_config() as config, FrameRing("cam1", config) as ring, FrameConsumer("cam1", config) as consumer:
        frames = [np.full((1080, 1920, 3), i, dtype=np.uint8) for i in range(3)]
        for i, frame in enumerate(frames):
            ring.put(frame, float(i))
        view = consumer.next_frame(timeout=10)
        assert view is not None and view.seq == 3
        reader = consumer.reader
        assert reader is not None
        mapped = reader.mapping.base
        assert np.shares_memory(view.image, mapped)
        assert not view.image.flags.owndata
        start = data_address(mapped)
        assert start <= data_address(view.image) < start + mapped.nbytes
        assert not np.shares_memory(view.image, frames[2])
        assert ring.copies == 3 and reader.copies == 3  # one copy per frame, counted in shared memory


def test_a_slot_rewritten_while_held_is_detected() -> None:
    with bus_config(slots=2) as config, FrameRing("cam1", config) as ring, FrameConsumer("cam1", config) as consumer:
        ring.put(np.full((480, 640), 7, np.uint8), 1.0)
        view = consumer.next_frame(timeout=10)
        assert view is not None and view.intact()
        kept = view.copy()
        ring.put(np.full((480, 640), 8, np.uint8), 2.0)
        assert view.intact()  # the other slot was used
        ring.put(np.full((480, 640), 9, np.uint8), 3.0)  # reuses view's slot
        assert not view.intact()
        assert int(view.image[0, 0]) == 9  # same memory: the view now shows the newer frame
        assert int(kept[0, 0]) == 7
        with pytest.raises(FrameOverwritten, match="frame 1 was overwritten"):
            view.check()
        with pytest.raises(FrameOverwritten):
            view.copy()


def test_latest_frame_semantics_skip_instead_of_queueing() -> None:
    with bus_config() as config, FrameRing("cam1", config) as ring, FrameConsumer("cam1", config) as consumer:
        frame = np.zeros((240, 320, 3), np.uint8)
        ring.put(frame, 0.0)
        first = consumer.next_frame(timeout=10)
        assert first is not None and first.seq == 1
        for i in range(5):
            ring.put(frame, float(i + 1))
        newest = consumer.next_frame(timeout=10)
        assert newest is not None and newest.seq == 6
        assert consumer.stats.skipped == 4 and consumer.stats.delivered == 2
        assert consumer.poll_frame() is None  # nothing newer: no backlog to work through
        assert consumer.next_frame(timeout=0.05) is None


def test_consumer_started_first_waits_for_the_producer() -> None:
    with bus_config() as config, FrameConsumer("cam1", config) as consumer:
        assert consumer.next_frame(timeout=0.05) is None
        with FrameRing("cam1", config) as ring:
            ring.put(np.zeros((10, 10), np.uint8), 1.0)
            view = consumer.next_frame(timeout=10)
            assert view is not None and view.seq == 1


def test_a_larger_frame_starts_a_new_generation_and_unlinks_the_old() -> None:
    with bus_config() as config, FrameRing("cam1", config) as ring, FrameConsumer("cam1", config) as consumer:
        ring.put(np.zeros((360, 640, 3), np.uint8), 1.0)
        small = consumer.next_frame(timeout=10)
        assert small is not None
        old_path = ring.path
        ring.put(np.ones((720, 1280, 3), np.uint8), 2.0)
        assert ring.path != old_path and old_path is not None and not old_path.exists()
        big = consumer.next_frame(timeout=10)
        assert big is not None and big.image.shape == (720, 1280, 3) and big.generation > small.generation
        assert int(small.image[0, 0, 0]) == 0  # the old mapping stays readable while a view holds it
        assert ring.copies == 2


def test_a_ring_that_may_not_grow_refuses_a_larger_frame() -> None:
    with bus_config() as config, FrameRing("cam1", config, grow=False) as ring:
        ring.put(np.zeros((100, 100), np.uint8), 1.0)
        with pytest.raises(FrameBusError, match="exceeds the ring's 10000 B slots"):
            ring.put(np.zeros((200, 100), np.uint8), 2.0)


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        ([[1, 2], [3, 4]], "got list"),
        (np.zeros((4, 4, 3), np.int64), "dtype int64"),
        (np.zeros((4,), np.uint8), r"shape \(4,\)"),
        (np.zeros((4, 4, 7), np.uint8), r"shape \(4, 4, 7\)"),
    ],
)
def test_bad_frames_are_refused_with_a_clear_error(frame: object, message: str) -> None:
    with bus_config() as config, FrameRing("cam1", config) as ring:
        with pytest.raises(FrameBusError, match=message):
            ring.put(frame, 1.0)  # type: ignore[arg-type]
        ring.put(np.zeros((4, 4), np.uint8), 1.0)  # still usable


def test_close_leaves_nothing_in_shared_memory() -> None:
    with bus_config() as config:
        ring = FrameRing("cam.1", config)
        ring.put(np.zeros((10, 10), np.uint8), 1.0)
        path = ring.path
        assert path is not None and path.exists()
        ring.close()
        ring.close()
        assert not path.exists()
        with pytest.raises(FrameBusError, match="closed"):
            ring.put(np.zeros((10, 10), np.uint8), 1.0)


def test_a_stale_segment_of_a_dead_producer_is_removed_and_a_live_one_refused() -> None:
    with bus_config() as config, FrameRing("cam1", config) as ring:
        ring.put(np.zeros((10, 10), np.uint8), 1.0)
        stale = ring.path
        assert stale is not None and ring._mapping is not None
        # Make the owner pid that of a process that has exited: the segment is now stale.
        dead = subprocess.Popen(["true"])
        dead.wait()
        ring._mapping.ring["pid"] = dead.pid
        with FrameRing("cam1", config) as second:
            assert not stale.exists()
            second.put(np.zeros((10, 10), np.uint8), 1.0)
            with pytest.raises(FrameBusError, match=rf"already has a running frame producer \(pid {os.getpid()}\)"):
                _other_process_ring(second)


def _other_process_ring(second: FrameRing) -> None:
    """A segment owned by a live process (this one, seen from a fresh ring in a child) is refused."""
    ctx = mp.get_context("spawn")
    with ctx.Pool(1) as pool:
        error = pool.apply(_try_ring, (second.config.model_dump_json(),))
    if error:
        raise FrameBusError(error)


def _try_ring(config_json: str) -> str:
    from edge.video.bus_config import BusConfig

    try:
        FrameRing("cam1", BusConfig.model_validate_json(config_json)).close()
    except FrameBusError as err:
        return str(err)
    return ""


def test_notice_wire_form_round_trips_and_rejects_garbage() -> None:
    notice = notify.Notice("cam-1", 123, 4, 99, 1.5)
    assert notify.decode(notify.encode(notice)) == notice
    with pytest.raises(FrameBusError, match="malformed frame notice of 5 bytes"):
        notify.decode(b"cam-1")


def test_next_frame_timeout_is_honoured() -> None:
    with bus_config() as config, FrameConsumer("cam1", config) as consumer:
        started = time.monotonic()
        assert consumer.next_frame(timeout=0.2) is None
        assert time.monotonic() - started >= 0.19
