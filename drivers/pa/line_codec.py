"""The audio line stream into the controller's line input (the simulator's stand-in for an analogue line).

A TCP connection carries one stream: a 12-byte header, then raw PCM at real-time pace until the sender closes.
Header (little-endian): magic ``CEPA``, version (u8, 1), sample format (u8, 1 = signed 16-bit), channels (u16),
sample rate in Hz (u32). No I/O here.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from drivers.pa.errors import BadField

MAGIC = b"CEPA"
VERSION = 1
FORMAT_S16LE = 1
_HEADER = struct.Struct("<4sBBHI")
HEADER_LEN = _HEADER.size


@dataclass(frozen=True)
class LineFormat:
    """Sample rate and channel count of a line stream (always signed 16-bit little-endian)."""

    rate: int
    channels: int = 1

    def __post_init__(self) -> None:
        if not 4000 <= self.rate <= 96000:
            raise BadField(f"sample rate {self.rate} Hz is outside 4000-96000")
        if self.channels != 1:
            raise BadField(f"{self.channels} channels: the line input takes mono audio")

    @property
    def bytes_per_second(self) -> int:
        return self.rate * 2 * self.channels


def encode_header(fmt: LineFormat) -> bytes:
    """The header opening a line stream."""
    return _HEADER.pack(MAGIC, VERSION, FORMAT_S16LE, fmt.channels, fmt.rate)


def decode_header(data: bytes) -> LineFormat:
    """The format announced by a stream's first :data:`HEADER_LEN` bytes."""
    if len(data) != HEADER_LEN:
        raise BadField(f"line stream header is {len(data)} bytes, expected {HEADER_LEN}")
    magic, version, fmt, channels, rate = _HEADER.unpack(data)
    if magic != MAGIC or version != VERSION:
        raise BadField("line stream does not start with the CEPA v1 header")
    if fmt != FORMAT_S16LE:
        raise BadField(f"line stream sample format {fmt} is not signed 16-bit (1)")
    return LineFormat(rate, channels)
