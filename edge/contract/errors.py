"""Errors raised while reading or writing contract topics and payloads."""


class ContractError(Exception):
    """Base class: something on the wire does not follow the contract."""


class TopicError(ContractError):
    """A topic is outside the namespace or has a malformed segment."""


class PayloadError(ContractError):
    """A payload is not valid JSON or does not match its model."""
