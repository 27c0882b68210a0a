"""Offline text-to-speech with espeak-ng, run as a subprocess (the GPL engine stays behind the process boundary).

Text is checked first (:func:`drivers.pa.text.check_text`), passed on stdin (never on a command line or through a
shell), and read back as 16-bit mono PCM (22 050 Hz for espeak-ng's voices).
"""

from __future__ import annotations

import array
import asyncio
import contextlib
import shutil

from drivers.pa.errors import SpeechFailed
from drivers.pa.pcm import Pcm, parse_wav
from drivers.pa.text import DEFAULT_MAX_CHARS, check_text

MIN_PEAK = 500  # a 16-bit peak below this is silence for our purposes


class Synthesizer:
    """Speaks checked text with espeak-ng."""

    def __init__(
        self,
        voice: str = "en-gb",
        words_per_minute: int = 150,
        pitch: int = 45,
        max_chars: int = DEFAULT_MAX_CHARS,
        executable: str = "espeak-ng",
        timeout_s: float = 20.0,
    ) -> None:
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.pitch = pitch
        self.max_chars = max_chars
        self.executable = executable
        self.timeout_s = timeout_s

    def check(self, text: str) -> str:
        """The cleaned text, or :class:`TextRejected` naming the problem."""
        return check_text(text, self.max_chars)

    async def synthesize(self, text: str) -> Pcm:
        """Speech for ``text`` (checked first), or :class:`SpeechFailed` saying why not."""
        cleaned = self.check(text)
        exe = shutil.which(self.executable)
        if exe is None:
            raise SpeechFailed(f"the speech engine {self.executable} is not installed")
        args = [exe, "--stdout", "--stdin", "-b", "1", "-v", self.voice]
        args += ["-s", str(self.words_per_minute), "-p", str(self.pitch)]
        proc = await asyncio.create_subprocess_exec(
            *args,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            out, err = await asyncio.wait_for(proc.communicate(cleaned.encode("utf-8")), self.timeout_s)
        except TimeoutError as exc:
            raise SpeechFailed(f"the speech engine took longer than {self.timeout_s:g} s") from exc
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.kill()
                await proc.wait()
        if proc.returncode != 0:
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise SpeechFailed(f"the speech engine failed (exit {proc.returncode}): {detail[0]}")
        pcm = parse_wav(out)
        if not pcm.frames or peak(pcm) < MIN_PEAK:
            raise SpeechFailed("the speech engine produced no audible speech")
        return pcm


def peak(pcm: Pcm) -> int:
    """Largest absolute sample value."""
    samples = array.array("h")
    samples.frombytes(pcm.data[: len(pcm.data) - len(pcm.data) % 2])
    return max((abs(s) for s in samples), default=0)
