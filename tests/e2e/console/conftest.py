"""The console in Debian's chromium against a real small city: street lights → edge process → mosquitto → control
room (restartable on the same address, so its stream can be cut and come back). Screenshots of every step go to
``test-artifacts/console/<test>/``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from edge.stack.mosquitto import Mosquitto
from simulators.streetlights import StreetlightFleet, parse_layout
from tests.conftest import ARTIFACTS
from tests.support.stack import ADMIN_PASSWORD, ControlRoom, EdgeProcess, edge_config, wait_until

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

CHROMIUM = Path("/usr/bin/chromium")
OPERATOR = ("olivia", "copper-kettle-lamp-7")
SUPERVISOR = ("sam", "granite-lantern-55")
TIMEOUT_MS = 30_000

LIGHTING = """
[lighting.streetlights]
url = "{url}"
ack_timeout_s = 5

[[lighting.zones]]
id = "cheapside"
label = "Cheapside"
location = "Cheapside EC2"
nodes = ["sl-01..sl-08"]
"""


@dataclass
class ConsoleCity:
    """The running parts. ``rooms`` holds every control-room instance started; the last one is current."""

    broker: Mosquitto
    fleet: StreetlightFleet
    edge: EdgeProcess
    rooms: list[ControlRoom]
    data_dir: Path
    database_url: str

    @property
    def cr(self) -> ControlRoom:
        """The current control room."""
        return self.rooms[-1]

    def client(self, username: str = "admin", password: str = ADMIN_PASSWORD) -> httpx.Client:
        """A bearer-token client of the current control room."""
        return self.cr.client(username, password)

    def stop_control_room(self) -> None:
        """Stop the control room: every console loses its stream."""
        self.cr.stop()

    def start_control_room(self) -> None:
        """Start it again on the same address, store and secret (sessions survive a restart)."""
        self.rooms.append(ControlRoom(self.data_dir, self.broker.url, self.database_url, port=self.cr.port).start())


@pytest.fixture
def console_city(mosquitto: Mosquitto, tmp_path: Path) -> Iterator[ConsoleCity]:
    """Eight street lights, an edge node and a control room with an operator and a supervisor account."""
    with ExitStack() as stack:
        fleet = StreetlightFleet(mosquitto.url, parse_layout(["sl-01..sl-08"]))
        fleet.start()
        stack.callback(fleet.stop)
        db = f"sqlite:///{tmp_path / 'store.db'}"
        rooms = [ControlRoom(tmp_path / "cr", mosquitto.url, db).start()]
        stack.callback(lambda: rooms[-1].stop())
        edge = EdgeProcess(
            edge_config("edge-1", tmp_path / "edge", mosquitto.url, LIGHTING.format(url=mosquitto.url)), tmp_path
        ).start()
        stack.callback(edge.stop)
        city = ConsoleCity(mosquitto, fleet, edge, rooms, tmp_path / "cr", db)
        fleet.wait_connected(30)
        with city.client() as admin:
            for (name, password), role in ((OPERATOR, "operator"), (SUPERVISOR, "supervisor")):
                r = admin.post("/api/v1/users", json={"username": name, "password": password, "role": role})
                assert r.status_code == 201, r.text

            def zone_reported() -> bool:
                zones = {z["id"]: z for z in admin.get("/api/v1/lighting/zones").json()}
                return zones.get("cheapside", {}).get("online") == 8

            wait_until(zone_reported, 40, "the edge node online with its zone reported")
        yield city


@pytest.fixture
def browser() -> Iterator[Browser]:
    """Headless Debian chromium (no browser download), closed after the test."""
    from playwright.sync_api import sync_playwright

    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: run `make system-deps` (apt-get install chromium)")
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            yield chromium
        finally:
            chromium.close()


@dataclass
class Shots:
    """Numbered screenshots of a test's steps."""

    folder: Path
    n: int = 0
    taken: list[Path] = field(default_factory=list)

    def __call__(self, page: Page, step: str) -> None:
        self.n += 1
        path = self.folder / f"{self.n:02d}-{re.sub(r'[^a-z0-9]+', '-', step.lower()).strip('-')}.png"
        page.screenshot(path=str(path), full_page=True)
        self.taken.append(path)


@pytest.fixture
def shots(request: pytest.FixtureRequest) -> Shots:
    """Screenshots under test-artifacts/console/<test name>/ (git-ignored)."""
    folder = ARTIFACTS / "console" / re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.name)
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.png"):
        old.unlink()
    return Shots(folder)


def sign_in(page: Page, url: str, username: str, password: str) -> None:
    """Sign in through the form and wait for the live stream."""
    from playwright.sync_api import expect

    page.goto(url)
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#who-name")).to_have_text(username, timeout=TIMEOUT_MS)
    expect(page.locator("body")).to_have_attribute("data-live", "connected", timeout=TIMEOUT_MS)
