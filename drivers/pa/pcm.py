"""16-bit PCM audio as the TTS produces it and the line output plays it; WAV parsing and writing. Pure."""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.pa.errors import SpeechFailed


@dataclass(frozen=True)
class Pcm:
    """Signed 16-bit little-endian mono samples at ``rate`` Hz."""

    rate: int
    data: bytes

    @property
    def frames(self) -> int:
        return len(self.data) // 2

    @property
    def duration_s(self) -> float:
        return self.frames / self.rate

    def silence(self, seconds: float) -> Pcm:
        """Silence of ``seconds`` at this rate."""
        return Pcm(self.rate, b"\x00\x00" * round(seconds * self.rate))

    def __add__(self, other: Pcm) -> Pcm:
        if other.rate != self.rate:
            raise ValueError(f"cannot join audio at {self.rate} Hz and {other.rate} Hz")
        return Pcm(self.rate, self.data + other.data)

    def to_wav(self) -> bytes:
        """A complete WAV file."""
        header = struct.pack(
            "<4sI4s4sIHHIIHH4sI",
            b"RIFF",
            36 + len(self.data),
            b"WAVE",
            b"fmt ",
            16,
            1,
            1,
            self.rate,
            self.rate * 2,
            2,
            16,
            b"data",
            len(self.data),
        )
        return header + self.data


def parse_wav(data: bytes) -> Pcm:
    """Read a mono 16-bit PCM WAV, tolerating the placeholder sizes a streaming writer leaves (espeak-ng --stdout)."""
    if len(data) < 12 or data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise SpeechFailed("the speech engine's output is not a WAV file")
    pos = 12
    rate = None
    while pos + 8 <= len(data):
        cid, size = data[pos : pos + 4], struct.unpack("<I", data[pos + 4 : pos + 8])[0]
        body = pos + 8
        if cid == b"fmt ":
            fmt, channels, rate, _, _, bits = struct.unpack("<HHIIHH", data[body : body + 16])
            if fmt != 1 or channels != 1 or bits != 16:
                raise SpeechFailed(f"the speech engine produced {channels}-channel {bits}-bit audio (format {fmt})")
        elif cid == b"data":
            if rate is None:
                raise SpeechFailed("the speech engine's WAV has no format chunk before its data")
            samples = data[body : body + min(size, len(data) - body)]
            return Pcm(rate, samples[: len(samples) - len(samples) % 2])
        pos = body + size + (size & 1)
    raise SpeechFailed("the speech engine's WAV holds no audio data")
