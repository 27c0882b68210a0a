"""A planned zone command carried out on two DALI lines of the simulator, and read back."""

from __future__ import annotations

import asyncio

import pytest

from drivers.dali.bus import DaliLine
from drivers.dali.gateway import LubaGateway
from edge.lighting.dali_zone import ZoneCommandError, apply_level, read_levels
from edge.lighting.planner import LineKey, LineTopology, plan_dali
from simulators.dali_gateway import DaliGatewaySimulator

L0, L1 = LineKey("gw", 0), LineKey("gw", 1)
TOPOLOGY = {key: LineTopology.from_memberships({s: {s // 4} for s in range(8)}) for key in (L0, L1)}


def test_zone_of_a_group_and_a_single_gear_reaches_exactly_its_gear(dali_sim: DaliGatewaySimulator) -> None:
    zone = [(L0, 0), (L0, 1), (L0, 2), (L0, 3), (L1, 6)]
    plan = plan_dali(zone, TOPOLOGY)
    assert plan.frame_count == 2

    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2) as gw:
            lines = {key: DaliLine(gw, key.line) for key in (L0, L1)}
            assert await apply_level(plan, lines, 50) == 229
            everything = [(key, s) for key in (L0, L1) for s in range(8)]
            levels = await read_levels(lines, everything)
            assert {g for g, v in levels.items() if v == 229} == set(zone)
            assert {v for g, v in levels.items() if g not in zone} == {0}
            assert dali_sim.frames_on_wire() == 2 + len(everything)

    asyncio.run(scenario())


def test_a_failed_line_is_named_and_the_other_line_still_acts(dali_sim: DaliGatewaySimulator) -> None:
    dali_sim.gear(1, 5).mute = True
    plan = plan_dali([(L0, 4), (L1, 2)], TOPOLOGY)

    async def scenario() -> None:
        async with LubaGateway(dali_sim.url, lines=2) as gw:
            lines = {key: DaliLine(gw, key.line) for key in (L0, L1)}
            dali_sim.set_bus_power(0, False)
            with pytest.raises(ZoneCommandError, match="gw/0 short 4") as caught:
                await apply_level(plan, lines, 100)
            assert len(caught.value.failures) == 1
            assert (await read_levels(lines, [(L1, 2), (L1, 5)])) == {(L1, 2): 254, (L1, 5): None}

    asyncio.run(scenario())
