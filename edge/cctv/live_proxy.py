"""Live view, edge side: one ZeroMQ proxy per node between the camera workers and the control room.

Workers' XPUB sockets connect to the proxy's XSUB (loopback, any free port); the control room's SUB sockets
connect to the proxy's XPUB (the advertised endpoint). Subscriptions flow back through the proxy to the workers,
so a camera encodes live JPEGs only while someone watches it. The proxy runs in one thread and is stopped
through its control socket.
"""

from __future__ import annotations

import logging
import threading
import uuid

import zmq

log = logging.getLogger(__name__)


def _split(bind: str) -> tuple[str, int]:
    host, _, port = bind.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"live view bind {bind!r}: use host:port (port 0: any free)")
    return host, int(port)


class LiveProxy:
    """XSUB (workers) ⇄ XPUB (control rooms), with a steerable stop."""

    def __init__(self, bind: str = "127.0.0.1:0", advertise: str | None = None) -> None:
        self._ctx: zmq.Context[zmq.Socket[bytes]] = zmq.Context.instance()
        host, port = _split(bind)
        self._front: zmq.Socket[bytes] = self._ctx.socket(zmq.XPUB)
        self._back: zmq.Socket[bytes] = self._ctx.socket(zmq.XSUB)
        for sock in (self._front, self._back):
            sock.setsockopt(zmq.LINGER, 0)
        self._front.setsockopt(zmq.SNDHWM, 8)
        if port:
            self._front.bind(f"tcp://{host}:{port}")
        else:
            port = self._front.bind_to_random_port(f"tcp://{host}")
        worker_port = self._back.bind_to_random_port("tcp://127.0.0.1")
        self.worker_endpoint = f"tcp://127.0.0.1:{worker_port}"
        """Where camera workers connect their XPUB sockets."""
        self.endpoint = advertise or f"tcp://{host}:{port}"
        """Where control rooms connect (advertised in each camera's capabilities)."""
        self._control_address = f"inproc://cctv-live-control-{uuid.uuid4().hex}"
        self._control: zmq.Socket[bytes] = self._ctx.socket(zmq.PAIR)
        self._control.bind(self._control_address)
        self._thread = threading.Thread(target=self._run, name="cctv-live-proxy", daemon=True)

    def start(self) -> None:
        """Run the proxy thread."""
        self._thread.start()
        log.info("live view on %s (workers on %s)", self.endpoint, self.worker_endpoint)

    def _run(self) -> None:
        peer: zmq.Socket[bytes] = self._ctx.socket(zmq.PAIR)
        peer.connect(self._control_address)
        try:
            zmq.proxy_steerable(self._front, self._back, None, peer)
        except zmq.ContextTerminated:
            pass
        finally:
            peer.close(0)

    def stop(self) -> None:
        """Stop the proxy and close its sockets."""
        if self._thread.is_alive():
            self._control.send(b"TERMINATE")
            self._thread.join(5)
        for sock in (self._control, self._front, self._back):
            sock.close(0)
