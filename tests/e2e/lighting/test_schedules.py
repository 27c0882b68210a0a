"""Schedules run on the edge's clock: replaced from the control room, kept on the edge's disk, and followed while
the JCCR broker is down (the street lights' site broker is another mosquitto)."""

from __future__ import annotations

import datetime as dt

from tests.e2e.lighting.conftest import LitCity


def quiet_timezone(now: dt.datetime) -> tuple[str, dt.timezone]:
    """A fixed-offset zone where it is about 18:00 now, so that steps a few seconds ahead sit in one night (a night's
    clock-time steps from 12:00 belong to its first day, earlier ones to the next: noon is the seam)."""
    offset = (18 - now.hour) % 24
    if offset > 14:
        offset -= 24
    name = f"Etc/GMT{'-' if offset >= 0 else '+'}{abs(offset)}"  # POSIX sign: Etc/GMT-5 is UTC+5
    return name, dt.timezone(dt.timedelta(hours=offset))


def test_schedule_replaced_from_the_control_room_runs_with_the_broker_stopped(lit_city: LitCity) -> None:
    city = lit_city
    now = dt.datetime.now(dt.UTC)
    tz_name, tz = quiet_timezone(now)
    t1, t2 = (now + dt.timedelta(seconds=7)).astimezone(tz), (now + dt.timedelta(seconds=11)).astimezone(tz)
    doc = {
        "timezone": tz_name,
        "profiles": {
            "steady": {"steps": [{"at": "12:00", "level": 30}]},
            "drill": {
                "steps": [{"at": t1.strftime("%H:%M:%S"), "level": 80}, {"at": t2.strftime("%H:%M:%S"), "level": 20}]
            },
        },
        "calendars": {"city": {"default": "steady"}, "drill": {"default": "drill"}},
        "zones": {"cheapside": "drill", "guildhall-yard": "drill", "millennium-bridge": "city"},
    }
    r = city.http.put("/api/v1/lighting/schedules", json=doc)
    assert r.status_code == 202, r.text
    [sent] = r.json()["commands"]
    assert city.command(sent["command_id"])["stage"] == "succeeded"
    # before t1 the drill night's last step (yesterday's t2) is in force: 20 %
    city.wait(lambda: city.lights_at("cheapside", 20) and city.lights_at("guildhall-yard", 20), 10, "drill at 20")
    # the edge's retained schedule state reaches the control room on its own path, after the command's stages
    schedules = city.wait(
        lambda: (s := city.http.get("/api/v1/lighting/schedules").json())[0]["source"] == "control_room" and s,
        10,
        "the edge reports the replaced schedule",
    )
    assert schedules[0]["updated_by"] == "admin"
    assert schedules[0]["schedule"]["zones"]["cheapside"] == "drill"
    zone = city.wait(lambda: (z := city.zones()["cheapside"])["schedule"]["calendar"] == "drill" and z, 10, "shown")
    assert zone["schedule"]["next_change"] is not None

    # the JCCR broker goes away; the schedule's steps still reach the lights (read from the simulators)
    city.jccr.stop()
    city.wait(lambda: city.lights_at("cheapside", 80) and city.lights_at("guildhall-yard", 80), 20, "t1: 80 %")
    city.wait(lambda: city.lights_at("cheapside", 20) and city.lights_at("guildhall-yard", 20), 20, "t2: 20 %")
    assert city.lights_at("millennium-bridge", 30)
    city.jccr.start()

    # the events written meanwhile arrive once the broker is back
    def scheduled_levels() -> list[int]:
        return [
            e["data"]["level"]
            for e in city.events("lighting.level_set", "cheapside")
            if e["data"]["source"] == "schedule"
        ]

    city.wait(lambda: scheduled_levels()[-3:] == [20, 80, 20], 30, "schedule's level_set events delivered")

    # an override and the schedule survive an edge restart (both kept on the edge's disk)
    cid = city.http.post(
        "/api/v1/lighting/zones/bank/override", json={"level": 66, "duration_s": 120, "reason": "film shoot"}
    ).json()["command_id"]
    assert city.command(cid)["stage"] == "succeeded"
    city.edge.stop()
    city.dali.gear(1, 4).go_to(0, 0.0, fade=False)  # (someone switched a gear off meanwhile)
    city.edge.start()
    city.wait(lambda: city.lights_at("bank", 66), 30, "override restored after the restart")
    zones = city.wait(lambda: (z := city.zones())["bank"]["override"] and z["cheapside"]["schedule"] and z, 30, "z")
    assert zones["bank"]["override"]["reason"] == "film shoot"
    assert zones["cheapside"]["schedule"]["calendar"] == "drill" and city.lights_at("cheapside", 20)
    assert city.http.get("/api/v1/lighting/schedules").json()[0]["source"] == "control_room"


def test_schedule_documents_are_checked(lit_city: LitCity) -> None:
    city = lit_city
    base = {"profiles": {"p": {"steps": [{"at": "sunset", "level": 100}]}}, "calendars": {"c": {"default": "p"}}}
    r = city.http.put("/api/v1/lighting/schedules", json={**base, "zones": {"atlantis": "c"}})
    assert r.status_code == 422 and "atlantis" in r.text
    r = city.http.put("/api/v1/lighting/schedules", json={**base, "zones": {"cheapside": "nope"}})
    assert r.status_code == 422 and "nope" in r.text
    bad_step = {"profiles": {"p": {"steps": [{"at": "teatime", "level": 100}]}}, "calendars": {"c": {"default": "p"}}}
    r = city.http.put("/api/v1/lighting/schedules", json=bad_step)
    assert r.status_code == 422 and "teatime" in r.text
    r = city.http.put("/api/v1/lighting/schedules", json={**base, "zones": {}, "colour": "red"})
    assert r.status_code == 422 and "colour" in r.text
    assert city.http.get("/api/v1/lighting/schedules").json()[0]["source"] == "config"
