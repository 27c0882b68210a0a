"""What the simulated controller holds: pre-recorded messages and chimes (id → name, sound), amplifiers.

A JSON file (``--store``) can replace the defaults::

    {"messages": {"01": {"name": "Evacuate", "duration_s": 8.0, "freq_hz": 410}},
     "chimes": {"01": {"name": "two-tone", "tones": [[880, 0.4], [660, 0.6]]}}}
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class MessageSpec:
    """A pre-recorded message: a name and its length; the simulator plays a tone at ``freq_hz`` in its place."""

    name: str
    duration_s: float
    freq_hz: float


@dataclass(frozen=True)
class ChimeSpec:
    """A chime: a sequence of (frequency Hz, seconds) tones."""

    name: str
    tones: tuple[tuple[float, float], ...]

    @property
    def duration_s(self) -> float:
        return sum(d for _, d in self.tones)


def message_freq(message_id: int) -> float:
    """The tone that stands for message ``message_id`` (distinct per id, well clear of the chimes)."""
    return 300.0 + 20.0 * message_id


DEFAULT_MESSAGES = {
    0x01: MessageSpec("Evacuate: leave the area now by the nearest safe route", 8.0, message_freq(0x01)),
    0x02: MessageSpec("Alert: an incident is being dealt with, stand by for instructions", 7.0, message_freq(0x02)),
    0x03: MessageSpec("Please keep clear of the carriageway", 5.0, message_freq(0x03)),
    0x10: MessageSpec("The bridge will close to traffic shortly", 5.0, message_freq(0x10)),
    0x11: MessageSpec("Please keep your belongings with you", 4.0, message_freq(0x11)),
    0x12: MessageSpec("This is a test of the public address system", 4.0, message_freq(0x12)),
    0x20: MessageSpec("Background music", 30.0, message_freq(0x20)),
}

DEFAULT_CHIMES = {
    0x01: ChimeSpec("two-tone", ((880.0, 0.4), (660.0, 0.6))),
    0x02: ChimeSpec("three-tone", ((1047.0, 0.3), (1319.0, 0.3), (1568.0, 0.5))),
    0x03: ChimeSpec("alert", ((1200.0, 0.25), (960.0, 0.25)) * 4),
}


@dataclass
class Store:
    """Messages and chimes by id."""

    messages: dict[int, MessageSpec] = field(default_factory=lambda: dict(DEFAULT_MESSAGES))
    chimes: dict[int, ChimeSpec] = field(default_factory=lambda: dict(DEFAULT_CHIMES))

    @classmethod
    def from_json(cls, path: Path) -> Store:
        """Read a store file (see the module docstring); raises ValueError naming the bad entry."""
        try:
            doc = json.loads(path.read_text())
            messages = {
                int(k, 16): MessageSpec(
                    str(v["name"]), float(v["duration_s"]), float(v.get("freq_hz", message_freq(int(k, 16))))
                )
                for k, v in doc.get("messages", {}).items()
            }
            chimes = {
                int(k, 16): ChimeSpec(str(v["name"]), tuple((float(f), float(d)) for f, d in v["tones"]))
                for k, v in doc.get("chimes", {}).items()
            }
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise ValueError(f"cannot read PA message store {path}: {err}") from err
        return cls(messages or dict(DEFAULT_MESSAGES), chimes or dict(DEFAULT_CHIMES))


def amplifier_map(zones: int, zones_per_amplifier: int) -> dict[int, frozenset[int]]:
    """Amplifier n feeds zones ``(n-1)*k+1 … n*k``."""
    count = (zones + zones_per_amplifier - 1) // zones_per_amplifier
    return {
        a: frozenset(range((a - 1) * zones_per_amplifier + 1, min(zones, a * zones_per_amplifier) + 1))
        for a in range(1, count + 1)
    }
