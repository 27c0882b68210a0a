"""The DALI gateway simulator as a program, and its optional fades."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time

from drivers.dali.addressing import Target
from drivers.dali.bus import DaliLine
from drivers.dali.gateway import LubaGateway
from simulators.dali_gateway import DaliGatewaySimulator


def test_simulator_program_prints_its_port_and_obeys_its_fault_options() -> None:
    cmd = [sys.executable, "-m", "simulators.dali_gateway", "--lines", "2", "--gear", "4", "--lamp-failure", "1:3"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("/dev/pts/")

        async def scenario() -> None:
            async with LubaGateway(url, lines=2) as gw:
                assert (await DaliLine(gw, 1).query_status(3)).lamp_failure
                assert not (await DaliLine(gw, 0).query_status(3)).lamp_failure

        asyncio.run(scenario())
    finally:
        proc.terminate()
        assert proc.wait(10) == 0


def test_fades_run_linearly_in_arc_level() -> None:
    with DaliGatewaySimulator(lines=1, gear_per_line=2, fade_s=0.6) as sim:

        async def scenario() -> None:
            async with LubaGateway(sim.url) as gw:
                line = DaliLine(gw, 0)
                await line.set_arc(Target.short(0), 200)
                status = await line.query_status(0)
                middle = await line.query_actual_level(0)
                assert status.fade_running
                assert 0 < middle < 200
                deadline = time.monotonic() + 10
                while await line.query_actual_level(0) != 200:
                    assert time.monotonic() < deadline
                assert not (await line.query_status(0)).fade_running
                await line.off(Target.short(0))  # OFF does not fade
                assert await line.query_actual_level(0) == 0

        asyncio.run(scenario())
