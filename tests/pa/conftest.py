"""Fixtures for PA tests: the head-end simulator on a real pty or a real TCP socket, with short test sounds."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

from simulators.pa import PaControllerSimulator
from simulators.pa.store import ChimeSpec, MessageSpec, Store, message_freq

T = TypeVar("T")

# Short sounds keep end-to-end tests quick; the tone of each message is distinct (see message_freq).
TEST_STORE = Store(
    messages={
        0x01: MessageSpec("Evacuate now", 0.8, message_freq(0x01)),
        0x02: MessageSpec("Alert", 0.6, message_freq(0x02)),
        0x10: MessageSpec("Bridge closing", 0.5, message_freq(0x10)),
        0x11: MessageSpec("Long routine notice", 3.0, message_freq(0x11)),
        0x12: MessageSpec("System test", 0.3, message_freq(0x12)),
    },
    chimes={0x01: ChimeSpec("two-tone", ((880.0, 0.1), (660.0, 0.1))), 0x03: ChimeSpec("alert", ((1200.0, 0.15),))},
)


def run(coro: Awaitable[T]) -> T:
    """Run one async test body."""

    async def main() -> T:
        return await coro

    return asyncio.run(main())


async def until(predicate: Callable[[], bool], within_s: float = 10.0, what: str = "condition") -> None:
    """Wait for ``predicate`` (polling), failing after a generous timeout."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within_s
    while not predicate():
        if loop.time() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.01)


def make_sim(tmp_path: Path, transport: str, **kwargs: object) -> PaControllerSimulator:
    tcp = ("127.0.0.1", 0) if transport == "tcp" else None
    return PaControllerSimulator(
        tcp=tcp,
        zones=kwargs.pop("zones", 8),  # type: ignore[arg-type]
        recordings=tmp_path / "recordings",
        store=TEST_STORE,
        pty_link=tmp_path / "pa-tty",
        **kwargs,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["pty", "tcp"])
def transport(request: pytest.FixtureRequest) -> str:
    """Each test runs over a pseudo-terminal and over ``socket://``."""
    return str(request.param)


@pytest.fixture
def sim(tmp_path: Path, transport: str) -> Iterator[PaControllerSimulator]:
    """An 8-zone simulator (two zones per amplifier) at 9600 baud."""
    s = make_sim(tmp_path, transport, zones_per_amplifier=2)
    s.start()
    try:
        yield s
    finally:
        s.stop()
        s.cleanup()


@pytest.fixture
def tcp_sim(tmp_path: Path) -> Iterator[PaControllerSimulator]:
    """An 8-zone simulator on ``socket://`` (two zones per amplifier) at 9600 baud."""
    s = make_sim(tmp_path, "tcp", zones_per_amplifier=2)
    s.start()
    try:
        yield s
    finally:
        s.stop()
        s.cleanup()
