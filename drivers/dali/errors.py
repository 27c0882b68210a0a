"""Errors raised by the DALI driver (subclasses of :mod:`drivers.errors`)."""

from __future__ import annotations

from drivers.errors import DeviceRefused, DeviceTimeout, DriverError, ProtocolError, TransportError


class DaliError(DriverError):
    """Base class of every DALI driver error."""


class GatewayUnavailable(TransportError, DaliError):
    """The gateway's port is closed, lost, or being reconnected."""


class GatewayTimeout(DeviceTimeout, DaliError):
    """The gateway did not confirm a request (accept, transmit, reply) in time."""


class GatewayProtocolError(ProtocolError, DaliError):
    """The gateway sent bytes that do not follow the LUBA protocol."""


class FrameRejected(DeviceRefused, DaliError):
    """The gateway refused to queue a DALI frame (``code`` is the LUBA reason name)."""


class BusPowerFailure(FrameRejected):
    """The DALI line has no bus voltage: nothing can be sent on it."""

    def __init__(self, line: int, message: str = "no DALI bus voltage") -> None:
        super().__init__("BUS_VOLTAGE_ERROR", f"line {line}: {message}")
        self.line = line


class NoAnswer(DeviceTimeout, DaliError):
    """A query that needs an answer got none (no gear at that address, or the gear is mute)."""


class AnswerCollision(ProtocolError, DaliError):
    """Several gear answered at once: the backward frame arrived with a framing error."""
