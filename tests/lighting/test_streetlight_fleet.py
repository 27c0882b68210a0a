"""The street-light fleet simulator: nodes that drop off and come back by themselves (churn), seen by the driver."""

from __future__ import annotations

import asyncio

from drivers.streetlight.codec import NodeStatus
from drivers.streetlight.driver import StreetlightBus
from edge.stack.mosquitto import Mosquitto
from simulators.streetlights import StreetlightFleet, parse_layout


def test_churned_nodes_drop_off_and_come_back(mosquitto: Mosquitto) -> None:
    fleet = StreetlightFleet(
        mosquitto.url, parse_layout(["sl-01..sl-20@all"]), churn_per_min=600, churn_down_s=0.5, control_topic=False
    )
    seen: dict[str, list[bool]] = {}

    def on_status(node: str, status: NodeStatus) -> None:
        history = seen.setdefault(node, [])
        if not history or history[-1] != status.online:
            history.append(status.online)

    async def watch() -> None:
        bus = StreetlightBus(mosquitto.url, client_id="test-churn-watcher", on_status=on_status)
        await bus.start()
        try:
            for _ in range(300):
                back = [n for n, h in seen.items() if h[:3] == [True, False, True]]
                if len(back) >= 3:
                    return
                await asyncio.sleep(0.05)
            raise AssertionError(f"no node dropped off and came back: {seen}")
        finally:
            await bus.close()

    fleet.start()
    try:
        fleet.wait_connected(20)
        asyncio.run(watch())
        assert fleet.churned >= 3
    finally:
        fleet.stop()
