"""DALI zones end to end: API -> MQTT -> edge -> LUBA gateway simulator (TCP) -> gear, in the fewest frames."""

from __future__ import annotations

from drivers.dali.dimming import percent_to_arc
from tests.e2e.lighting.conftest import LitCity


def test_dali_zone_command_end_to_end_in_one_broadcast_frame(lit_city: LitCity) -> None:
    city = lit_city
    before = city.dali.frames_on_wire(0)
    r = city.http.post("/api/v1/lighting/zones/guildhall-yard/level", json={"level": 50})
    assert r.status_code == 202, r.text
    cid = r.json()["command_id"]
    detail = city.command(cid)
    assert detail["stage"] == "succeeded", detail
    assert all(city.arc(0, s) == percent_to_arc(50) == 229 for s in range(8))
    # each gear reports its whole percent (arc 229 is 50.5 %), the zone counts them at the commanded 50 %
    assert detail["state_after"]["levels"] == {f"guildhall-l0-g{s:02d}": 51 for s in range(8)}
    assert detail["state_after"]["at_level"] == 8 and detail["state_after"]["reported"] == 50
    event = next(e for e in city.events("lighting.level_set", "guildhall-yard") if e["data"]["command_id"] == cid)
    assert event["data"]["frames"] == 1 and event["data"]["confirmed"] == 8  # one broadcast frame, read back
    assert city.dali.frames_on_wire(0) > before  # (the pollers' queries share the line)
    city.wait(lambda: city.zones()["guildhall-yard"]["reported"] == 50, 20, "zone reported 50")
    # DALI gear are luminaire devices too, with their hardware and location
    lums = city.http.get("/api/v1/lighting/luminaires", params={"zone": "guildhall-yard"}).json()
    assert {lum["hardware"] for lum in lums} == {"dali"} and len(lums) == 8
    assert {lum["location"] for lum in lums} == {"Guildhall Yard EC2"}
    city.wait(
        lambda: all(
            lum["level"] == 51
            for lum in city.http.get("/api/v1/lighting/luminaires", params={"zone": "guildhall-yard"}).json()
        ),
        20,
        "luminaire states at 50",
    )


def test_zone_across_both_hardware_kinds_and_a_dali_group(lit_city: LitCity) -> None:
    city = lit_city
    untouched = [city.arc(1, s) for s in range(4, 8)]
    cid = city.http.post("/api/v1/lighting/zones/millennium-bridge/level", json={"level": 80}).json()["command_id"]
    assert city.command(cid)["stage"] == "succeeded"
    assert city.lights_at("millennium-bridge", 80)
    assert [city.arc(1, s) for s in range(4, 8)] == untouched  # group 0 only: bank's gear on the same line kept
    event = next(e for e in city.events("lighting.level_set", "millennium-bridge") if e["data"]["command_id"] == cid)
    assert event["data"]["frames"] == 1  # DALI group 0
    assert event["data"]["messages"] == 4  # four street lights without a common group topic
    zone = city.wait(
        lambda: (z := city.zones()["millennium-bridge"])["reported"] == 80 and z, 20, "mixed zone reported"
    )
    assert zone["hardware"] == {"mqtt": 4, "dali": 4} and zone["at_level"] == 8 and zone["source"] == "manual"
