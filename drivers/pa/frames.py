"""Frame layer of the PA head-end protocol (docs: protocols.md §1): bytes ⇄ :class:`Frame`. No I/O.

``STX | ADDR (2 hex) | CMD (2 ASCII) | SEQ (2 hex) | [ACK 0x06 | NAK 0x15] | FIELDS | ETX | CHK (2 hex)``

``CHK`` is the sum of every byte after STX up to and including ETX, & 0xFF, as two uppercase hex digits.
Fields are printable ASCII separated by commas. In a reply the fields follow the ACK/NAK byte behind a comma
(``ACK ,0042``); in a command or an event they follow SEQ directly.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import Enum

from drivers.pa.errors import BadField, ChecksumError, FrameTooLong, TruncatedFrame, UnknownCommand

STX = 0x02
ETX = 0x03
ACK = 0x06
NAK = 0x15
MAX_FRAME = 256
MIN_FRAME = 10  # STX + ADDR + CMD + SEQ + ETX + CHK

HOST_COMMANDS = frozenset({"PG", "CS", "CX", "CA", "ZS", "FL", "FK", "FR", "EK", "ER", "DT", "TM"})
EVENT_COMMAND = "EV"
KNOWN_COMMANDS = HOST_COMMANDS | {EVENT_COMMAND}

_HEX2 = re.compile(rb"^[0-9A-F]{2}$")
_CMD = re.compile(rb"^[A-Z]{2}$")
_FIELD = re.compile(r"^[\x20-\x2b\x2d-\x7e]+$")  # printable ASCII except the comma


class Status(Enum):
    """The reply marker after SEQ: ACK, NAK, or none (a command or an event)."""

    NONE = "none"
    ACK = "ack"
    NAK = "nak"


@dataclass(frozen=True)
class Frame:
    """One frame: header, reply marker and fields (each a non-empty printable ASCII string without commas)."""

    address: int
    command: str
    seq: int
    fields: tuple[str, ...] = ()
    status: Status = Status.NONE

    @property
    def header(self) -> tuple[int, str, int]:
        """``(address, command, seq)``: what a reply must repeat."""
        return (self.address, self.command, self.seq)


def checksum(body: bytes) -> int:
    """Sum of the bytes after STX up to and including ETX, modulo 256."""
    return sum(body) & 0xFF


def encode_frame(frame: Frame) -> bytes:
    """Bytes of a frame, validating every part (raises :class:`BadField` naming the bad part)."""
    if not 0 <= frame.address <= 0xFF:
        raise BadField(f"address {frame.address} is outside 0-255")
    if not 0 <= frame.seq <= 0xFF:
        raise BadField(f"sequence number {frame.seq} is outside 0-255")
    if not _CMD.match(frame.command.encode("ascii", "replace")):
        raise BadField(f"command {frame.command!r} is not two capital letters")
    for field in frame.fields:
        if not _FIELD.match(field):
            raise BadField(f"field {field!r} is empty or holds a comma or a non-printable character")
    text = ",".join(frame.fields).encode("ascii")
    head = f"{frame.address:02X}{frame.command}{frame.seq:02X}".encode("ascii")
    if frame.status is Status.NONE:
        body = head + text
    else:
        marker = bytes([ACK if frame.status is Status.ACK else NAK])
        body = head + marker + (b"," + text if frame.fields else b"")
    body += bytes([ETX])
    data = bytes([STX]) + body + f"{checksum(body):02X}".encode("ascii")
    if len(data) > MAX_FRAME:
        raise FrameTooLong(f"frame of {len(data)} bytes exceeds the {MAX_FRAME}-byte limit")
    return data


def read_header(data: bytes) -> tuple[int, str, int] | None:
    """The header of a (possibly damaged) frame, if its first seven bytes are readable."""
    if len(data) < 7 or not (_HEX2.match(data[1:3]) and _CMD.match(data[3:5]) and _HEX2.match(data[5:7])):
        return None
    return (int(data[1:3], 16), data[3:5].decode(), int(data[5:7], 16))


def parse_frame(data: bytes) -> Frame:
    """Parse one complete frame (STX … CHK). Raises a specific :class:`PaProtocolError` for each defect."""
    if len(data) > MAX_FRAME:
        raise FrameTooLong(f"frame of {len(data)} bytes exceeds the {MAX_FRAME}-byte limit")
    if not data or data[0] != STX:
        raise BadField("frame does not start with STX")
    end = data.find(bytes([ETX]))
    if end < 0 or len(data) < end + 3:
        raise TruncatedFrame(f"frame of {len(data)} bytes ends before its ETX and checksum", read_header(data))
    if len(data) > end + 3:
        raise BadField(f"{len(data) - end - 3} bytes follow the checksum", read_header(data))
    header = read_header(data)
    body = data[1 : end + 1]
    chk = data[end + 1 : end + 3]
    if not _HEX2.match(chk):
        raise ChecksumError(f"checksum {chk!r} is not two uppercase hex digits", header)
    if int(chk, 16) != checksum(body):
        raise ChecksumError(f"checksum {chk.decode()} does not match the frame (expected {checksum(body):02X})", header)
    if header is None:
        raise BadField(f"frame header {data[1:7]!r} is not ADDR (2 hex), CMD (2 letters), SEQ (2 hex)")
    address, command, seq = header
    if command not in KNOWN_COMMANDS:
        raise UnknownCommand(f"unknown command {command!r}", header)
    rest = data[7:end]
    status = Status.NONE
    if rest[:1] in (bytes([ACK]), bytes([NAK])):
        status = Status.ACK if rest[0] == ACK else Status.NAK
        rest = rest[1:]
        if rest and (rest[:1] != b"," or len(rest) == 1):
            raise BadField("reply fields must follow the ACK/NAK byte behind a comma", header)
        rest = rest[1:]
    try:
        text = rest.decode("ascii")
    except UnicodeDecodeError as err:
        raise BadField("fields hold non-ASCII bytes", header) from err
    fields = tuple(text.split(",")) if text else ()
    for field in fields:
        if not _FIELD.match(field):
            raise BadField(f"field {field!r} is empty or holds a non-printable character", header)
    return Frame(address, command, seq, fields, status)
