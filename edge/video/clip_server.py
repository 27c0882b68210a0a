"""The node's clip server: hands recorded clips to the control room over ZeroMQ (video stays at the edge
until someone asks for a clip).

A ROUTER socket answers :class:`~edge.contract.clips.ClipRequest` messages (``[request]`` from a DEALER, or
``["", request]`` from a REQ) with ``[reply]`` or, for ``read``, ``[reply, bytes]``. Only the files a clip lists
are served. One thread, stopped by :meth:`ClipServer.stop`.
"""

from __future__ import annotations

import logging
import threading

import zmq
from pydantic import ValidationError

from edge.contract.clips import ClipReply, ClipRequest
from edge.video.clip_store import ClipStore
from edge.video.errors import RecordingError
from edge.video.zmq_context import context

log = logging.getLogger(__name__)
_POLL_MS = 200


def _split(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"clip server bind {bind!r}: use host:port (port 0: any free)")
    return host, int(port)


class ClipServer:
    """Serves one :class:`ClipStore`. The socket is bound at construction, so the endpoint is known early."""

    def __init__(self, store: ClipStore, bind: str = "127.0.0.1:0", advertise: str | None = None) -> None:
        self.store = store
        host, port = _split(bind)
        self._socket = context().socket(zmq.ROUTER)
        self._socket.setsockopt(zmq.LINGER, 0)
        if port:
            self._socket.bind(f"tcp://{host}:{port}")
        else:
            port = self._socket.bind_to_random_port(f"tcp://{host}")
        self.endpoint = advertise or f"tcp://{host}:{port}"
        self.served = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="clip-server", daemon=True)

    def start(self) -> None:
        """Start answering."""
        self._thread.start()
        log.info("clip server on %s", self.endpoint)

    def stop(self) -> None:
        """Stop the thread and close the socket."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(5)
        self._socket.close(0)

    def _run(self) -> None:
        poller = zmq.Poller()
        poller.register(self._socket, zmq.POLLIN)
        while not self._stop.is_set():
            if not poller.poll(_POLL_MS):
                continue
            frames = self._socket.recv_multipart()
            identity, body = frames[0], frames[1:]
            envelope = [identity, b""] if body and body[0] == b"" else [identity]
            request = body[-1] if body else b""
            reply, data = self.answer(request)
            parts = [reply.model_dump_json().encode()] + ([data] if data is not None else [])
            self._socket.send_multipart(envelope + parts)

    def answer(self, raw: bytes) -> tuple[ClipReply, bytes | None]:
        """The reply to one request (and the bytes of a ``read``)."""
        try:
            request = ClipRequest.model_validate_json(raw)
        except ValidationError as err:
            return ClipReply(ok=False, error=f"bad request: {err.errors()[0]['msg']}"), None
        try:
            info = self.store.get(request.clip_id)
        except RecordingError as err:
            return ClipReply(ok=False, error=str(err)), None
        if request.op == "info":
            return ClipReply(ok=True, info=info), None
        if request.file not in info.files():
            return ClipReply(ok=False, error=f"clip {info.clip_id} has no file {request.file!r}"), None
        path = self.store.folder(info.camera, info.clip_id) / request.file
        try:
            with path.open("rb") as f:
                size = f.seek(0, 2)
                f.seek(request.offset)
                data = f.read(request.length)
        except OSError as err:
            return ClipReply(ok=False, error=f"cannot read {request.file}: {err.strerror}"), None
        self.served += 1
        eof = request.offset + len(data) >= size
        return ClipReply(ok=True, size=size, offset=request.offset, eof=eof), data
