"""Streaming deframer: feed it bytes as they arrive, take out frames and the errors met on the way. No I/O."""

from __future__ import annotations

from collections.abc import Iterator

from drivers.pa.errors import FrameTooLong, LineNoise, PaProtocolError, TruncatedFrame
from drivers.pa.frames import ETX, MAX_FRAME, NAK, STX, Frame, parse_frame, read_header


class BareNak:
    """A lone NAK byte outside any frame: the controller's answer to a frame it could not read at all."""

    def __eq__(self, other: object) -> bool:
        return isinstance(other, BareNak)

    def __hash__(self) -> int:
        return hash(BareNak)

    def __repr__(self) -> str:
        return "BareNak()"


Item = Frame | BareNak | PaProtocolError


class Deframer:
    """Splits a byte stream into frames, resynchronising on STX after garbage.

    Every defect is reported as a specific :class:`PaProtocolError` item (checksum, truncated, oversize, unknown
    command, bad field, noise) and the deframer carries on with the next STX. ``flush()`` reports a frame left
    unfinished when the line goes quiet.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self._in_frame = False
        self._noise = 0

    @property
    def pending(self) -> int:
        """Bytes of an unfinished frame held in the buffer."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Item]:
        """Consume ``data``; return the frames, bare NAKs and errors it completed, in order."""
        return list(self._feed(data))

    def _feed(self, data: bytes) -> Iterator[Item]:
        for byte in data:
            if not self._in_frame:
                if byte == STX:
                    yield from self._end_noise()
                    self._in_frame = True
                    self._buf = bytearray([STX])
                elif byte == NAK:
                    yield from self._end_noise()
                    yield BareNak()
                else:
                    self._noise += 1
                continue
            if byte == STX:
                yield TruncatedFrame(f"frame of {len(self._buf)} bytes cut short by a new STX", _peek(self._buf))
                self._buf = bytearray([STX])
                continue
            self._buf.append(byte)
            etx = self._buf.find(bytes([ETX]))
            if etx >= 0 and len(self._buf) == etx + 3:
                yield self._parse()
            elif len(self._buf) >= MAX_FRAME:
                yield FrameTooLong(f"no frame end within {MAX_FRAME} bytes", _peek(self._buf))
                self._reset()

    def flush(self) -> list[Item]:
        """The line went quiet: report an unfinished frame (truncated) or pending noise, and start afresh."""
        out: list[Item] = list(self._end_noise())
        if self._in_frame:
            message = f"frame of {len(self._buf)} bytes ends without ETX and checksum"
            out.append(TruncatedFrame(message, _peek(self._buf)))
            self._reset()
        return out

    def _parse(self) -> Item:
        data = bytes(self._buf)
        self._reset()
        try:
            return parse_frame(data)
        except PaProtocolError as err:
            return err

    def _reset(self) -> None:
        self._buf = bytearray()
        self._in_frame = False

    def _end_noise(self) -> Iterator[Item]:
        if self._noise:
            yield LineNoise(f"{self._noise} bytes outside any frame discarded")
            self._noise = 0


def _peek(buf: bytearray) -> tuple[int, str, int] | None:
    return read_header(bytes(buf))
