"""A small city with a PA for end-to-end tests: simulator → edge process → mosquitto → control room."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from edge.stack.mosquitto import Mosquitto
from simulators.pa import PaControllerSimulator
from tests.pa.conftest import TEST_STORE, make_sim
from tests.support.stack import ADMIN_PASSWORD, ControlRoom, EdgeProcess, edge_config, login, wait_until


def pa_toml(sim: PaControllerSimulator) -> str:
    lines = [
        "[pa]",
        f'url = "{sim.url}"',
        f'line_output = "{sim.line_url}"',
        'label = "City PA"',
        'location = "Guildhall"',
        "poll_interval_s = 1",
        "call_grace_s = 5",
        "progress_every_s = 2",
        "",
        "[pa.groups]",
        "Bridges = [2, 4]",
        "Cheapside = [5, 6]",
        "",
        "[pa.chimes]",
        "evacuate = 3",
        "alert = 3",
        "announcement = 1",
        "routine = 1",
        "background = 0",
        "",
        "[pa.system_test]",
        "min_interval_s = 3600",
        "",
    ]
    for n in range(1, sim.zones + 1):
        lines += ["[[pa.zones]]", f"number = {n}", f'name = "Zone {n}"', ""]
    for mid, m in TEST_STORE.messages.items():
        lines += ["[[pa.messages]]", f"id = {mid}", f'name = "{m.name}"', f"duration_s = {m.duration_s}", ""]
    return "\n".join(lines)


FINAL = {"completed", "failed", "preempted", "cancelled", "expired", "unknown"}
COMMAND_FINAL = {"succeeded", "failed", "rejected", "expired", "unknown"}


@dataclass
class PaCity:
    """The running parts and a logged-in HTTP client."""

    sim: PaControllerSimulator
    edge: EdgeProcess
    cr: ControlRoom
    http: httpx.Client
    token: str

    def announce(self, **body: Any) -> str:
        r = self.http.post("/api/v1/pa/announcements", json=body)
        assert r.status_code == 202, r.text
        return str(r.json()["id"])

    def announcement(self, ann_id: str) -> dict[str, Any]:
        r = self.http.get(f"/api/v1/pa/announcements/{ann_id}")
        assert r.status_code == 200, r.text
        return dict(r.json())

    def wait_state(self, ann_id: str, states: tuple[str, ...], timeout: float = 30) -> dict[str, Any]:
        """Wait until the announcement is in one of ``states`` (for a final state, its command too)."""

        def check() -> dict[str, Any] | None:
            a = self.announcement(ann_id)
            if a["state"] not in states:
                return None
            if a["state"] in FINAL and a["command"]["stage"] not in COMMAND_FINAL:
                return None
            return a

        return dict(wait_until(check, timeout, f"announcement {ann_id} to be {'/'.join(states)}"))

    def alerts(self, type_: str) -> list[dict[str, Any]]:
        return [a for a in self.http.get("/api/v1/alerts").json() if a["type"] == type_]

    def sim_calls(self, ann: dict[str, Any]) -> list[dict[str, Any]]:
        calls = {c["call_id"]: c for c in self.sim.finished_calls()}
        return [calls[c] for c in ann.get("calls", []) if c in calls]


@contextmanager
def pa_city(mosquitto: Mosquitto, tmp_path: Path, transport: str = "tcp", **cr_settings: Any) -> Iterator[PaCity]:
    """Everything running; the PA system and its zones reported to the control room (``cr_settings``: control-room
    settings, e.g. ``approval_timeout_s``)."""
    with ExitStack() as stack:
        sim = make_sim(tmp_path, transport, zones_per_amplifier=2)
        sim.start()
        stack.callback(sim.cleanup)
        stack.callback(sim.stop)
        cr = ControlRoom(tmp_path / "cr", mosquitto.url, **cr_settings).start()
        stack.callback(cr.stop)
        config = edge_config("edge-pa", tmp_path / "edge", mosquitto.url, pa_toml(sim))
        edge = EdgeProcess(config, tmp_path).start()
        stack.callback(edge.stop)
        token = login(cr.url, "admin", ADMIN_PASSWORD)
        http = stack.enter_context(cr.client())

        def ready() -> bool:
            systems = http.get("/api/v1/pa/systems").json()
            zones = http.get("/api/v1/pa/zones").json()
            return bool(systems) and systems[0]["connection"] == "connected" and len(zones) == sim.zones

        wait_until(ready, 40, "the PA system connected and its zones reported")
        yield PaCity(sim, edge, cr, http, token)
