"""Frame ring across processes: a spawned producer (as a camera worker would be) and consumers here."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
from ringprocs import bus_config, frame_for, producer

from edge.video.consumer import FrameConsumer
from edge.video.ring import FrameRing

SHAPE_720_GRAY = (720, 1280)


def test_zero_copy_across_processes() -> None:
    """The consumer's view is the producer's shared memory: it changes when the producer rewrites the slot."""
    with (
        bus_config(slots=2) as config,
        producer("cam1", config, (1080, 1920, 3)) as prod,
        FrameConsumer("cam1", config) as consumer,
    ):
        assert prod.call("put") == 1
        view = consumer.next_frame(timeout=30)
        assert view is not None and view.seq == 1 and int(view.image[5, 5, 0]) == 1
        reader = consumer.reader
        assert reader is not None and reader.producer_pid == prod.pid != os.getpid()
        assert np.shares_memory(view.image, reader.mapping.base) and not view.image.flags.owndata
        assert prod.call("put") == 2 and prod.call("put") == 3  # frame 3 reuses frame 1's slot
        assert int(view.image[5, 5, 0]) == 3 and not view.intact()
        assert reader.copies == 3 == prod.call("copies")  # exactly one copy per frame, made by the producer


def test_a_slow_consumer_skips_to_the_newest_frame() -> None:
    with (
        bus_config() as config,
        producer("cam1", config, (360, 640, 3)) as prod,
        FrameConsumer("cam1", config) as consumer,
    ):
        assert prod.call("put") == 1
        assert consumer.next_frame(timeout=30) is not None
        prod.start_call("run", 300, 0.002)
        seen: list[int] = []
        while not prod.conn.poll(0):
            view = consumer.next_frame(timeout=5)
            if view is None:
                continue
            seen.append(view.seq)
            time.sleep(0.03)  # the consumer's own work: much slower than the producer's 2 ms per frame
        last = prod.answer()
        assert last == 301
        final = consumer.next_frame(timeout=5)
        if final is not None:
            seen.append(final.seq)
        assert seen[-1] == last  # caught up with the present, not working through a backlog
        assert seen == sorted(set(seen))
        assert len(seen) < 150 and consumer.stats.skipped > 100
        assert consumer.stats.delivered + consumer.stats.skipped == last


def test_every_frame_reported_intact_is_whole_while_the_producer_laps_the_reader() -> None:
    """Seqlock check under contention: a 2-slot ring rewritten at full speed while the consumer reads."""
    with (
        bus_config(slots=2) as config,
        producer("cam1", config, SHAPE_720_GRAY) as prod,
        FrameConsumer("cam1", config) as consumer,
    ):
        prod.call("put")
        prod.start_call("run", 1500, 0.0005)
        whole = torn_caught = torn_missed = reads = 0
        while not prod.conn.poll(0):
            view = consumer.next_frame(timeout=5)
            if view is None:
                continue
            reads += 1
            top = int(view.image[0].min())
            if reads % 2:
                time.sleep(0.001)  # every other read takes its time between the top and the bottom row
            bottom = int(view.image[-1].max())
            consistent = top == bottom == view.seq % 251
            if view.intact():
                whole += 1
                torn_missed += not consistent
            else:
                torn_caught += 1
        prod.answer()
        assert torn_missed == 0
        assert whole > 0 and torn_caught > 0
        print(f"whole {whole}, overwritten while read {torn_caught}")


def test_a_crashed_producer_is_replaced_and_consumers_follow() -> None:
    with bus_config() as config, FrameConsumer("cam1", config) as consumer:
        with producer("cam1", config, (120, 160)) as first:
            first.call("put")
            first.call("put")
            view = consumer.next_frame(timeout=30)
            assert view is not None and view.seq == 2
            old_generation = view.generation
            os.kill(first.pid, signal.SIGKILL)
            first.process.join(30)
            del view
        leftovers = list(config.shm_dir.glob(config.segment_glob("cam1")))
        assert len(leftovers) == 1  # a crash leaves its segment ...
        with FrameRing("cam1", config) as ring:  # ... which the next producer removes
            assert not leftovers[0].exists()
            ring.put(frame_for(1, (120, 160)), 1.0)
            view = consumer.next_frame(timeout=30)
            assert view is not None and view.seq == 1 and view.generation > old_generation
            assert consumer.stats.reattached == 1


def test_a_camera_worker_builds_the_ring_from_a_pickled_factory() -> None:
    """The camera worker process receives a sink factory, builds the ring there and puts frames into it."""
    import multiprocessing as mp

    from edge.video.ring import ring_sink_factory

    with bus_config() as config, FrameConsumer("cam1", config) as consumer:
        ctx = mp.get_context("spawn")
        seen = ctx.Event()
        process = ctx.Process(target=_worker_with_sink, args=(ring_sink_factory("cam1", config), seen))
        process.start()
        view = consumer.next_frame(timeout=60)
        assert view is not None and int(view.image[0, 0, 0]) == 7 and view.image.shape == (48, 64, 3)
        seen.set()
        process.join(60)
        assert process.exitcode == 0


def _worker_with_sink(factory, seen) -> None:  # type: ignore[no-untyped-def]
    sink = factory()
    try:
        sink.put(np.full((48, 64, 3), 7, np.uint8), time.time())
        seen.wait(60)  # until the consumer has it
    finally:
        sink.close()
