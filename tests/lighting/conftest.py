"""Fixtures for lighting tests: DALI gateway simulators on a real pty or a real TCP socket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from simulators.dali_gateway import DaliGatewaySimulator


@pytest.fixture
def dali_sim() -> Iterator[DaliGatewaySimulator]:
    """Two DALI lines of 8 gear (groups of 4: gear 0-3 in group 0, 4-7 in group 1) behind a pty."""
    sim = DaliGatewaySimulator(lines=2, gear_per_line=8, group_size=4)
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


@pytest.fixture
def dali_sim_tcp() -> Iterator[DaliGatewaySimulator]:
    """One DALI line of 4 gear behind ``socket://127.0.0.1:<free port>``."""
    sim = DaliGatewaySimulator(lines=1, gear_per_line=4, tcp=("127.0.0.1", 0))
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()
