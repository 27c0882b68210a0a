"""Raise and clear a condition only after it has held, or been absent, for a while: no flapping."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Transition = Literal["raised", "cleared"]


@dataclass
class Debounce:
    """A condition's state with time hysteresis.

    Each observation is True (the condition is evident), False (evidently absent) or None (cannot tell, e.g.
    the lens is covered so focus cannot be judged): None neither advances nor keeps a pending change.
    """

    raise_after_s: float
    clear_after_s: float
    active: bool = False
    since: float | None = None
    _pending: float | None = None

    def update(self, evident: bool | None, t: float) -> Transition | None:
        """Feed one observation at time ``t``; returns the transition it completes, if any."""
        if evident is None or evident == self.active:
            self._pending = None
            return None
        if self._pending is None:
            self._pending = t
        hold = self.raise_after_s if evident else self.clear_after_s
        if t - self._pending < hold:
            return None
        self.active = evident
        self.since = self._pending
        self._pending = None
        return "raised" if evident else "cleared"


def tri_state(value: float, enter: float, leave: float, *, below: bool) -> bool | None:
    """Threshold hysteresis: True beyond ``enter``, False beyond ``leave``, None in between.

    ``below=True`` means small values are the condition (e.g. contrast below ``enter`` is "covered").
    """
    if below:
        return True if value < enter else False if value > leave else None
    return True if value > enter else False if value < leave else None
