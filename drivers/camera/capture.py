"""Reading a camera through OpenCV's FFmpeg backend: RTSP (TCP forced), HTTP MJPEG, local files (looped).

Blocking by design: a capture lives in its own worker process, where a hung decoder harms nobody else. Frames are
decoded into a caller-owned buffer that is reused while the resolution holds, so the steady state allocates
nothing per frame.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from drivers.camera.diagnose import demuxer_options, diagnose_open
from drivers.camera.errors import CameraTimeout, StreamError
from drivers.camera.urls import SourceUrl

log = logging.getLogger(__name__)

Frame = npt.NDArray[np.uint8]
_ENV_OPTIONS = "OPENCV_FFMPEG_CAPTURE_OPTIONS"
_env_lock = threading.Lock()


@dataclass(frozen=True)
class StreamInfo:
    """What the decoder reports about an opened source."""

    width: int
    height: int
    fps: float | None
    """Nominal frame rate, when the source declares one (MJPEG over HTTP usually does not)."""
    codec: str


def _fourcc(value: float) -> str:
    code = int(value)
    text = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4))
    return text.strip("\x00 ").lower() or "unknown"


class Capture:
    """One source opened with ``cv2.CAP_FFMPEG``; :meth:`read` returns the next BGR frame."""

    def __init__(
        self,
        source: SourceUrl,
        *,
        open_timeout_s: float = 10.0,
        read_timeout_s: float = 10.0,
        decoder_threads: int = 0,
        loop_files: bool = True,
        pace_files: bool = True,
    ) -> None:
        self.source = source
        self.open_timeout_s = open_timeout_s
        self.read_timeout_s = read_timeout_s
        self.decoder_threads = decoder_threads
        self.loop_files = loop_files
        self.pace_files = pace_files
        self.info: StreamInfo | None = None
        self._cap: cv2.VideoCapture | None = None
        self._file_clock: float | None = None
        self._file_index = 0

    def open(self) -> StreamInfo:
        """Open the source; raises :class:`CameraAuthFailed`, :class:`CameraUnreachable`,
        :class:`CameraTimeout` or :class:`StreamError` (with the reason libavformat gives)."""
        self.close()
        if self.source.is_file and not os.path.isfile(self.source.address):
            raise StreamError(f"{self.source}: no such file")
        params = [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC,
            int(self.open_timeout_s * 1000),
            cv2.CAP_PROP_READ_TIMEOUT_MSEC,
            int(self.read_timeout_s * 1000),
        ]
        if self.decoder_threads:
            params += [cv2.CAP_PROP_N_THREADS, self.decoder_threads]
        options = "|".join(f"{k};{v}" for k, v in demuxer_options(self.source).items())
        with _env_lock:  # OpenCV reads its FFmpeg options from the environment at open time
            previous = os.environ.get(_ENV_OPTIONS)
            if options:
                os.environ[_ENV_OPTIONS] = options
            else:
                os.environ.pop(_ENV_OPTIONS, None)
            try:
                cap = cv2.VideoCapture(self.source.for_decoder(), cv2.CAP_FFMPEG, params)
            finally:
                if previous is None:
                    os.environ.pop(_ENV_OPTIONS, None)
                else:
                    os.environ[_ENV_OPTIONS] = previous
        if not cap.isOpened():
            cap.release()
            raise diagnose_open(self.source, min(self.open_timeout_s, 5.0)) or StreamError(
                f"{self.source}: OpenCV's FFmpeg backend could not open the stream"
            )
        fps = cap.get(cv2.CAP_PROP_FPS)
        self.info = StreamInfo(
            width=int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            height=int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
            fps=fps if 0 < fps < 1000 and self.source.scheme != "http" else None,
            codec=_fourcc(cap.get(cv2.CAP_PROP_FOURCC)),
        )
        self._cap = cap
        self._file_clock = None
        self._file_index = 0
        return self.info

    def read(self, out: Frame | None = None) -> Frame:
        """The next frame, decoded into ``out`` when it has the right shape (else a new array is returned).

        Files loop at their end and are paced at their frame rate. A network stream that ends or times out
        raises :class:`StreamError` / :class:`CameraTimeout`; the caller reopens.
        """
        if self._cap is None:
            raise StreamError(f"{self.source}: read before open")
        if self.source.is_file and self.pace_files:
            self._pace()
        started = time.monotonic()
        ok, frame = self._cap.read(out)
        if not ok and self.source.is_file and self.loop_files:
            self._rewind()
            ok, frame = self._cap.read(out)
        if not ok or frame is None:
            if time.monotonic() - started >= self.read_timeout_s * 0.9:
                raise CameraTimeout(f"{self.source}: no frame within {self.read_timeout_s:g} s")
            raise StreamError(f"{self.source}: the stream ended")
        return frame  # type: ignore[return-value]  # OpenCV's stubs type every image as a generic ndarray

    def _rewind(self) -> None:
        assert self._cap is not None
        if not self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            self._cap.release()
            self._cap = None
            self.open()

    def _pace(self) -> None:
        fps = self.info.fps if self.info and self.info.fps else 25.0
        now = time.monotonic()
        if self._file_clock is None:
            self._file_clock = now
        due = self._file_clock + self._file_index / fps
        if due > now:
            time.sleep(due - now)
        elif now - due > 1.0:  # fell far behind (machine busy): restart the clock instead of racing
            self._file_clock, self._file_index = now, 0
        self._file_index += 1

    def close(self) -> None:
        """Release the decoder and connection."""
        if self._cap is not None:
            self._cap.release()
            self._cap = None

    def __enter__(self) -> Capture:
        self.open()
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
