"""Failures become alerts with the luminaire's id and location, exactly one per failure, cleared on recovery."""

from __future__ import annotations

from tests.e2e.lighting.conftest import LitCity


def test_failed_lamps_raise_exactly_one_alert_each_and_clear_on_repair(lit_city: LitCity) -> None:
    city = lit_city
    gear = city.dali.gear(0, 5)
    gear.lamp_failure = True
    city.fleet.inject("sl-03", "fault", code="LAMP_FAILURE")
    dali = city.wait(lambda: city.alerts("lamp_failure", "guildhall-l0-g05"), 20, "DALI lamp failure alert")
    mqtt = city.wait(lambda: city.alerts("lamp_failure", "sl-03"), 20, "street-light lamp failure alert")
    assert dali[0]["location"] == "Guildhall Yard EC2" and "guildhall-l0-g05" in dali[0]["message"]
    assert mqtt[0]["location"] == "Cheapside EC2" and "sl-03" in mqtt[0]["message"]
    # the poller keeps asking QUERY STATUS (and the node keeps reporting its fault): still one alert each
    frames = city.dali.frames_on_wire(0)
    city.wait(lambda: city.dali.frames_on_wire(0) > frames + 3 * 16, 20, "three more sweeps of line 0")
    for device in ("guildhall-l0-g05", "sl-03"):
        alerts = city.alerts("lamp_failure", device)
        assert len(alerts) == 1 and alerts[0]["count"] == 1 and alerts[0]["active"], alerts
        assert len(city.events("alert.raised", device)) == 1
    faulty = {lum["id"]: lum for lum in city.http.get("/api/v1/lighting/luminaires", params={"fault": True}).json()}
    assert faulty["guildhall-l0-g05"]["faults"] == ["LAMP_FAILURE"] and faulty["sl-03"]["faults"] == ["LAMP_FAILURE"]
    city.wait(lambda: "guildhall-l0-g05" in city.zones()["guildhall-yard"]["faults"], 10, "zone lists the fault")
    # repaired
    gear.lamp_failure = False
    city.fleet.inject("sl-03", "clear", code="LAMP_FAILURE")
    for device in ("guildhall-l0-g05", "sl-03"):
        city.wait(lambda d=device: not city.alerts("lamp_failure", d)[0]["active"], 20, f"{device} cleared")
        assert len(city.alerts("lamp_failure", device)) == 1
    city.wait(lambda: not city.http.get("/api/v1/lighting/luminaires", params={"fault": True}).json(), 10, "no faults")


def test_gear_failure_silent_gear_and_bus_power_loss(lit_city: LitCity) -> None:
    city = lit_city
    city.dali.gear(1, 6).gear_failure = True
    city.dali.gear(1, 7).mute = True
    failure = city.wait(lambda: city.alerts("gear_failure", "guildhall-l1-g06"), 20, "gear failure alert")
    assert failure[0]["location"] == "Bank EC3"
    offline = city.wait(lambda: city.alerts("luminaire_offline", "guildhall-l1-g07"), 20, "silent gear alert")
    assert "does not answer" in offline[0]["message"] and offline[0]["location"] == "Bank EC3"
    city.dali.gear(1, 6).gear_failure = False
    city.dali.gear(1, 7).mute = False
    city.wait(lambda: not city.alerts("gear_failure", "guildhall-l1-g06")[0]["active"], 20, "gear failure cleared")
    city.wait(lambda: not city.alerts("luminaire_offline", "guildhall-l1-g07")[0]["active"], 20, "gear answers again")

    # the whole line loses bus power: one alert on the gateway naming the luminaires, none per gear
    city.dali.set_bus_power(0, False)
    bus = city.wait(lambda: city.alerts("dali_bus_power_failure", "guildhall"), 20, "bus power alert")
    assert len(bus) == 1 and bus[0]["severity"] == "major" and bus[0]["location"] == "Guildhall Yard EC2"
    assert bus[0]["data"]["luminaires"] == [f"guildhall-l0-g{s:02d}" for s in range(8)]
    assert "guildhall-l0-g00" in bus[0]["message"]
    city.wait(lambda: city.zones()["guildhall-yard"]["online"] == 0, 10, "zone shows its gear unreachable")
    assert not city.alerts("luminaire_offline", "guildhall-l0-g00")
    # the gear went to their system failure level (100 %); when power returns the edge restores the schedule
    city.dali.set_bus_power(0, True)
    city.wait(lambda: not city.alerts("dali_bus_power_failure", "guildhall")[0]["active"], 20, "bus alert cleared")
    city.wait(lambda: city.lights_at("guildhall-yard", 30), 20, "gear back at the scheduled 30 %")
    assert len(city.alerts("dali_bus_power_failure", "guildhall")) == 1


def test_street_light_that_drops_off_gets_its_level_when_it_returns(lit_city: LitCity) -> None:
    city = lit_city
    city.fleet.inject("sl-10", "drop")
    city.wait(lambda: city.alerts("luminaire_offline", "sl-10"), 20, "offline alert from the node's last-will")
    cid = city.http.post("/api/v1/lighting/zones/millennium-bridge/level", json={"level": 55}).json()["command_id"]
    detail = city.command(cid)
    assert detail["stage"] == "failed" and "sl-10" in detail["message"] and "1 of 8" in detail["message"]
    assert city.fleet.nodes["sl-10"].level == 30
    city.fleet.inject("sl-10", "return")
    city.wait(lambda: city.fleet.nodes["sl-10"].level == 55, 30, "returning node set to the zone's level")
    city.wait(lambda: not city.alerts("luminaire_offline", "sl-10")[0]["active"], 20, "offline alert cleared")
    assert not city.alerts("lighting_not_at_level", "millennium-bridge")  # offline is its own alert


def test_luminaires_that_ignore_commands_are_named_in_one_reconciliation_alert(lit_city: LitCity) -> None:
    city = lit_city
    city.fleet.inject("sl-04", "ignore")
    city.dali.gear(0, 2).deaf = True
    for zone in ("cheapside", "guildhall-yard"):
        cid = city.http.post(f"/api/v1/lighting/zones/{zone}/level", json={"level": 75}).json()["command_id"]
        detail = city.command(cid)
        assert detail["stage"] == "failed" and detail["code"] == "not_confirmed", detail
    mqtt = city.wait(lambda: city.alerts("lighting_not_at_level", "cheapside"), 20, "cheapside alert")
    dali = city.wait(lambda: city.alerts("lighting_not_at_level", "guildhall-yard"), 20, "yard alert")
    assert mqtt[0]["data"]["luminaires"] == ["sl-04"] and "sl-04" in mqtt[0]["message"]
    assert dali[0]["data"]["luminaires"] == ["guildhall-l0-g02"] and "75%" in dali[0]["message"]
    assert mqtt[0]["location"] == "Cheapside EC2"
    zone = city.zones()["cheapside"]
    assert zone["not_at_level"] == ["sl-04"] and zone["at_level"] == 7
    # a periodic round re-sends again (the edge logs each re-send); the same failure stays one alert
    rounds = len(city.events("lighting.level_set", "cheapside"))
    city.wait(lambda: city.edge.log_text().count("zone cheapside: 1 luminaire(s) not at 75%") >= 2, 20, "a round")
    assert len(city.alerts("lighting_not_at_level", "cheapside")) == 1
    city.fleet.inject("sl-04", "obey")
    city.dali.gear(0, 2).deaf = False
    city.wait(lambda: not city.alerts("lighting_not_at_level", "cheapside")[0]["active"], 20, "cheapside cleared")
    city.wait(lambda: not city.alerts("lighting_not_at_level", "guildhall-yard")[0]["active"], 20, "yard cleared")
    assert city.fleet.nodes["sl-04"].level == 75 and city.lights_at("guildhall-yard", 75)
    assert len(city.alerts("lighting_not_at_level", "cheapside")) == 1
    assert len(city.events("alert.raised", "cheapside")) == 1
    assert len(city.events("lighting.level_set", "cheapside")) == rounds  # re-sends are not new levels
