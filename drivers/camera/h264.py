"""H.264 Annex B byte streams and RTP payloads (RFC 6184): pure functions, no I/O.

The camera simulator packetises encoder output with :func:`packetize_nal`; :class:`Depacketizer` is the receiving
side, used to check the packetiser against FFmpeg's reading of the same stream.
"""

from __future__ import annotations

from dataclasses import dataclass

START_CODE = b"\x00\x00\x00\x01"
NAL_TYPE_MASK = 0x1F
NAL_NRI_MASK = 0x60
NAL_IDR = 5
NAL_SEI = 6
NAL_SPS = 7
NAL_PPS = 8
NAL_AUD = 9
FU_A = 28
STAP_A = 24
FU_START = 0x80
FU_END = 0x40


def nal_type(nal: bytes) -> int:
    """The ``nal_unit_type`` of a NAL unit (its first byte, low five bits)."""
    return nal[0] & NAL_TYPE_MASK


def split_annexb(stream: bytes) -> list[bytes]:
    """NAL units of an Annex B byte stream (3- or 4-byte start codes), without their start codes."""
    nals: list[bytes] = []
    i = stream.find(b"\x00\x00\x01")
    while i != -1:
        start = i + 3
        j = stream.find(b"\x00\x00\x01", start)
        end = len(stream) if j == -1 else j
        # a 4-byte start code leaves one zero byte at the end of the previous unit
        nal = stream[start:end]
        if j != -1 and nal.endswith(b"\x00"):
            nal = nal.rstrip(b"\x00")
        if nal:
            nals.append(nal)
        i = j
    return nals


def join_annexb(nals: list[bytes]) -> bytes:
    """An Annex B byte stream of ``nals`` with 4-byte start codes."""
    return b"".join(START_CODE + n for n in nals)


def packetize_nal(nal: bytes, max_payload: int = 1400) -> list[bytes]:
    """RTP payloads carrying one NAL unit: itself when it fits (single NAL unit packet), else FU-A fragments."""
    if max_payload < 3:
        raise ValueError("max_payload must leave room for the FU indicator, header and one byte")
    if len(nal) <= max_payload:
        return [nal]
    header = nal[0]
    indicator = (header & (0x80 | NAL_NRI_MASK)) | FU_A
    kind = header & NAL_TYPE_MASK
    body = nal[1:]
    chunk = max_payload - 2
    out: list[bytes] = []
    for offset in range(0, len(body), chunk):
        fu_header = kind
        if offset == 0:
            fu_header |= FU_START
        if offset + chunk >= len(body):
            fu_header |= FU_END
        out.append(bytes((indicator, fu_header)) + body[offset : offset + chunk])
    return out


class Depacketizer:
    """Rebuilds NAL units from RTP payloads in order (single NAL, STAP-A and FU-A packets)."""

    def __init__(self) -> None:
        self._fragments: list[bytes] | None = None
        self._fu_header = 0

    def push(self, payload: bytes) -> list[bytes]:
        """Feed one RTP payload; returns the NAL units it completes. Raises ValueError on a broken fragment run."""
        if not payload:
            raise ValueError("empty RTP payload")
        kind = payload[0] & NAL_TYPE_MASK
        if kind == FU_A:
            if len(payload) < 2:
                raise ValueError("FU-A packet without an FU header")
            fu = payload[1]
            if fu & FU_START:
                self._fragments = [payload[2:]]
                self._fu_header = (payload[0] & (0x80 | NAL_NRI_MASK)) | (fu & NAL_TYPE_MASK)
            elif self._fragments is None:
                raise ValueError("FU-A continuation without a start fragment")
            else:
                self._fragments.append(payload[2:])
            if fu & FU_END:
                frags, self._fragments = self._fragments, None
                return [bytes((self._fu_header,)) + b"".join(frags)]
            return []
        if kind == STAP_A:
            nals, i = [], 1
            while i + 2 <= len(payload):
                size = int.from_bytes(payload[i : i + 2], "big")
                nals.append(payload[i + 2 : i + 2 + size])
                i += 2 + size
            return nals
        return [payload]


@dataclass(frozen=True)
class ParameterSets:
    """The SPS and PPS of a stream (for SDP ``sprop-parameter-sets`` and ``profile-level-id``)."""

    sps: bytes
    pps: bytes

    @property
    def profile_level_id(self) -> str:
        """``profile_idc``, constraint flags and ``level_idc`` as six hex digits (RFC 6184 §8.1)."""
        return self.sps[1:4].hex()


def find_parameter_sets(nals: list[bytes]) -> ParameterSets | None:
    """The first SPS and PPS among ``nals``, or None when either is missing."""
    sps = next((n for n in nals if nal_type(n) == NAL_SPS), None)
    pps = next((n for n in nals if nal_type(n) == NAL_PPS), None)
    if sps is None or pps is None or len(sps) < 4:
        return None
    return ParameterSets(sps=sps, pps=pps)
