"""Gap detection on each node's event sequence: a missing seq that does not arrive soon is asked for again."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

SETTLE_S = 3.0
RETRY_S = 10.0
MAX_TRACKED = 100_000


@dataclass
class _NodeSeq:
    high: int
    missing: dict[int, float] = field(default_factory=dict)  # seq -> when first noticed missing
    asked_at: float = 0.0


class GapTracker:
    """Tracks the highest seq and the holes below it, per node."""

    def __init__(self) -> None:
        self._nodes: dict[str, _NodeSeq] = {}
        self.gaps_seen = 0

    def known(self, node: str) -> bool:
        """Whether the node's sequence is tracked yet."""
        return node in self._nodes

    def start(self, node: str, high: int) -> None:
        """Begin tracking at the highest seq already stored."""
        self._nodes.setdefault(node, _NodeSeq(high))

    def seen(self, node: str, seq: int, now: float | None = None) -> None:
        """Record an event's seq."""
        now = time.monotonic() if now is None else now
        st = self._nodes.setdefault(node, _NodeSeq(seq - 1))
        if seq > st.high:
            if seq > st.high + 1 and len(st.missing) < MAX_TRACKED:
                self.gaps_seen += seq - st.high - 1
                for missing in range(st.high + 1, min(seq, st.high + 1 + MAX_TRACKED)):
                    st.missing[missing] = now
            st.high = seq
        else:
            st.missing.pop(seq, None)

    def missing(self, node: str) -> list[int]:
        """Seqs currently missing for a node."""
        st = self._nodes.get(node)
        return sorted(st.missing) if st else []

    def due(self, now: float | None = None) -> dict[str, int]:
        """Nodes to ask for a replay and the first missing seq (holes older than SETTLE_S; once per RETRY_S)."""
        now = time.monotonic() if now is None else now
        out: dict[str, int] = {}
        for node, st in self._nodes.items():
            if not st.missing or now - st.asked_at < RETRY_S:
                continue
            old = [s for s, t in st.missing.items() if now - t >= SETTLE_S]
            if old:
                out[node] = min(old)
                st.asked_at = now
        return out
