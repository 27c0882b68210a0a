"""RTSP/1.0 messages (RFC 2326): parsing requests and formatting responses, pure functions, no I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

MAX_HEADER_BYTES = 16 * 1024
REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    454: "Session Not Found",
    455: "Method Not Valid in This State",
    459: "Aggregate Operation Not Allowed",
    461: "Unsupported Transport",
    500: "Internal Server Error",
    501: "Not Implemented",
    503: "Service Unavailable",
}


class RtspSyntaxError(ValueError):
    """Bytes that are not an RTSP request."""


@dataclass
class RtspRequest:
    """One parsed request; header names are kept lower-case."""

    method: str
    url: str
    version: str
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""

    @property
    def cseq(self) -> str:
        """The CSeq header (echoed in the response), ``0`` when missing."""
        return self.headers.get("cseq", "0")


def parse_request(buffer: bytes | bytearray) -> tuple[RtspRequest, int] | None:
    """``(request, bytes consumed)`` for a complete request at the start of ``buffer``, or None if incomplete.

    Raises :class:`RtspSyntaxError` for a malformed request line or header, or an oversized header block.
    """
    end = buffer.find(b"\r\n\r\n")
    if end == -1:
        if len(buffer) > MAX_HEADER_BYTES:
            raise RtspSyntaxError(f"request header exceeds {MAX_HEADER_BYTES} bytes")
        return None
    try:
        head = bytes(buffer[:end]).decode("utf-8")
    except UnicodeDecodeError as err:
        raise RtspSyntaxError("request header is not UTF-8") from err
    lines = head.split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("RTSP/"):
        raise RtspSyntaxError(f"bad request line {lines[0][:80]!r}")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise RtspSyntaxError(f"bad header line {line[:80]!r}")
        headers[name.strip().lower()] = value.strip()
    length_text = headers.get("content-length", "0")
    if not length_text.isdigit():
        raise RtspSyntaxError(f"bad Content-Length {length_text[:20]!r}")
    body_start = end + 4
    body_end = body_start + int(length_text)
    if len(buffer) < body_end:
        return None
    request = RtspRequest(parts[0], parts[1], parts[2], headers, bytes(buffer[body_start:body_end]))
    return request, body_end


def format_response(status: int, cseq: str, headers: dict[str, str] | None = None, body: bytes = b"") -> bytes:
    """An RTSP/1.0 response with CSeq, the given headers and an optional body (Content-Length added)."""
    lines = [f"RTSP/1.0 {status} {REASONS.get(status, 'Unknown')}", f"CSeq: {cseq}"]
    for name, value in (headers or {}).items():
        lines.append(f"{name}: {value}")
    if body:
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def parse_transport(value: str) -> dict[str, str]:
    """The first transport spec of a Transport header as ``{"RTP/AVP/TCP": "", "interleaved": "0-1", ...}``."""
    spec = value.split(",")[0]
    out: dict[str, str] = {}
    for item in spec.split(";"):
        key, _, val = item.strip().partition("=")
        if key:
            out[key] = val
    return out
