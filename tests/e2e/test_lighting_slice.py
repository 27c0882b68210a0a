"""The first vertical slice: an operator sets a zone's level; stages and per-luminaire state reach API and stream."""

from __future__ import annotations

from tests.e2e.conftest import City
from tests.support.stack import stream_client, wait_until


def test_set_level_end_to_end(city: City) -> None:
    with stream_client(city.cr.url, city.token) as ws, city.cr.client() as http:
        wait_until(lambda: ws.of_type("hello"), 10, "stream hello")
        r = http.post("/api/v1/lighting/zones/cheapside/level", json={"level": 65})
        assert r.status_code == 202, r.text
        cid = r.json()["command_id"]

        def stages() -> list[str]:
            return [m["data"]["stage"] for m in ws.of_type("command") if m["data"]["id"] == cid]

        wait_until(lambda: "succeeded" in stages(), 20, "succeeded on the stream")
        assert stages()[0] in ("pending", "sent", "accepted")
        detail = http.get(f"/api/v1/commands/{cid}").json()
        assert detail["stage"] == "succeeded" and detail["terminal"] and detail["issued_by"] == "admin"
        assert [s["stage"] for s in detail["stages"]][-1] == "succeeded"
        assert {"accepted", "succeeded"} <= {s["stage"] for s in detail["stages"]}
        assert detail["state_after"]["levels"] == {f"sl-{i:03d}": 65 for i in range(1, 21)}

        # per-luminaire state on the stream and in the API
        def luminaires_at_65() -> set[str]:
            return {
                m["data"]["id"]
                for m in ws.of_type("device_state")
                if m["data"]["kind"] == "luminaire" and m["data"]["state"]["level"] == 65
            }

        wait_until(lambda: len(luminaires_at_65()) == 20, 20, "20 luminaire states at 65%")
        # the zone's own retained state travels separately from the luminaires' states
        zones = wait_until(
            lambda: (
                (z := {z["id"]: z for z in http.get("/api/v1/lighting/zones").json()})["cheapside"]["commanded"] == 65
                and z
            ),
            20,
            "zone state commanded 65",
        )
        assert zones["cheapside"]["commanded"] == 65
        wait_until(
            lambda: {z["id"]: z for z in http.get("/api/v1/lighting/zones").json()}["cheapside"]["reported"] == 65,
            10,
            "zone reported 65",
        )
        assert zones["london-bridge"]["commanded"] is None
        devices = http.get("/api/v1/devices", params={"kind": "luminaire"}).json()
        assert {d["id"]: d["state"]["level"] for d in devices if d["state"]}["sl-007"] == 65
        events = http.get("/api/v1/events", params={"type": "lighting.level_set"}).json()
        assert events[-1]["data"]["command_id"] == cid and events[-1]["data"]["messages"] == 1
        assert city.fleet.commands_applied == 20  # one group message reached twenty nodes


def test_zone_without_group_gets_one_message_per_node(city: City) -> None:
    with city.cr.client() as http:
        cid = http.post("/api/v1/lighting/zones/london-bridge/level", json={"level": 30}).json()["command_id"]
        wait_until(lambda: http.get(f"/api/v1/commands/{cid}").json()["terminal"], 20, "terminal stage")
        assert http.get(f"/api/v1/commands/{cid}").json()["stage"] == "succeeded"
        event = http.get("/api/v1/events", params={"type": "lighting.level_set"}).json()[-1]
        assert event["data"]["messages"] == 10


def test_luminaire_that_ignores_commands_fails_the_command_by_name(city: City) -> None:
    city.fleet.inject("sl-004", "ignore")
    with city.cr.client() as http:
        cid = http.post("/api/v1/lighting/zones/cheapside/level", json={"level": 10}).json()["command_id"]
        detail = wait_until(
            lambda: (d := http.get(f"/api/v1/commands/{cid}").json())["terminal"] and d, 30, "terminal stage"
        )
        assert detail["stage"] == "failed" and detail["code"] == "not_confirmed"
        assert "sl-004" in detail["message"] and "1 of 20" in detail["message"]


def test_bad_requests_are_refused_with_reasons(city: City) -> None:
    with city.cr.client() as http:
        r = http.post("/api/v1/lighting/zones/cheapside/level", json={"level": 101})
        assert r.status_code == 422 and "level" in r.text
        r = http.post("/api/v1/lighting/zones/cheapside/level", json={"level": 5, "colour": "red"})
        assert r.status_code == 422 and "colour" in r.text
        r = http.post("/api/v1/lighting/zones/nowhere/level", json={"level": 5})
        assert r.status_code == 404 and "nowhere" in r.text


def test_faults_and_offline_become_alerts_and_clear(city: City) -> None:
    with city.cr.client() as http:

        def alert(type_: str, device: str) -> dict | None:
            for a in http.get("/api/v1/alerts").json():
                if a["type"] == type_ and a["device_id"] == device:
                    return a
            return None

        city.fleet.inject("sl-005", "fault", code="LAMP_FAILURE")
        raised = wait_until(lambda: alert("lamp_failure", "sl-005"), 20, "lamp failure alert")
        assert raised["active"] and raised["location"] == "Cheapside EC2" and raised["count"] == 1
        city.fleet.inject("sl-005", "clear", code="LAMP_FAILURE")
        wait_until(lambda: not alert("lamp_failure", "sl-005")["active"], 20, "lamp failure cleared")

        city.fleet.inject("sl-022", "drop")
        wait_until(lambda: alert("luminaire_offline", "sl-022"), 20, "offline alert from the node's last-will")
        city.fleet.inject("sl-022", "return")
        wait_until(lambda: not alert("luminaire_offline", "sl-022")["active"], 30, "offline alert cleared")
        assert len([a for a in http.get("/api/v1/alerts").json() if a["type"] == "lamp_failure"]) == 1
