"""ZeroMQ announcements of new frames: ``(camera, generation, slot, seq, ts)``, nothing else.

Frames never travel over ZeroMQ on the same host; a notification only tells a consumer which slot of which
ring generation to look at. Messages are single-part so a subscriber can set ``ZMQ_CONFLATE`` and keep only
the newest one: a slow consumer skips frames instead of building a queue.
"""

from __future__ import annotations

import contextlib
import struct
from dataclasses import dataclass
from pathlib import Path

import zmq

from edge.video.errors import FrameBusError
from edge.video.zmq_context import context

_BODY = struct.Struct("<QQQd")


@dataclass(frozen=True)
class Notice:
    """One announced frame."""

    camera: str
    generation: int
    slot: int
    seq: int
    ts: float


def encode(notice: Notice) -> bytes:
    """Wire form: ``camera NUL`` then generation, slot, seq (u64) and ts (f64), little-endian."""
    return notice.camera.encode() + b"\0" + _BODY.pack(notice.generation, notice.slot, notice.seq, notice.ts)


def decode(message: bytes) -> Notice:
    """Parse :func:`encode`'s bytes; a malformed message raises :class:`FrameBusError`."""
    camera, sep, body = message.partition(b"\0")
    if not sep or len(body) != _BODY.size:
        raise FrameBusError(f"malformed frame notice of {len(message)} bytes")
    generation, slot, seq, ts = _BODY.unpack(body)
    return Notice(camera.decode(errors="replace"), generation, slot, seq, ts)


def topic(camera: str) -> bytes:
    """Subscription prefix selecting one camera's notices."""
    return camera.encode() + b"\0"


class NoticePublisher:
    """The PUB socket on which one camera's producer announces frames."""

    def __init__(self, endpoint: str) -> None:
        self._ipc_path = Path(endpoint[len("ipc://") :]) if endpoint.startswith("ipc://") else None
        if self._ipc_path is not None:
            self._ipc_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._socket = context().socket(zmq.PUB)
        self._socket.setsockopt(zmq.SNDHWM, 4)
        self._socket.setsockopt(zmq.LINGER, 0)
        try:
            self._socket.bind(endpoint)
        except zmq.ZMQError as err:
            self._socket.close()
            raise FrameBusError(f"cannot bind frame notices on {endpoint}: {err}") from err
        self.endpoint = endpoint

    def publish(self, notice: Notice) -> None:
        """Announce a frame; never blocks (a subscriber that is behind simply misses notices)."""
        with contextlib.suppress(zmq.Again):
            self._socket.send(encode(notice), zmq.NOBLOCK)

    def close(self) -> None:
        """Close the socket and remove its ipc file (libzmq leaves it behind)."""
        self._socket.close()
        if self._ipc_path is not None:
            self._ipc_path.unlink(missing_ok=True)


def subscriber(endpoint: str, camera: str) -> zmq.Socket[bytes]:
    """A SUB socket on ``endpoint`` that keeps only the newest notice for ``camera`` (CONFLATE)."""
    sock = context().socket(zmq.SUB)
    sock.setsockopt(zmq.CONFLATE, 1)
    sock.setsockopt(zmq.LINGER, 0)
    sock.setsockopt(zmq.SUBSCRIBE, topic(camera))
    sock.connect(endpoint)
    return sock
