"""What each zone heard: one WAV per zone per call, written when the call ends, plus an index line per call.

A call's *program* is its chime followed by its messages (or, for a LINE call, the chime followed by whatever
arrives on the line input). A zone hears the program while it is open to the call; replays restart the program for
the zones replayed. Each zone's WAV spans the whole call, from its start to its end, with silence wherever the
zone was not open to it. ``calls.jsonl`` in the recordings folder describes every call and names its files.
"""

from __future__ import annotations

import json
import wave
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from simulators.pa.sounds import RATE


@dataclass
class _Interval:
    opened: float
    program_t0: float
    closed: float | None = None


@dataclass
class CallRecording:
    """The sound timeline of one call; times are ``time.monotonic()`` seconds."""

    call_id: int
    started: float
    chime: np.ndarray
    content: np.ndarray  # one play of the messages (empty for a LINE call)
    plays: int | None  # None: until stopped
    meta: dict[str, Any]
    rate: int = RATE
    zones: dict[int, list[_Interval]] = field(default_factory=dict)
    line: list[tuple[float, np.ndarray]] = field(default_factory=list)

    def open(self, zone: int, at: float, program_t0: float) -> None:
        """Zone ``zone`` starts hearing the program that began at ``program_t0``."""
        self.zones.setdefault(zone, []).append(_Interval(at, program_t0))

    def close(self, zone: int, at: float) -> None:
        """Zone ``zone`` stops hearing this call."""
        for interval in self.zones.get(zone, []):
            if interval.closed is None:
                interval.closed = at

    def is_open(self, zone: int) -> bool:
        return any(i.closed is None for i in self.zones.get(zone, []))

    def add_line(self, at: float, samples: np.ndarray) -> None:
        """Line-input audio that began at ``at`` (attributed to the zones open to the call then)."""
        self.line.append((at, samples))

    def _program(self, start: int, n: int) -> np.ndarray:
        """Program samples ``start … start+n`` (chime, then the content repeated ``plays`` times)."""
        out = np.zeros(n, dtype=np.int32)
        idx = np.arange(start, start + n)
        in_chime = idx < self.chime.size
        out[in_chime] = self.chime[idx[in_chime]]
        if self.content.size:
            rel = idx - self.chime.size
            limit = np.inf if self.plays is None else self.plays * self.content.size
            in_content = (rel >= 0) & (rel < limit)
            out[in_content] = self.content[rel[in_content] % self.content.size]
        return out

    def render(self, zone: int, ended: float) -> np.ndarray:
        """What ``zone`` heard from the call's start to ``ended``."""
        total = max(0, round((ended - self.started) * self.rate))
        track = np.zeros(total, dtype=np.int32)
        for iv in self.zones.get(zone, []):
            a = max(0, round((iv.opened - self.started) * self.rate))
            b = min(total, round(((iv.closed if iv.closed is not None else ended) - self.started) * self.rate))
            if b <= a:
                continue
            offset = round((iv.opened - iv.program_t0) * self.rate)
            track[a:b] += self._program(offset, b - a)
            content_from = iv.program_t0 + self.chime.size / self.rate
            for at, samples in self.line:
                if not (iv.opened <= at < (iv.closed if iv.closed is not None else ended)) or at < content_from:
                    continue
                p = round((at - self.started) * self.rate)
                q = min(b, p + samples.size)
                if q > p:
                    track[p:q] += samples[: q - p]
        return np.clip(track, -32768, 32767).astype(np.int16)


class Recorder:
    """Writes the recordings of finished calls into ``folder``."""

    def __init__(self, folder: Path, rate: int = RATE) -> None:
        self.folder = folder
        self.rate = rate
        folder.mkdir(parents=True, exist_ok=True)
        self.index = folder / "calls.jsonl"

    def finish(self, rec: CallRecording, ended: float, outcome: str) -> dict[str, Any]:
        """Write one WAV per zone that was ever open to the call; append and return the call's index entry."""
        files: dict[str, str] = {}
        for zone in sorted(rec.zones):
            path = self.folder / f"call-{rec.call_id:04X}-zone{zone:02d}.wav"
            samples = rec.render(zone, ended)
            with wave.open(str(path), "wb") as w:
                w.setnchannels(1)
                w.setsampwidth(2)
                w.setframerate(self.rate)
                w.writeframes(samples.astype("<i2").tobytes())
            files[str(zone)] = path.name
        entry = {
            **rec.meta,
            "call_id": f"{rec.call_id:04X}",
            "outcome": outcome,
            "duration_s": round(ended - rec.started, 3),
            "zones_heard": sorted(rec.zones),
            "line_chunks": len(rec.line),
            "files": files,
        }
        with self.index.open("a") as f:
            f.write(json.dumps(entry) + "\n")
        return entry
