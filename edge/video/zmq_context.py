"""The one ZeroMQ context of this process (a context per socket wastes I/O threads)."""

from __future__ import annotations

import zmq


def context() -> zmq.Context[zmq.Socket[bytes]]:
    """This process's shared ZeroMQ context (pyzmq makes a fresh one after a fork)."""
    return zmq.Context.instance()
