"""Reading what a zone heard: the simulator's WAVs, tone and loudness analysis."""

from __future__ import annotations

import json
import wave
from pathlib import Path
from typing import Any

import numpy as np


def read_wav(path: Path) -> tuple[int, np.ndarray]:
    with wave.open(str(path), "rb") as w:
        assert w.getnchannels() == 1 and w.getsampwidth() == 2
        return w.getframerate(), np.frombuffer(w.readframes(w.getnframes()), dtype="<i2").astype(float)


def dominant_hz(samples: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(samples.size)))
    return float(np.fft.rfftfreq(samples.size, 1 / rate)[int(np.argmax(spectrum))])


def loud_s(samples: np.ndarray, rate: int, threshold: float = 800.0, window_s: float = 0.02) -> float:
    """Seconds of 20 ms windows whose RMS exceeds ``threshold``."""
    n = int(rate * window_s)
    frames = samples[: samples.size // n * n].reshape(-1, n)
    return float(np.sum(np.sqrt(np.mean(frames**2, axis=1)) > threshold) * window_s)


def window(samples: np.ndarray, rate: int, start_s: float, end_s: float) -> np.ndarray:
    return samples[int(start_s * rate) : int(end_s * rate)]


def calls_by_id(recordings: Path) -> dict[str, dict[str, Any]]:
    index = recordings / "calls.jsonl"
    if not index.exists():
        return {}
    return {c["call_id"]: c for c in map(json.loads, index.read_text().splitlines())}


def zone_wav(recordings: Path, call: dict[str, Any], zone: int) -> tuple[int, np.ndarray]:
    return read_wav(recordings / call["files"][str(zone)])
