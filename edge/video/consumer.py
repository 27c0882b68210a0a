"""A same-host frame consumer with latest-frame semantics: it skips what it was too slow to see, never queues."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

import zmq

from edge.video.bus_config import BusConfig, check_camera_id
from edge.video.errors import FrameBusError, RingLayoutError
from edge.video.notify import Notice, decode, subscriber
from edge.video.reader import FrameView, RingReader
from edge.video.ring import pid_alive

log = logging.getLogger(__name__)

_FALLBACK_S = 0.1
_MAX_WAIT_S = 0.02


@dataclass
class ConsumerStats:
    """What a consumer saw: frames delivered, frames it skipped, notices that were malformed."""

    delivered: int = 0
    skipped: int = 0
    bad_notices: int = 0
    reattached: int = 0


class FrameConsumer:
    """Hands out the newest frame of one camera as a zero-copy :class:`FrameView`.

    ZeroMQ notices (a CONFLATE subscriber: at most one waits) only wake the consumer; the frame to read is always
    the ring's newest, so a consumer that falls behind jumps to the present and counts what it skipped. The
    producer announces a frame just before copying it, so a consumer woken mid-copy waits (at most
    ``max_wait_s``, yielding the CPU) for the slot's seqlock to show the whole frame. A new ring
    generation (producer restarted, or frame size grew) is picked up from the notice or from ``shm_dir``.
    """

    def __init__(self, camera: str, config: BusConfig | None = None) -> None:
        self.camera = check_camera_id(camera)
        self.config = config or BusConfig()
        self.stats = ConsumerStats()
        self._reader: RingReader | None = None
        self._announced: Notice | None = None
        self._last_seq = 0
        self.max_wait_s = _MAX_WAIT_S
        self._socket = subscriber(self.config.endpoint(camera), camera)
        self._poller = zmq.Poller()
        self._poller.register(self._socket, zmq.POLLIN)

    @property
    def socket(self) -> zmq.Socket[bytes]:
        """The notice socket, for callers that poll many cameras at once."""
        return self._socket

    @property
    def reader(self) -> RingReader | None:
        """The ring generation currently mapped (None before the producer's first frame)."""
        return self._reader

    def next_frame(self, timeout: float = 1.0) -> FrameView | None:
        """The newest frame not yet delivered, waiting up to ``timeout`` seconds; None if none came."""
        deadline = time.monotonic() + timeout
        while True:
            view = self._newest()
            if view is not None:
                return view
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            # Notices published before our subscription reached the producer are lost (ZeroMQ's slow joiner),
            # so wake up now and then to look at the ring itself.
            if self._poller.poll(max(1, int(min(remaining, _FALLBACK_S) * 1000))):
                self._drain()

    def poll_frame(self) -> FrameView | None:
        """Non-blocking :meth:`next_frame`: drain pending notices, then return the newest undelivered frame."""
        self._drain()
        return self._newest()

    def _drain(self) -> None:
        while True:
            try:
                message = self._socket.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            try:
                notice = decode(message)
            except FrameBusError:
                self.stats.bad_notices += 1
                continue
            if self._reader is None or notice.generation != self._reader.generation:
                path = self.config.shm_dir / self.config.segment_name(self.camera, notice.generation)
                self._attach(path)
            self._announced = notice

    def _newest(self) -> FrameView | None:
        if self._reader is None or not self._reader.mapping.path.exists() or not pid_alive(self._reader.producer_pid):
            self._discover()
        if self._reader is None:
            return None
        view = self._reader.latest()
        announced = self._announced
        if (
            announced is not None
            and announced.generation == self._reader.generation
            and announced.seq > max(self._last_seq, view.seq if view else 0)
        ):
            awaited = self._await(announced)
            if awaited is None:
                self._announced = None  # lapped, or the producer stopped mid-copy: do not wait for it again
            view = awaited or view
        if view is None or view.seq <= self._last_seq:
            return None
        if self._last_seq:
            self.stats.skipped += max(0, view.seq - self._last_seq - 1)
        self._last_seq = view.seq
        self.stats.delivered += 1
        return view

    def _await(self, notice: Notice) -> FrameView | None:
        """Wait (yielding the CPU) while the producer finishes copying the announced frame into its slot."""
        reader = self._reader
        assert reader is not None
        deadline = time.monotonic() + self.max_wait_s
        while True:
            view = reader.read(notice.slot)
            if view is not None and view.seq >= notice.seq:
                return view if view.seq == notice.seq else None
            if time.monotonic() > deadline:
                return None
            os.sched_yield()

    def _discover(self) -> None:
        paths = sorted(self.config.shm_dir.glob(self.config.segment_glob(self.camera)))
        if paths and (self._reader is None or paths[-1] != self._reader.mapping.path):
            self._attach(paths[-1])

    def _attach(self, path: Path) -> None:
        try:
            reader = RingReader(self.camera, path)
        except (OSError, RingLayoutError) as err:
            log.debug("camera %s: ring %s not readable yet: %s", self.camera, path.name, err)
            return
        if self._reader is not None:
            if reader.generation <= self._reader.generation:
                reader.close()
                return
            self._reader.close()
            self.stats.reattached += 1
        self._reader = reader
        self._last_seq = 0

    def close(self) -> None:
        """Close the notice socket and unmap the ring (views still held stay valid until dropped)."""
        self._poller.unregister(self._socket)
        self._socket.close()
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def __enter__(self) -> FrameConsumer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
