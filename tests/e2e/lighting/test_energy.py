"""Energy per zone and day: measured by street-light nodes' meters, estimated for DALI gear from level x rated power."""

from __future__ import annotations

import datetime as dt
import time
from zoneinfo import ZoneInfo

from drivers.dali.dimming import arc_to_percent, percent_to_arc
from tests.e2e.lighting.conftest import LitCity


def test_energy_per_zone_and_day(lit_city: LitCity) -> None:
    city = lit_city
    started = time.monotonic()
    today = dt.datetime.now(dt.UTC).date()
    days = {"from": (today - dt.timedelta(days=1)).isoformat(), "to": (today + dt.timedelta(days=1)).isoformat()}

    def zones() -> dict[str, dict]:
        return {z["zone"]: z for z in city.http.get("/api/v1/lighting/energy", params=days).json()["zones"]}

    def counted() -> bool:
        z = zones()
        return (
            set(z) == {"cheapside", "guildhall-yard", "millennium-bridge", "bank"}
            and z["cheapside"]["days"][-1]["measured_kwh"] > 0
            and z["guildhall-yard"]["days"][-1]["estimated_kwh"] > 0
            and z["millennium-bridge"]["days"][-1]["measured_kwh"] > 0
            and z["millennium-bridge"]["days"][-1]["estimated_kwh"] > 0
        )

    city.wait(counted, 30, "measured and estimated energy reported")
    report = zones()
    yard = report["guildhall-yard"]["days"][-1]
    assert yard["measured_kwh"] == 0 and report["cheapside"]["days"][-1]["estimated_kwh"] == 0
    # 8 gear x 40 W at arc(30 %) for at most the time this city has run
    watts = 8 * 40 * arc_to_percent(percent_to_arc(30)) / 100
    assert 0 < yard["estimated_kwh"] <= watts * (time.monotonic() - started + 60) / 3600 / 1000
    # street-light meters: 8 x 60 W at 30 % for at most as long
    assert report["cheapside"]["days"][-1]["measured_kwh"] <= 8 * 60 * 0.3 * (time.monotonic() - started + 60) / 3.6e6
    assert report["bank"]["days"][-1]["kwh"] == 0  # its gear were never switched on
    london_today = dt.datetime.now(ZoneInfo("Europe/London")).date().isoformat()
    assert report["cheapside"]["days"][-1]["day"] == london_today  # local days, in the schedule's time zone
    assert city.zones()["guildhall-yard"]["energy_today_kwh"] > 0
    body = city.http.get("/api/v1/lighting/energy", params=days).json()
    assert body["kwh"] >= sum(z["kwh"] for z in report.values()) - 1e-6
    # bad periods are refused with a reason
    r = city.http.get("/api/v1/lighting/energy", params={"from": "2026-03-02", "to": "2026-03-01"})
    assert r.status_code == 422 and "after" in r.text
    r = city.http.get("/api/v1/lighting/energy", params={"from": "2024-01-01", "to": "2026-01-01"})
    assert r.status_code == 422 and "366" in r.text
    assert city.http.get("/api/v1/lighting/energy", params={"from": "yesterday"}).status_code == 422
