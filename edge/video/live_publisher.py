"""Live view, worker side: JPEG frames of one camera on ZeroMQ, encoded only while someone is subscribed.

The worker's XPUB socket connects to the edge's live proxy (XSUB ⇄ XPUB). Subscriptions travel up from the
control room through the proxy, so the worker sees ``\\x01topic`` when the first viewer of its camera arrives and
``\\x00topic`` when the last one leaves, and spends no CPU on JPEG otherwise. A full send queue drops the frame
(latest-frame semantics; a slow link never builds a backlog).
"""

from __future__ import annotations

import json
import logging
import time
from datetime import UTC, datetime

import cv2
import numpy as np
import numpy.typing as npt
import zmq

from edge.contract.cctv import live_topic

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
SEND_HWM = 4


def scaled_jpeg(frame: Frame, max_width: int, quality: int) -> tuple[bytes, int, int]:
    """``(JPEG, width, height)`` of ``frame`` scaled down to at most ``max_width`` pixels wide."""
    height, width = frame.shape[:2]
    if width > max_width:
        height = max(1, round(height * max_width / width))
        width = max_width
        frame = cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)  # type: ignore[assignment]
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise ValueError("JPEG encoding failed")
    return buf.tobytes(), width, height


class LivePublisher:
    """Publishes ``[topic, header JSON, JPEG]`` for one camera while its topic has subscribers."""

    def __init__(self, camera: str, endpoint: str, max_fps: float = 10.0, max_width: int = 1280, quality: int = 80):
        self.camera = camera
        self.topic = live_topic(camera)
        self.min_interval = 1.0 / max_fps
        self.max_width, self.quality = max_width, quality
        self.watched = False
        self.seq = 0
        self._last_sent = 0.0
        self._socket: zmq.Socket[bytes] = zmq.Context.instance().socket(zmq.XPUB)
        self._socket.setsockopt(zmq.SNDHWM, SEND_HWM)
        self._socket.setsockopt(zmq.LINGER, 0)
        self._socket.connect(endpoint)

    def _poll_subscriptions(self) -> None:
        while True:
            try:
                message = self._socket.recv(zmq.NOBLOCK)
            except zmq.Again:
                return
            if message[1:] == self.topic and message[:1] in (b"\x00", b"\x01"):
                watched = message[:1] == b"\x01"
                if watched != self.watched:
                    log.info("camera %s: live view %s", self.camera, "watched" if watched else "no longer watched")
                    self.watched = watched
                    self._last_sent = 0.0  # the first viewer gets the next frame at once

    def offer(self, frame: Frame, ts: float) -> bool:
        """Publish ``frame`` if someone watches and the live rate allows; True when it was sent."""
        self._poll_subscriptions()
        now = time.monotonic()
        if not self.watched or now - self._last_sent < self.min_interval:
            return False
        jpeg, width, height = scaled_jpeg(frame, self.max_width, self.quality)
        header = {
            "camera": self.camera,
            "seq": self.seq,
            "ts": datetime.fromtimestamp(ts, UTC).isoformat(),
            "width": width,
            "height": height,
        }
        try:
            self._socket.send_multipart([self.topic, json.dumps(header).encode(), jpeg], zmq.NOBLOCK)
        except zmq.Again:
            return False  # the proxy is not keeping up: drop this frame
        self.seq += 1
        self._last_sent = now
        return True

    def close(self) -> None:
        """Close the socket."""
        self._socket.close(0)
