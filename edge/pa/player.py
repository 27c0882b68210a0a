"""Plays one round of an announcement on the controller: the call(s), the speech on the line, the end.

A round with no interval is one call (the controller repeats messages itself; speech is streamed ``repeat + 1``
times). With an interval each play is its own call (chime each time) and the zones stay held in between.
Failures become :class:`CallFailed` with an operator sentence; the engine decides what each zone becomes.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable

from drivers.errors import DriverError
from drivers.pa.audio import LineOutput
from drivers.pa.codec import CallState, Handling, StartCall
from drivers.pa.driver import PaController
from drivers.pa.errors import AudioOutputFailed, ControllerRefused
from drivers.pa.pcm import Pcm
from edge.pa.runtime import Round

log = logging.getLogger(__name__)

SPEECH_GAP_S = 0.8  # between repeats of spoken text inside one call
START_TIMEOUT_S = 5.0


class CallFailed(Exception):
    """A call could not be made or did not finish; ``sentence`` says why."""

    def __init__(self, sentence: str) -> None:
        super().__init__(sentence)
        self.sentence = sentence


class Player:
    """Runs rounds against one controller and one line output."""

    def __init__(
        self,
        driver: PaController,
        line: LineOutput,
        durations: dict[int, float],
        grace_s: float,
        register: Callable[[int, Round], None],
        unregister: Callable[[int], None],
    ) -> None:
        self.driver = driver
        self.line = line
        self.durations = durations
        self.grace_s = grace_s
        self.register = register
        self.unregister = unregister

    async def play(self, rnd: Round, on_play_done: Callable[[Round], None]) -> None:
        """Every play of the round; returns normally when the last play ended."""
        req = rnd.ann.req
        one_call = req.interval_s == 0
        plays = 1 if one_call else req.repeat + 1
        for n in range(plays):
            if n:
                await asyncio.sleep(req.interval_s)
            if not rnd.zones:
                return
            await self._call(rnd, repeat=req.repeat if one_call else 0)
            on_play_done(rnd)

    def _command(self, rnd: Round, repeat: int) -> StartCall:
        ann = rnd.ann
        return StartCall(
            zones=frozenset(rnd.zones),
            priority=ann.req.priority,
            chime=ann.chime,
            messages=ann.req.message_ids,
            line=ann.req.needs_line,
            repeat=0 if ann.req.needs_line else repeat,
            handling=Handling.PARTIAL,
            live=False,
        )

    async def _call(self, rnd: Round, repeat: int) -> None:
        rnd.new_call()
        try:
            call_id = await self.driver.start_call(self._command(rnd, repeat))
        except ControllerRefused as err:
            raise CallFailed(f"the controller refused the announcement: {err.sentence}") from err
        except DriverError as err:
            raise CallFailed(getattr(err, "sentence", str(err))) from err
        rnd.call_id = call_id
        rnd.ann.call_ids.append(call_id)
        self.register(call_id, rnd)
        try:
            await self._wait(rnd.started, START_TIMEOUT_S, "the controller did not report the call's start")
            if rnd.ann.req.needs_line:
                await self._speak(rnd, repeat)
            else:
                expected = (repeat + 1) * sum(self.durations.get(m, 0.0) for m in rnd.ann.req.message_ids)
                await self._wait_end(rnd, expected + self.grace_s)
            if rnd.end_state is CallState.ABORT:
                raise CallFailed("the controller aborted the call")
        except (CallFailed, asyncio.CancelledError):
            if not rnd.ended.is_set():  # leave no call of ours running at the controller
                with contextlib.suppress(DriverError):
                    await self.driver.abort_call(call_id)
            raise
        finally:
            self.unregister(call_id)
            rnd.call_id = None

    async def _speak(self, rnd: Round, repeat: int) -> None:
        pcm = rnd.ann.pcm
        assert pcm is not None
        await self._wait_any(rnd, self.grace_s)
        if not rnd.ended.is_set():
            speech = pcm
            for _ in range(repeat):
                speech = speech + pcm.silence(SPEECH_GAP_S) + pcm
            await self._stream(rnd, speech)
            if rnd.call_id is not None and not rnd.ended.is_set():
                with contextlib.suppress(ControllerRefused):  # NAK 08: it ended by itself meanwhile
                    await self.driver.stop_call(rnd.call_id)
            await self._wait(rnd.ended, self.grace_s, "the controller did not report the call's end")

    async def _stream(self, rnd: Round, speech: Pcm) -> None:
        play = asyncio.ensure_future(self.line.play(speech))
        ended = asyncio.ensure_future(rnd.ended.wait())
        try:
            await asyncio.wait({play, ended}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            ended.cancel()
            if not play.done():
                play.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await play
        if play.done() and not play.cancelled() and play.exception() is not None:
            err = play.exception()
            if rnd.call_id is not None:
                with contextlib.suppress(DriverError):
                    await self.driver.abort_call(rnd.call_id)
            sentence = err.sentence if isinstance(err, AudioOutputFailed) else str(err)
            raise CallFailed(f"the speech could not be played: {sentence}") from err

    async def _wait_any(self, rnd: Round, within_s: float) -> None:
        waits = [asyncio.ensure_future(rnd.content.wait()), asyncio.ensure_future(rnd.ended.wait())]
        try:
            done, _ = await asyncio.wait(waits, timeout=within_s, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for w in waits:
                w.cancel()
        if not done:
            raise CallFailed("the controller did not open the line input after the chime")

    async def _wait_end(self, rnd: Round, within_s: float) -> None:
        """Wait for END/ABORT; replays and zone changes (or zones waiting for a replay) extend the wait."""
        while True:
            seen = rnd.progress
            try:
                await asyncio.wait_for(rnd.ended.wait(), within_s)
                return
            except TimeoutError:
                if rnd.progress == seen and not rnd.suspended:
                    raise CallFailed(f"the controller did not report the call's end within {within_s:.0f} s") from None

    @staticmethod
    async def _wait(event: asyncio.Event, within_s: float, sentence: str) -> None:
        try:
            await asyncio.wait_for(event.wait(), within_s)
        except TimeoutError as err:
            raise CallFailed(f"{sentence} within {within_s:.0f} s") from err
