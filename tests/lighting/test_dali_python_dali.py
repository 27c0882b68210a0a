"""python-dali's own ``luba232`` driver, unchanged, drives the gateway simulator over a real pty.

This checks the simulator against a LUBA host written by someone else. python-dali 0.16 opens the port with
serialx, so the check runs over ``os.openpty()`` rather than ``socket://``.
"""

from __future__ import annotations

import asyncio

from dali.address import GearBroadcast, GearGroup, GearShort
from dali.driver.serial import DriverLubaRs232
from dali.gear.general import DAPC, AddToGroup, QueryActualLevel, QueryGroupsEightToFifteen, QueryStatus

from simulators.dali_gateway import DaliGatewaySimulator


def test_python_dali_luba232_drives_the_simulator(dali_sim: DaliGatewaySimulator) -> None:
    dali_sim.gear(0, 2).lamp_failure = True
    dali_sim.gear(0, 6).mute = True
    dali_sim.add_gear(0, 7)

    async def scenario() -> None:
        driver = DriverLubaRs232(f"luba232:{dali_sim.url}")
        await asyncio.wait_for(driver.connect(), 10)
        try:
            assert driver.is_connected
            await driver.send(DAPC(GearShort(5), 229))
            assert (await driver.send(QueryActualLevel(GearShort(5)))).value == 229

            await driver.send(DAPC(GearGroup(0), 120))
            assert [dali_sim.gear(0, s).level_to for s in range(5)] == [120, 120, 120, 120, 0]

            await driver.send(DAPC(GearBroadcast(), 254))
            status = await driver.send(QueryStatus(GearShort(2)))
            assert status.lamp_failure and not status.ballast_status

            silent = await driver.send(QueryStatus(GearShort(6)))
            assert silent.raw_value is None  # no answer

            collided = await driver.send(QueryActualLevel(GearShort(7)))
            assert collided.raw_value is not None and collided.raw_value.error  # framing error

            await driver.send(AddToGroup(GearShort(4), 12))  # send-twice: python-dali waits for two "sent" events
            # python-dali waits a fixed time for a backward frame; on a loaded machine the simulator can answer after
            # it, so ask again (as a DALI master does after a no-answer) before judging the answer
            for _ in range(3):
                groups = await driver.send(QueryGroupsEightToFifteen(GearShort(4)))
                if groups.raw_value is not None:
                    break
            assert (
                groups.raw_value is not None and groups.raw_value.as_integer == 0b00010000
            )  # group 12 = bit 4 of groups 8-15
        finally:
            assert driver._transport is not None
            driver._transport.close()
            await asyncio.sleep(0)

    asyncio.run(scenario())
