"""The edge's exception hierarchy."""


class EdgeError(Exception):
    """Base class of errors raised by the edge runtime and its services."""


class ConfigError(EdgeError):
    """The configuration file is missing, unreadable or invalid; the message names the bad key."""


class CommandRejected(EdgeError):
    """A command is refused before execution (invalid arguments, interlock, unknown action)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class CommandFailed(EdgeError):
    """A command was accepted but could not be carried out; ``state_after`` says where the device ended up."""

    def __init__(self, code: str, message: str, state_after: dict[str, object] | None = None) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.state_after = state_after


class OutboxError(EdgeError):
    """The on-disk outbox could not be written or read."""
