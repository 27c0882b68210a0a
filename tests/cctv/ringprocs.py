"""A frame producer in its own process (spawned), driven over a pipe, for the cross-process ring tests."""

from __future__ import annotations

import itertools
import multiprocessing as mp
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from edge.video.bus_config import BusConfig

_counter = itertools.count()


@contextmanager
def bus_config(slots: int = 8) -> Iterator[BusConfig]:
    """A private frame bus (own name prefix and socket folder); checks that nothing is left behind."""
    runtime = Path(tempfile.mkdtemp(prefix="ce-bus-"))
    config = BusConfig(runtime_dir=runtime, prefix=f"t{os.getpid()}n{next(_counter)}", slots=slots)
    try:
        yield config
    finally:
        leftovers = sorted(p.name for p in config.shm_dir.glob(f"{config.prefix}.*"))
        sockets = sorted(p.name for p in runtime.iterdir())
        for name in leftovers:
            (config.shm_dir / name).unlink(missing_ok=True)
        shutil.rmtree(runtime, ignore_errors=True)
        assert not leftovers, f"shared memory left in {config.shm_dir}: {leftovers}"
        assert not sockets, f"ipc sockets left in {runtime}: {sockets}"


def frame_for(seq: int, shape: tuple[int, ...]) -> np.ndarray[Any, Any]:
    """A frame whose every byte tells which frame it is (a torn frame mixes two values)."""
    return np.full(shape, seq % 251, dtype=np.uint8)


def _serve(conn: Connection, camera: str, config_json: str, shape: tuple[int, ...]) -> None:
    from edge.video.ring import FrameRing

    ring = FrameRing(camera, BusConfig.model_validate_json(config_json))
    conn.send(("ready", os.getpid()))
    try:
        while True:
            command, *args = conn.recv()
            if command == "put":
                ring.put(frame_for(ring.seq + 1, shape), time.time())
                conn.send(ring.seq)
            elif command == "run":
                count, interval = args
                next_at = time.monotonic()
                for _ in range(count):
                    ring.put(frame_for(ring.seq + 1, shape), time.time())
                    next_at += interval
                    delay = next_at - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                conn.send(ring.seq)
            elif command == "scene":
                # (name or SceneSpec, width, height, fps, speed[, t0]): frames stamped t0 + scene time
                spec, width, height, fps, speed, *rest = args
                from simulators.scenes import Scene, make_scene

                scene = make_scene(spec, width, height) if isinstance(spec, str) else Scene(spec, width, height)
                t0 = rest[0] if rest else 0.0
                start = time.monotonic()
                for i in range(int(scene.duration * fps)):
                    delay = start + i / fps / speed - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                    ring.put(scene(i / fps), t0 + i / fps)
                conn.send(ring.seq)
            elif command == "copies":
                conn.send(ring.copies)
            elif command == "stop":
                ring.close()
                conn.send("stopped")
                return
    finally:
        ring.close()


@dataclass
class Producer:
    """Handle on a spawned producer process."""

    process: mp.process.BaseProcess
    conn: Connection
    pid: int

    def call(self, *command: Any, timeout: float = 60.0) -> Any:
        """Send a command and wait for its answer."""
        self.conn.send(command)
        if not self.conn.poll(timeout):
            raise TimeoutError(f"producer did not answer {command[0]!r} within {timeout} s")
        return self.conn.recv()

    def start_call(self, *command: Any) -> None:
        """Send a command without waiting (collect the answer with :meth:`answer`)."""
        self.conn.send(command)

    def answer(self, timeout: float = 60.0) -> Any:
        """The answer to the last :meth:`start_call`."""
        if not self.conn.poll(timeout):
            raise TimeoutError(f"producer did not answer within {timeout} s")
        return self.conn.recv()


@contextmanager
def producer(camera: str, config: BusConfig, shape: tuple[int, ...]) -> Iterator[Producer]:
    """Spawn a producer process for ``camera``; stopped (cleanly, else killed) on exit."""
    ctx = mp.get_context("spawn")
    parent, child = ctx.Pipe()
    process = ctx.Process(target=_serve, args=(child, camera, config.model_dump_json(), shape), daemon=True)
    process.start()
    child.close()
    if not parent.poll(60):
        process.kill()
        raise TimeoutError("producer process did not start")
    _, pid = parent.recv()
    handle = Producer(process, parent, pid)
    try:
        yield handle
    finally:
        if process.is_alive():
            try:
                handle.call("stop", timeout=30)
            except (OSError, EOFError, TimeoutError):
                process.kill()
        process.join(30)
        if process.is_alive():
            process.kill()
            process.join()
        parent.close()
