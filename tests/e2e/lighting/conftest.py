"""A lit city for lighting tests: street lights on their own site broker, a DALI gateway simulator on TCP, the edge
node as a process on the JCCR broker, and the control room.

Zones: ``cheapside`` (8 street lights, one group topic), ``guildhall-yard`` (all 8 gear of DALI line 0: one
broadcast frame), ``millennium-bridge`` (4 street lights without a group + DALI line 1 gear 0-3 = DALI group 0)
and ``bank`` (DALI line 1 gear 4-7 = group 1; no schedule). The schedule holds the first three at 30 %.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from drivers.dali.dimming import percent_to_arc
from edge.stack.mosquitto import Mosquitto, MosquittoSettings
from simulators.dali_gateway import DaliGatewaySimulator
from simulators.streetlights import StreetlightFleet, parse_layout
from tests.support.stack import ADMIN_PASSWORD, ControlRoom, EdgeProcess, edge_config, login, wait_until

LIGHTING = """
[lighting.streetlights]
url = "{site}"
ack_timeout_s = 3

[lighting.reconcile]
retries = 1
retry_delay_s = 0.2
interval_s = {interval}

[lighting.energy]
report_interval_s = 1

[[lighting.dali]]
id = "guildhall"
url = "{dali}"
lines = 2
label = "Guildhall"
location = "Guildhall basement"
poll_interval_s = 0.5
rated_w = 40

[[lighting.zones]]
id = "cheapside"
label = "Cheapside"
location = "Cheapside EC2"
group = "cheapside"
nodes = ["sl-01..sl-08"]

[[lighting.zones]]
id = "guildhall-yard"
label = "Guildhall Yard"
location = "Guildhall Yard EC2"
dali = ["guildhall/0/0-7"]

[[lighting.zones]]
id = "millennium-bridge"
label = "Millennium Bridge"
location = "Millennium Bridge (Thames crossing)"
nodes = ["sl-09..sl-12"]
dali = ["guildhall/1/0-3"]

[[lighting.zones]]
id = "bank"
label = "Bank"
location = "Bank EC3"
dali = ["guildhall/1/4-7"]

[lighting.schedule.profiles.steady]
steps = [{{ at = "12:00", level = 30 }}]

[lighting.schedule.calendars.city]
default = "steady"

[lighting.schedule.zones]
cheapside = "city"
guildhall-yard = "city"
millennium-bridge = "city"
"""

SCHEDULED = ("cheapside", "guildhall-yard", "millennium-bridge")
ZONE_LIGHTS = {
    "cheapside": ([f"sl-{i:02d}" for i in range(1, 9)], []),
    "guildhall-yard": ([], [(0, s) for s in range(8)]),
    "millennium-bridge": ([f"sl-{i:02d}" for i in range(9, 13)], [(1, s) for s in range(4)]),
    "bank": ([], [(1, s) for s in range(4, 8)]),
}


@dataclass
class LitCity:
    """The running parts, and helpers to look at them."""

    jccr: Mosquitto
    site: Mosquitto
    fleet: StreetlightFleet
    dali: DaliGatewaySimulator
    edge: EdgeProcess
    cr: ControlRoom
    http: httpx.Client
    data_dir: Path

    def zones(self) -> dict[str, dict[str, Any]]:
        """GET /api/v1/lighting/zones by id."""
        return {z["id"]: z for z in self.http.get("/api/v1/lighting/zones").json()}

    def arc(self, line: int, short: int) -> int:
        """The simulated gear's actual arc level."""
        return self.dali.gear(line, short).actual_level(time.monotonic())

    def lights_at(self, zone: str, percent: int) -> bool:
        """Every street light and DALI gear of ``zone`` is at ``percent``, read from the simulators themselves."""
        nodes, gear = ZONE_LIGHTS[zone]
        return all(self.fleet.nodes[n].level == percent for n in nodes) and all(
            self.arc(line, short) == percent_to_arc(percent) for line, short in gear
        )

    def alerts(self, type_: str, device: str | None = None) -> list[dict[str, Any]]:
        """Alerts of a type (and device), closed ones included."""
        rows = self.http.get("/api/v1/alerts", params={"include_closed": True}).json()
        return [a for a in rows if a["type"] == type_ and (device is None or a["device_id"] == device)]

    def events(self, type_: str, device: str | None = None) -> list[dict[str, Any]]:
        """Stored events of a type (and device)."""
        rows = self.http.get("/api/v1/events", params={"type": type_, "limit": 5000}).json()
        return [e for e in rows if device is None or e["device_id"] == device]

    def command(self, cid: str, timeout: float = 30) -> dict[str, Any]:
        """Wait for a command's terminal stage; return it."""
        return wait_until(  # type: ignore[no-any-return]
            lambda: (d := self.http.get(f"/api/v1/commands/{cid}").json())["terminal"] and d, timeout, f"command {cid}"
        )

    def wait(self, predicate: Callable[[], Any], timeout: float, what: str) -> Any:
        """wait_until, for brevity in tests."""
        return wait_until(predicate, timeout, what)


def start_edge(city_dir: Path, jccr_url: str, site_url: str, dali_url: str, interval: float) -> EdgeProcess:
    """The edge node process for the lit city."""
    extra = LIGHTING.format(site=site_url, dali=dali_url, interval=interval)
    return EdgeProcess(edge_config("edge-lit", city_dir / "edge", jccr_url, extra), city_dir).start()


@pytest.fixture
def lit_city(mosquitto: Mosquitto, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[LitCity]:
    """Everything running; every zone known to the control room with its luminaires online and at 30 % where
    scheduled. Reconciliation rounds run every 3 s."""
    with ExitStack() as stack:
        site = Mosquitto(MosquittoSettings(data_dir=tmp_path / "site-broker"))
        site.start()
        stack.callback(site.stop)
        fleet = StreetlightFleet(
            site.url, parse_layout(["sl-01..sl-08@cheapside", "sl-09..sl-12"]), status_interval_s=1
        )
        fleet.start()
        stack.callback(fleet.stop)
        dali = DaliGatewaySimulator(lines=2, gear_per_line=8, tcp=("127.0.0.1", 0), group_size=4)
        dali_url = dali.start()
        stack.callback(dali.stop)
        cr = ControlRoom(tmp_path / "cr", mosquitto.url, f"sqlite:///{tmp_path / 'store.db'}", command_grace_s=1.0)
        cr.start()
        stack.callback(cr.stop)
        edge = start_edge(tmp_path, mosquitto.url, site.url, dali_url, 3.0)
        http = httpx.Client(
            base_url=cr.url,
            headers={"Authorization": f"Bearer {login(cr.url, 'admin', ADMIN_PASSWORD)}"},
            timeout=20,
        )
        stack.callback(http.close)
        city = LitCity(mosquitto, site, fleet, dali, edge, cr, http, tmp_path)
        stack.callback(lambda: city.edge.stop())  # tests may restart the edge
        fleet.wait_connected(30)

        def settled() -> bool:
            zones = city.zones()
            if set(zones) != set(ZONE_LIGHTS):
                return False
            return all(zones[z]["reported"] == 30 and zones[z]["online"] == zones[z]["luminaires"] for z in SCHEDULED)

        try:
            wait_until(settled, 40, "zones on schedule at 30 % with every luminaire online")
        except AssertionError:
            print(edge.log_text()[-5000:])
            raise
        yield city
