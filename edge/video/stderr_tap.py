"""Capture what native code (FFmpeg inside OpenCV) writes to file descriptor 2 in a worker process.

OpenCV gives no decode-error count, but its FFmpeg logs every damaged picture at error level
(``[h264 @ 0x...] error while decoding MB 17 16``). The tap points fd 2 at a pipe, counts the decoder's lines
and hands every line, redacted, to a callback; nothing native reaches the real stderr unredacted.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Callable

from drivers.camera.redact import redact

# "[h264 @ 0x5619...] msg": a message from a codec context. Demuxer/protocol contexts (rtsp, tcp, http,
# mpjpeg, ...) are transport messages, not decode errors.
_CONTEXT = re.compile(r"^\[(?P<ctx>[A-Za-z0-9_]+) @ 0x[0-9a-f]+\]\s*(?P<msg>.*)$")
DECODERS = frozenset({"h264", "hevc", "mjpeg", "mpeg4", "h263", "vp8", "vp9", "av1", "mpeg2video", "jpeg2000"})
# Lines that come in pairs with the one before (one damaged macroblock row = one error)
_FOLLOW_UPS = ("error while decoding MB", "concealing")


def is_decode_error(line: str) -> bool:
    """Whether an FFmpeg log line reports a damaged picture (one count per damage, follow-up lines excluded)."""
    m = _CONTEXT.match(line.strip())
    if m is None or m.group("ctx") not in DECODERS:
        return False
    return not m.group("msg").startswith(_FOLLOW_UPS)


class StderrTap:
    """Redirects fd 2 into a pipe read by a thread; ``on_line(line, is_decode_error)`` sees every line."""

    def __init__(self, on_line: Callable[[str, bool], None]) -> None:
        self.on_line = on_line
        self._saved_fd: int | None = None
        self._read_fd: int | None = None
        self._thread: threading.Thread | None = None

    @property
    def original_stderr_fd(self) -> int | None:
        """A duplicate of the real stderr (for last-resort messages), while the tap is installed."""
        return self._saved_fd

    def start(self) -> None:
        """Install the tap."""
        read_fd, write_fd = os.pipe()
        self._saved_fd = os.dup(2)
        os.dup2(write_fd, 2)
        os.close(write_fd)
        self._read_fd = read_fd
        self._thread = threading.Thread(target=self._run, name="stderr-tap", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        assert self._read_fd is not None
        with os.fdopen(self._read_fd, "rb", buffering=0) as pipe:
            pending = b""
            while True:
                chunk = pipe.read(65536)
                if not chunk:
                    break
                pending += chunk
                *lines, pending = pending.split(b"\n")
                for raw in lines:
                    line = redact(raw.decode("utf-8", "replace").rstrip("\r"))
                    if line.strip():
                        self.on_line(line, is_decode_error(line))

    def stop(self) -> None:
        """Put the real stderr back; the reader thread ends at the pipe's EOF."""
        if self._saved_fd is None:
            return
        os.dup2(self._saved_fd, 2)  # closes the pipe's last write end: the reader sees EOF
        os.close(self._saved_fd)
        self._saved_fd = None
        if self._thread is not None:
            self._thread.join(5)
