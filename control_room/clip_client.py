"""Fetching recorded clips from an edge node's clip server over ZeroMQ (the video stays at the edge until an
operator asks for it)."""

from __future__ import annotations

from collections.abc import Iterator

import zmq
from pydantic import ValidationError

from control_room.errors import ControlRoomError
from edge.contract.clips import READ_LIMIT, ClipInfo, ClipReply, ClipRequest

TIMEOUT_S = 10.0


class ClipUnavailable(ControlRoomError):
    """The edge did not hand over the clip (node unreachable, clip deleted, file unreadable)."""


class ClipClient:
    """One edge node's clip server. Each call uses a fresh DEALER socket, so a lost reply never wedges it."""

    def __init__(self, endpoint: str, timeout_s: float = TIMEOUT_S) -> None:
        self.endpoint = endpoint
        self.timeout_ms = int(timeout_s * 1000)

    def _ask(self, request: ClipRequest) -> tuple[ClipReply, bytes | None]:
        sock: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.DEALER)
        sock.setsockopt(zmq.LINGER, 0)
        try:
            sock.connect(self.endpoint)
            sock.send(request.model_dump_json().encode())
            if not sock.poll(self.timeout_ms):
                raise ClipUnavailable(f"the edge's clip server at {self.endpoint} did not answer")
            frames = sock.recv_multipart()
        finally:
            sock.close(0)
        try:
            reply = ClipReply.model_validate_json(frames[0])
        except ValidationError as err:
            raise ClipUnavailable(f"the edge's clip server sent a malformed reply: {err.errors()[0]['msg']}") from err
        if not reply.ok:
            raise ClipUnavailable(reply.error or "the edge refused the request")
        return reply, frames[1] if len(frames) > 1 else None

    def info(self, clip_id: str) -> ClipInfo:
        """The clip's metadata as the edge has it now."""
        reply, _ = self._ask(ClipRequest(op="info", clip_id=clip_id))
        if reply.info is None:
            raise ClipUnavailable("the edge's clip server sent no clip description")
        return reply.info

    def read(self, clip_id: str, file: str, offset: int = 0, length: int = READ_LIMIT) -> tuple[bytes, int, bool]:
        """Up to ``length`` bytes of one file from ``offset``: ``(data, file size, end of file)``."""
        reply, data = self._ask(ClipRequest(op="read", clip_id=clip_id, file=file, offset=offset, length=length))
        return data or b"", reply.size or 0, reply.eof

    def chunks(self, clip_id: str, file: str, start: int = 0, end: int | None = None) -> Iterator[bytes]:
        """The file's bytes from ``start`` up to ``end`` (exclusive; None: to the end), a chunk at a time."""
        offset = start
        while end is None or offset < end:
            length = READ_LIMIT if end is None else min(READ_LIMIT, end - offset)
            data, _, eof = self.read(clip_id, file, offset, length)
            if data:
                yield data
            offset += len(data)
            if eof or not data:
                return

    def fetch(self, clip_id: str, file: str, max_bytes: int) -> bytes:
        """A whole file (refused when it is larger than ``max_bytes``)."""
        first, size, eof = self.read(clip_id, file)
        if size > max_bytes:
            raise ClipUnavailable(f"{file} of clip {clip_id} is {size} B, more than the {max_bytes} B allowed")
        parts = [first]
        if not eof:
            parts.extend(self.chunks(clip_id, file, len(first)))
        data = b"".join(parts)
        if len(data) != size:
            raise ClipUnavailable(f"{file} of clip {clip_id} changed while it was fetched")
        return data
