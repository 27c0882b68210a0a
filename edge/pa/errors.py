"""Errors of the PA engine: each has a short ``code`` and an operator ``sentence``."""

from __future__ import annotations


class PaEngineError(Exception):
    """Base class of the engine's errors."""

    def __init__(self, code: str, sentence: str) -> None:
        super().__init__(f"{code}: {sentence}")
        self.code = code
        self.sentence = sentence


class PaRejected(PaEngineError):
    """A request the engine refuses before anything reaches the controller (bad zones, text, message, interval)."""


class UnknownAnnouncement(PaEngineError):
    """No announcement with this id."""
