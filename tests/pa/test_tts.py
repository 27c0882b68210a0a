"""Offline speech (real espeak-ng subprocess), the text checks, and the audio line outputs."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import numpy as np
import pytest

from drivers.pa.audio import AlsaLineOutput, TcpLineOutput, open_line_output
from drivers.pa.errors import AudioOutputFailed, SpeechFailed, TextRejected
from drivers.pa.pcm import Pcm, parse_wav
from drivers.pa.text import check_text
from drivers.pa.tts import Synthesizer
from tests.pa.conftest import run


def test_espeak_speaks_short_text_audibly() -> None:
    pcm = run(Synthesizer().synthesize("Tower Bridge is closed."))
    samples = np.frombuffer(pcm.data, dtype="<i2").astype(float)
    assert pcm.rate == 22050
    assert 0.8 < pcm.duration_s < 4.0  # five syllables-ish words at 150 wpm
    voiced = np.mean(np.abs(samples) > 1000)
    assert voiced > 0.2 and np.abs(samples).max() > 5000
    assert parse_wav(pcm.to_wav()) == pcm


def test_longer_text_gives_longer_speech() -> None:
    synth = Synthesizer()
    short = run(synth.synthesize("Stand clear."))
    long = run(synth.synthesize("Stand clear of the doors, the bridge is about to lift for river traffic."))
    assert long.duration_s > 2 * short.duration_s


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("a" * 401, "401 characters long; the limit is 400"),
        ("Line one\nline two", "control character U+000A"),
        ("Bell\x07", "control character U+0007"),
        ("zero\u200bwidth", "control character U+200B"),
        ("<speak>hello</speak>", "'<' at the start"),
        ("say [[h@l'oU]]", "'['"),
        ("a &amp; b", "character entity '&amp;'"),
        ("back\\slash", "'\\\\'"),
        ("star * bright", "'*'"),
        ("emoji \U0001f600", "cannot be spoken"),
    ],
)
def test_text_checks_name_the_problem(text: str, problem: str) -> None:
    with pytest.raises(TextRejected) as err:
        check_text(text)
    assert problem in err.value.sentence


def test_text_checks_accept_ordinary_sentences() -> None:
    text = "Café closed: please use exits A & B (south side) \u2014 thank you! 50% off? £5, 10:30."
    assert check_text(text) == text
    assert check_text("  too   many  spaces ") == "too many spaces"


def test_missing_speech_engine_is_reported() -> None:
    with pytest.raises(SpeechFailed) as err:
        run(Synthesizer(executable="espeak-ng-not-installed").synthesize("hello"))
    assert "is not installed" in err.value.sentence


def test_unknown_voice_is_reported() -> None:
    with pytest.raises(SpeechFailed) as err:
        run(Synthesizer(voice="xx-nonexistent").synthesize("hello"))
    assert "speech engine" in err.value.sentence


def test_line_output_urls() -> None:
    assert isinstance(open_line_output("tcp://127.0.0.1:5000"), TcpLineOutput)
    alsa = open_line_output("alsa:hw:1,0")
    assert isinstance(alsa, AlsaLineOutput) and alsa.device == "hw:1,0"
    for bad in ("udp://x:1", "alsa:", "tcp://host"):
        with pytest.raises(AudioOutputFailed):
            open_line_output(bad)


def test_tcp_line_output_reports_an_unreachable_input() -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # bound, not listening: connection refused
        with pytest.raises(AudioOutputFailed) as err:
            run(TcpLineOutput("127.0.0.1", port).play(Pcm(16000, b"\x00\x00" * 160)))
    assert "cannot reach the audio line input" in err.value.sentence


def test_alsa_output_pipes_raw_pcm_to_aplay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """aplay itself needs a sound card; a stand-in aplay on PATH records the arguments and bytes it gets."""
    script = tmp_path / "aplay"
    script.write_text(f'#!/bin/sh\necho "$@" > {tmp_path}/args\ncat > {tmp_path}/pcm\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    pcm = Pcm(22050, bytes(range(256)) * 8)
    run(AlsaLineOutput("hw:1,0").play(pcm))
    assert (tmp_path / "args").read_text().split() == [
        "-q",
        "-D",
        "hw:1,0",
        "-t",
        "raw",
        "-f",
        "S16_LE",
        "-r",
        "22050",
        "-c",
        "1",
    ]
    assert (tmp_path / "pcm").read_bytes() == pcm.data


def test_alsa_output_without_aplay_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(AudioOutputFailed) as err:
        run(AlsaLineOutput("default").play(Pcm(16000, b"\x00\x00")))
    assert "aplay (alsa-utils) is not installed" in err.value.sentence
