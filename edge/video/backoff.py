"""Capped exponential backoff with jitter for reconnecting to cameras."""

from __future__ import annotations

import random


class Backoff:
    """Delays ``initial * factor**n`` with the base capped at ``maximum``, each spread by ``±jitter`` (a fraction)
    so that cameras behind one failed switch do not all reconnect in the same instant (at the cap too)."""

    def __init__(
        self,
        initial: float = 0.5,
        maximum: float = 30.0,
        factor: float = 2.0,
        jitter: float = 0.25,
        rng: random.Random | None = None,
    ) -> None:
        if initial <= 0 or maximum < initial or factor < 1 or not 0 <= jitter < 1:
            raise ValueError("backoff needs 0 < initial <= maximum, factor >= 1 and 0 <= jitter < 1")
        self.initial, self.maximum, self.factor, self.jitter = initial, maximum, factor, jitter
        self._rng = rng or random.Random()
        self.attempt = 0

    def next_delay(self) -> float:
        """The delay before the next attempt (and count the attempt)."""
        base = min(self.maximum, self.initial * self.factor**self.attempt)
        self.attempt += 1
        return base * self._rng.uniform(1.0 - self.jitter, 1.0 + self.jitter)

    def reset(self) -> None:
        """Back to the initial delay (after the stream worked again)."""
        self.attempt = 0
