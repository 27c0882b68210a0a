"""Where a camera worker hands decoded frames: the ``FrameSink`` interface.

The per-camera shared-memory ring implements it (one copy, into shared memory). The array given to :meth:`put`
belongs to the worker and is overwritten by the next decode: a sink copies what it keeps and never holds on to
the array itself. ``put`` is called from the worker's capture loop and must not block for long: a sink that
cannot keep up drops (latest-frame semantics), it does not queue.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

Frame = npt.NDArray[np.uint8]


@runtime_checkable
class FrameSink(Protocol):
    """Receives every decoded frame of one camera: BGR ``uint8`` array ``(height, width, 3)``, wall-clock ``ts``."""

    def put(self, frame: Frame, ts: float) -> None:
        """Take (copy) one frame."""
        ...


SinkFactory = Callable[[], FrameSink]
"""Builds the sink inside the worker process (so it must be picklable: a class or a module-level function)."""


class NullSink:
    """Discards frames (a camera watched only for health, and the ingest benchmark's worker)."""

    def put(self, frame: Frame, ts: float) -> None:
        """Drop the frame."""


def close_sink(sink: FrameSink) -> None:
    """Call the sink's ``close()`` when it has one (the worker does this on exit)."""
    close = getattr(sink, "close", None)
    if callable(close):
        close()
