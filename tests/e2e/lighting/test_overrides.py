"""Incident overrides: raise a zone, stack by priority, expire on their own, return to the schedule."""

from __future__ import annotations

from tests.e2e.lighting.conftest import LitCity


def test_override_raises_the_level_then_returns_to_schedule_at_expiry(lit_city: LitCity) -> None:
    city = lit_city
    body = {"level": 90, "duration_s": 3, "reason": "INC-2231 cordon on Cheapside"}
    r = city.http.post("/api/v1/lighting/zones/cheapside/override", json=body)
    assert r.status_code == 202, r.text
    assert r.json()["override_id"] == r.json()["command_id"]
    detail = city.command(r.json()["command_id"])
    assert detail["stage"] == "succeeded", detail
    assert city.lights_at("cheapside", 90)
    zone = city.wait(lambda: (z := city.zones()["cheapside"])["reported"] == 90 and z, 10, "zone at 90")
    assert zone["source"] == "override" and zone["override"]["reason"] == body["reason"]
    assert zone["override"]["issued_by"] == "admin" and zone["schedule"]["level"] == 30
    # nobody cancels it: the edge returns the zone to its schedule at expiry
    city.wait(lambda: city.lights_at("cheapside", 30), 15, "street lights back at the scheduled 30 %")
    zone = city.wait(lambda: (z := city.zones()["cheapside"])["reported"] == 30 and z, 10, "zone back at 30")
    assert zone["override"] is None and zone["source"] == "schedule" and zone["overrides"] == []
    ended = city.wait(lambda: city.events("lighting.override_ended", "cheapside"), 10, "override_ended event")
    assert ended[0]["data"]["reason"] == "expired"


def test_overrides_stack_by_priority_and_unwind(lit_city: LitCity) -> None:
    city = lit_city
    zone = "guildhall-yard"
    low = city.http.post(
        f"/api/v1/lighting/zones/{zone}/override", json={"level": 60, "duration_s": 60, "reason": "event"}
    ).json()
    assert city.command(low["command_id"])["stage"] == "succeeded"
    high = city.http.post(
        f"/api/v1/lighting/zones/{zone}/override",
        json={"level": 100, "duration_s": 2, "reason": "police cordon", "priority": 200},
    ).json()
    assert city.command(high["command_id"])["stage"] == "succeeded"
    assert city.lights_at(zone, 100)
    # an operator's level goes under the overrides: accepted, but the zone stays where the top override holds it
    manual = city.http.post(f"/api/v1/lighting/zones/{zone}/level", json={"level": 10}).json()
    detail = city.command(manual["command_id"])
    assert detail["stage"] == "succeeded" and "stays at 100%" in detail["message"]
    # the priority-200 override expires: the event override (60) is next
    city.wait(lambda: city.lights_at(zone, 60), 15, "next override down")
    state = city.wait(lambda: (z := city.zones()[zone])["override"] and z["override"]["level"] == 60 and z, 10, "60")
    assert [o["level"] for o in state["overrides"]] == [60, 10]  # the manual level waits underneath
    # cleared early by an operator: the manual level is in force until the schedule's next step
    r = city.http.delete(f"/api/v1/lighting/zones/{zone}/override", params={"override_id": low["override_id"]})
    assert r.status_code == 202, r.text
    assert city.command(r.json()["command_id"])["stage"] == "succeeded"
    assert city.lights_at(zone, 10)
    state = city.wait(lambda: (z := city.zones()[zone])["source"] == "manual" and z, 10, "manual level")
    assert state["override"]["kind"] == "manual"
    # nothing left to clear by id; a second clear of the one in force goes through, a third is refused
    assert (
        city.http.delete(f"/api/v1/lighting/zones/{zone}/override", params={"override_id": "nope"}).status_code == 404
    )
    r = city.http.delete(f"/api/v1/lighting/zones/{zone}/override")
    assert city.command(r.json()["command_id"])["stage"] == "succeeded"
    city.wait(lambda: city.lights_at(zone, 30), 10, "back on schedule")
    city.wait(lambda: city.zones()[zone]["override"] is None, 10, "no override shown")
    r = city.http.delete(f"/api/v1/lighting/zones/{zone}/override")
    assert r.status_code == 409 and "no override" in r.text


def test_override_arguments_are_checked(lit_city: LitCity) -> None:
    city = lit_city
    url = "/api/v1/lighting/zones/bank/override"
    assert city.http.post(url, json={"level": 50, "duration_s": 10}).status_code == 422  # no reason
    r = city.http.post(url, json={"level": 50, "duration_s": 0, "reason": "x"})
    assert r.status_code == 422 and "duration_s" in r.text
    r = city.http.post(url, json={"level": 50, "duration_s": 8 * 24 * 3600, "reason": "x"})
    assert r.status_code == 422
    assert (
        city.http.post(
            "/api/v1/lighting/zones/nowhere/override", json={"level": 5, "duration_s": 5, "reason": "x"}
        ).status_code
        == 404
    )
    # a zone without a schedule returns to the level it had before the override
    cid = city.http.post("/api/v1/lighting/zones/bank/level", json={"level": 20}).json()["command_id"]
    assert city.command(cid)["stage"] == "succeeded"
    cid = city.http.post(url, json={"level": 70, "duration_s": 2, "reason": "x"}).json()["command_id"]
    assert city.command(cid)["stage"] == "succeeded" and city.lights_at("bank", 70)
    city.wait(lambda: city.lights_at("bank", 20), 15, "bank back at 20")
