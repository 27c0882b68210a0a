"""The camera drivers' exceptions. Every message is redacted when the exception is built, so no credential can
reach a log line, an API error or an event through ``str(err)``."""

from __future__ import annotations

from drivers.camera.redact import redact
from drivers.errors import DeviceRefused, DeviceTimeout, DriverError, ProtocolError, TransportError


class CameraError(DriverError):
    """Base class of every camera error; the message has any credentials removed."""

    def __init__(self, message: str) -> None:
        # Exception.__init__ directly: the mixed-in bases (DeviceRefused) take other arguments.
        Exception.__init__(self, redact(message))


class CameraUnreachable(CameraError, TransportError):
    """Nothing answers at the camera's address (refused, no route, reset, host gone)."""


class CameraTimeout(CameraError, DeviceTimeout):
    """The camera accepted the connection but did not answer or send media in time."""


class CameraAuthFailed(CameraError, DeviceRefused):
    """The camera refused the credentials (RTSP/HTTP 401, ONVIF ter:NotAuthorized)."""

    def __init__(self, message: str) -> None:
        CameraError.__init__(self, message)
        self.code = "not_authorized"
        self.message = str(self)


class StreamError(CameraError, ProtocolError):
    """The camera answered but its stream cannot be opened or decoded (no video track, unsupported codec)."""


class OnvifFault(CameraError, DeviceRefused):
    """An ONVIF device answered a request with a SOAP fault other than an authentication failure."""

    def __init__(self, code: str, message: str) -> None:
        CameraError.__init__(self, f"{code}: {message}")
        self.code = code
        self.message = redact(message)


class InvalidSourceUrl(CameraError, ValueError):
    """A camera source URL that cannot be used (unknown scheme, no host, bad port)."""


class OnvifProtocolError(CameraError, ProtocolError):
    """An ONVIF answer that is not a SOAP envelope, or lacks what the operation must return."""
