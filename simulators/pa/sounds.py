"""Sounds the simulator plays: chimes and the tones standing in for pre-recorded messages (16-bit mono)."""

from __future__ import annotations

import numpy as np

from simulators.pa.store import ChimeSpec, MessageSpec

RATE = 16000
AMPLITUDE = 0.3 * 32767
FADE_S = 0.005


def tone(freq_hz: float, seconds: float, rate: int = RATE) -> np.ndarray:
    """A sine tone with 5 ms fades (int16)."""
    n = max(0, round(seconds * rate))
    t = np.arange(n) / rate
    wave = np.sin(2 * np.pi * freq_hz * t) * AMPLITUDE
    fade = min(n // 2, round(FADE_S * rate))
    if fade:
        ramp = np.linspace(0.0, 1.0, fade)
        wave[:fade] *= ramp
        wave[-fade:] *= ramp[::-1]
    return wave.astype(np.int16)


def chime(spec: ChimeSpec, rate: int = RATE) -> np.ndarray:
    """The chime's tones in sequence."""
    if not spec.tones:
        return np.zeros(0, dtype=np.int16)
    return np.concatenate([tone(f, d, rate) for f, d in spec.tones])


def message(spec: MessageSpec, rate: int = RATE) -> np.ndarray:
    """The tone standing for a pre-recorded message, pulsed like speech (so it is clearly not a chime)."""
    wave = tone(spec.freq_hz, spec.duration_s, rate).astype(np.float64)
    t = np.arange(wave.size) / rate
    envelope = 0.6 + 0.4 * np.sin(2 * np.pi * 3.0 * t)
    return (wave * envelope).astype(np.int16)
