"""The drivers' exception hierarchy. Each protocol package subclasses these; edge services translate them."""


class DriverError(Exception):
    """Base class of every error raised by a driver."""


class TransportError(DriverError):
    """The port or connection could not be opened, or it failed while in use."""


class DeviceTimeout(DriverError):
    """The device did not answer within the protocol's time limit (after retries)."""


class ProtocolError(DriverError):
    """Bytes were received that do not follow the protocol (bad checksum, truncated, unknown command)."""


class DeviceRefused(DriverError):
    """The device answered and refused the request (a NAK with a reason)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
