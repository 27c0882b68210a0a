"""A small city for end-to-end tests: street-light fleet → edge process → mosquitto → control room."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from edge.stack.mosquitto import Mosquitto
from simulators.streetlights import StreetlightFleet, parse_layout
from tests.support.stack import ADMIN_PASSWORD, ControlRoom, EdgeProcess, edge_config, login, wait_until

LIGHTING = """
[lighting.streetlights]
url = "{url}"
ack_timeout_s = 5

[lighting.reconcile]
retries = 1
retry_delay_s = 0.2

[[lighting.zones]]
id = "cheapside"
label = "Cheapside"
location = "Cheapside EC2"
group = "cheapside"
nodes = ["sl-001..sl-020"]

[[lighting.zones]]
id = "london-bridge"
label = "London Bridge"
location = "London Bridge"
nodes = ["sl-021..sl-030"]

[loadgen]
"""


@dataclass
class City:
    """The running parts."""

    broker: Mosquitto
    fleet: StreetlightFleet
    edge: EdgeProcess
    cr: ControlRoom
    token: str


@pytest.fixture
def city(mosquitto: Mosquitto, tmp_path: Path, database_url: str) -> Iterator[City]:
    """Everything running, the edge node online in the control room and its zones known."""
    with ExitStack() as stack:
        fleet = StreetlightFleet(mosquitto.url, parse_layout(["sl-001..sl-020@cheapside", "sl-021..sl-030"]))
        fleet.start()
        stack.callback(fleet.stop)
        cr = ControlRoom(tmp_path / "cr", mosquitto.url, database_url, command_grace_s=1.0).start()
        stack.callback(cr.stop)
        edge = EdgeProcess(
            edge_config("edge-1", tmp_path / "edge", mosquitto.url, LIGHTING.format(url=mosquitto.url)), tmp_path
        ).start()
        stack.callback(edge.stop)
        fleet.wait_connected(30)
        token = login(cr.url, "admin", ADMIN_PASSWORD)
        with cr.client() as http:
            wait_until(lambda: any(n["online"] for n in http.get("/api/v1/nodes").json()), 30, "edge online")

            def bridge_online() -> bool:
                zones = {z["id"]: z for z in http.get("/api/v1/lighting/zones").json()}
                return zones.get("london-bridge", {}).get("online") == 10

            wait_until(bridge_online, 30, "zones reported")
        yield City(mosquitto, fleet, edge, cr, token)
