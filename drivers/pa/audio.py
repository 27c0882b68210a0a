"""Audio line outputs chosen by URL: how the edge's speech reaches the head-end's line input.

``tcp://host:port`` streams a CEPA line stream (:mod:`drivers.pa.line_codec`) at real-time pace to a network
line input (the simulator's); ``alsa:DEVICE`` pipes raw PCM into ``aplay -D DEVICE`` for a real sound card wired
to the controller's line input.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from typing import Protocol
from urllib.parse import urlsplit

from drivers.pa.errors import AudioOutputFailed
from drivers.pa.line_codec import LineFormat, encode_header
from drivers.pa.pcm import Pcm

CHUNK_S = 0.02
LEAD_S = 0.1  # how far the sender may run ahead of real time (the receiver's jitter buffer)
CONNECT_TIMEOUT_S = 2.0


class LineOutput(Protocol):
    """Plays PCM into the controller's line input; ``play`` returns when the audio has played out."""

    description: str

    async def play(self, pcm: Pcm) -> None:
        """Play ``pcm`` at real-time pace (cancel the task to stop early)."""


class TcpLineOutput:
    """A network line input: one TCP connection per play, header then paced PCM."""

    def __init__(self, host: str, port: int) -> None:
        self.host = host
        self.port = port
        self.description = f"tcp://{host}:{port}"

    async def play(self, pcm: Pcm) -> None:
        try:
            _, writer = await asyncio.wait_for(asyncio.open_connection(self.host, self.port), CONNECT_TIMEOUT_S)
        except (OSError, TimeoutError) as err:
            raise AudioOutputFailed(f"cannot reach the audio line input {self.description}: {err}") from err
        loop = asyncio.get_running_loop()
        try:
            writer.write(encode_header(LineFormat(pcm.rate)))
            step = round(CHUNK_S * pcm.rate) * 2
            t0 = loop.time()
            for i, offset in enumerate(range(0, len(pcm.data), step)):
                delay = t0 + i * CHUNK_S - LEAD_S - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                writer.write(pcm.data[offset : offset + step])
                await writer.drain()
            remaining = t0 + pcm.duration_s - loop.time()
            if remaining > 0:
                await asyncio.sleep(remaining)
        except OSError as err:
            raise AudioOutputFailed(f"the audio line input {self.description} failed while playing: {err}") from err
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class AlsaLineOutput:
    """A sound card through ``aplay`` (alsa-utils)."""

    def __init__(self, device: str, executable: str = "aplay") -> None:
        self.device = device
        self.executable = executable
        self.description = f"alsa:{device}"

    async def play(self, pcm: Pcm) -> None:
        exe = shutil.which(self.executable)
        if exe is None:
            missing = f"{self.executable} (alsa-utils) is not installed"
            raise AudioOutputFailed(f"{missing}: cannot play to {self.description}")
        args = [exe, "-q", "-D", self.device, "-t", "raw", "-f", "S16_LE", "-r", str(pcm.rate), "-c", "1"]
        proc = await asyncio.create_subprocess_exec(
            *args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE
        )
        try:
            _, err = await proc.communicate(pcm.data)
        finally:
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    proc.terminate()
                await proc.wait()
        if proc.returncode != 0:
            detail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or ["no message"]
            raise AudioOutputFailed(f"{self.description} failed (exit {proc.returncode}): {detail[0]}")


def open_line_output(url: str) -> TcpLineOutput | AlsaLineOutput:
    """The line output for ``tcp://host:port`` or ``alsa:DEVICE``; :class:`AudioOutputFailed` otherwise."""
    if url.startswith("alsa:"):
        device = url[len("alsa:") :]
        if not device:
            raise AudioOutputFailed("alsa: needs a device name, e.g. alsa:default or alsa:hw:1,0")
        return AlsaLineOutput(device)
    parts = urlsplit(url)
    if parts.scheme == "tcp" and parts.hostname and parts.port:
        return TcpLineOutput(parts.hostname, parts.port)
    raise AudioOutputFailed(f"audio output {url!r} is neither tcp://host:port nor alsa:DEVICE")
