"""RTP packets (RFC 3550) and RTSP interleaved framing (RFC 2326 §10.12): pure functions, no I/O."""

from __future__ import annotations

import struct
from dataclasses import dataclass

RTP_VERSION = 2
INTERLEAVED_MAGIC = 0x24  # '$'
H264_CLOCK_HZ = 90_000
_HEADER = struct.Struct("!BBHII")
_INTERLEAVED = struct.Struct("!BBH")


@dataclass(frozen=True)
class RtpPacket:
    """A parsed RTP packet (no CSRC list or extension support beyond skipping them)."""

    payload_type: int
    sequence: int
    timestamp: int
    ssrc: int
    marker: bool
    payload: bytes


def build_rtp(payload: bytes, *, sequence: int, timestamp: int, ssrc: int, marker: bool, payload_type: int) -> bytes:
    """One RTP packet: 12-byte header (V=2, no padding, extension or CSRC) and the payload."""
    byte1 = (0x80 if marker else 0) | (payload_type & 0x7F)
    return _HEADER.pack(RTP_VERSION << 6, byte1, sequence & 0xFFFF, timestamp & 0xFFFFFFFF, ssrc) + payload


def parse_rtp(packet: bytes) -> RtpPacket:
    """Parse one RTP packet, raising ValueError when it is not RTP version 2 or is truncated."""
    if len(packet) < _HEADER.size:
        raise ValueError(f"RTP packet of {len(packet)} bytes is shorter than its header")
    b0, b1, seq, ts, ssrc = _HEADER.unpack_from(packet)
    if b0 >> 6 != RTP_VERSION:
        raise ValueError(f"RTP version {b0 >> 6}, expected 2")
    offset = _HEADER.size + 4 * (b0 & 0x0F)
    if b0 & 0x10:
        if len(packet) < offset + 4:
            raise ValueError("truncated RTP header extension")
        offset += 4 + 4 * int.from_bytes(packet[offset + 2 : offset + 4], "big")
    end = len(packet)
    if b0 & 0x20:
        end -= packet[-1]
    if offset > end:
        raise ValueError("RTP header longer than the packet")
    return RtpPacket(
        payload_type=b1 & 0x7F,
        sequence=seq,
        timestamp=ts,
        ssrc=ssrc,
        marker=bool(b1 & 0x80),
        payload=bytes(packet[offset:end]),
    )


def interleave(channel: int, packet: bytes) -> bytes:
    """Frame a packet for RTSP over TCP: ``$``, channel, 16-bit length, packet."""
    if len(packet) > 0xFFFF:
        raise ValueError(f"interleaved packet of {len(packet)} bytes exceeds 65535")
    return _INTERLEAVED.pack(INTERLEAVED_MAGIC, channel, len(packet)) + packet


def read_interleaved(buffer: bytes | bytearray) -> tuple[int, bytes, int] | None:
    """``(channel, packet, bytes consumed)`` for an interleaved frame at the start of ``buffer``, or None if more
    bytes are needed. The caller checks ``buffer[0] == INTERLEAVED_MAGIC`` first."""
    if len(buffer) < _INTERLEAVED.size:
        return None
    _, channel, size = _INTERLEAVED.unpack_from(buffer)
    end = _INTERLEAVED.size + size
    if len(buffer) < end:
        return None
    return channel, bytes(buffer[_INTERLEAVED.size : end]), end
