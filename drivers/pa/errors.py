"""Errors of the PA head-end driver: every one carries a short ``code`` and an operator ``sentence``.

Protocol errors (malformed bytes) subclass :class:`drivers.errors.ProtocolError`; a refusal by the controller is a
:class:`ControllerRefused` (a :class:`drivers.errors.DeviceRefused`); silence after the retries is
:class:`ControllerUnreachable` (a :class:`drivers.errors.DeviceTimeout`); a closed or vanished port is
:class:`PortClosed` (a :class:`drivers.errors.TransportError`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from drivers.errors import DeviceRefused, DeviceTimeout, DriverError, ProtocolError, TransportError

if TYPE_CHECKING:
    from drivers.pa.replies import Nak


class PaProtocolError(ProtocolError):
    """Bytes that do not follow the PA protocol. ``header`` is ``(addr, cmd, seq)`` when it could be read."""

    code = "protocol"

    def __init__(self, message: str, header: tuple[int, str, int] | None = None) -> None:
        super().__init__(message)
        self.sentence = message
        self.header = header


class ChecksumError(PaProtocolError):
    """The frame's checksum does not match the sum of its bytes."""

    code = "bad_checksum"


class TruncatedFrame(PaProtocolError):
    """A frame stopped before its ETX and checksum (a new STX arrived, or the line went quiet)."""

    code = "truncated"


class FrameTooLong(PaProtocolError):
    """More than 256 bytes without a frame end."""

    code = "oversize"


class UnknownCommand(PaProtocolError):
    """The command code is not one the protocol defines."""

    code = "unknown_command"


class BadField(PaProtocolError):
    """A header or field does not have the form the command requires."""

    code = "bad_field"


class LineNoise(PaProtocolError):
    """Bytes outside any frame were discarded while resynchronising on STX."""

    code = "noise"


class ControllerUnreachable(DeviceTimeout):
    """The controller did not answer a frame, nor its two retries."""

    code = "unreachable"

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class PortClosed(TransportError):
    """The serial port is not open (unplugged, or not yet found); the driver keeps trying to reopen it."""

    code = "port_closed"

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class ControllerRefused(DeviceRefused):
    """The controller answered NAK; ``nak`` holds the code and, for busy/fault refusals, the zones."""

    def __init__(self, nak: Nak, sentence: str) -> None:
        super().__init__(f"NAK{nak.code.value:02d}", sentence)
        self.nak = nak
        self.sentence = sentence


class TextRejected(DriverError):
    """Text for speech that breaks a rule (empty, too long, control characters, markup)."""

    code = "bad_text"

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class SpeechFailed(DriverError):
    """The speech engine is missing, failed, or produced no audio."""

    code = "tts_failed"

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class AudioOutputFailed(TransportError):
    """The audio line output could not be opened or failed while playing."""

    code = "audio_output"

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence
