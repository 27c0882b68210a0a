"""The control room's exception hierarchy."""


class ControlRoomError(Exception):
    """Base class of control-room errors."""


class SettingsError(ControlRoomError):
    """Settings are missing or invalid."""


class NotFound(ControlRoomError):
    """A requested object does not exist (or is not visible to the caller)."""


class Conflict(ControlRoomError):
    """The request conflicts with the current state."""


class BrokerUnavailable(ControlRoomError):
    """The MQTT broker cannot be reached, so a command cannot be sent."""
