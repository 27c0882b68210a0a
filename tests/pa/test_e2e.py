"""PA end to end through real mosquitto: control-room API → edge process → controller simulator → zone WAVs."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from control_room.audit import Actor
from edge.stack.mosquitto import Mosquitto
from simulators.pa.store import message_freq
from tests.pa.audio_check import dominant_hz, loud_s, window, zone_wav
from tests.pa.city import pa_city
from tests.support.stack import wait_until


def test_announcement_plays_in_exactly_the_chosen_zones(mosquitto: Mosquitto, tmp_path: Path) -> None:
    with pa_city(mosquitto, tmp_path) as city:
        http = city.http
        assert {m["id"]: m["name"] for m in http.get("/api/v1/pa/messages").json()}[0x10] == "Bridge closing"
        systems = http.get("/api/v1/pa/systems").json()
        assert systems[0]["groups"]["All City"] == list(range(1, 9)) and systems[0]["mode"] == "N"

        accepted = http.post("/api/v1/pa/announcements", json={"group": "Bridges", "message_id": 0x10}).json()
        assert accepted["state"] == "queued" and accepted["zones"] == [2, 4] and not accepted["sensitive"]
        ann = city.wait_state(accepted["id"], ("completed",))
        assert {z: o["state"] for z, o in ann["zones"].items()} == {"2": "completed", "4": "completed"}
        assert [h["state"] for h in ann["zones"]["2"]["history"]] == ["queued", "playing", "completed"]
        assert ann["priority"] == 160 and ann["priority_class"] == "announcement" and ann["issued_by"] == "admin"
        detail = http.get(f"/api/v1/commands/{ann['id']}").json()
        steps = [(st["stage"], st["progress"]) for st in detail["stages"]]
        assert ("accepted", "queued") in steps and ("accepted", "playing") in steps
        assert detail["stage"] == "succeeded" and detail["code"] == "completed"

        (call,) = city.sim_calls(detail["state_after"]["announcement"])
        assert call["zones_heard"] == [2, 4]
        assert sorted(p.name for p in city.sim.recordings.glob("*.wav")) == [
            f"call-{call['call_id']}-zone02.wav",
            f"call-{call['call_id']}-zone04.wav",
        ]
        rate, s = zone_wav(city.sim.recordings, call, 4)
        assert abs(dominant_hz(window(s, rate, 0.0, 0.1), rate) - 880) < 15
        assert abs(dominant_hz(window(s, rate, 0.25, 0.65), rate) - message_freq(0x10)) < 15
        zones = wait_until(
            lambda: (z := {z["zone"]: z for z in http.get("/api/v1/pa/zones").json()})[2]["state"] == "idle" and z,
            10,
            "zone 2 reported idle again",
        )
        assert zones[2]["name"] == "Zone 2" and zones[2]["id"] == "pa-zone-02" and zones[2]["queued"] == []

        # spoken text, through the edge's espeak-ng and the line input
        said = city.wait_state(city.announce(zones=[7], text="Stand clear.", priority="routine"), ("completed",))
        (speech_call,) = city.sim_calls(said)
        assert speech_call["line"] and speech_call["zones_heard"] == [7]
        rate, s = zone_wav(city.sim.recordings, speech_call, 7)
        assert 0.3 < loud_s(window(s, rate, 0.25, 99), rate, threshold=500) < 3.0

        # test mode: planned, nothing played
        before = len(city.sim.finished_calls())
        test = city.wait_state(city.announce(zones=[1, 3], message_id=0x10, mode="test"), ("completed",))
        assert test["mode"] == "test" and test["plan"]["play"] == [1, 3]
        assert test["zones"]["1"]["reason"] == "test only: would play now"
        assert len(city.sim.finished_calls()) == before

        # cancel one that is playing
        long = city.announce(zones=[1], message_id=0x11, repeat=5, priority="routine")
        city.wait_state(long, ("playing",))
        r = http.post(f"/api/v1/pa/announcements/{long}/cancel", json={"reason": "wrong message"})
        assert r.status_code == 202
        cancelled = city.wait_state(long, ("cancelled",))
        assert cancelled["zones"]["1"]["reason"] == "wrong message"
        assert http.post(f"/api/v1/pa/announcements/{long}/cancel").status_code == 409
        listed = [a["id"] for a in http.get("/api/v1/pa/announcements").json()]
        assert listed[:2] == [long, test["id"]]


def test_emergency_preempts_routine_in_shared_zones_only(mosquitto: Mosquitto, tmp_path: Path) -> None:
    with pa_city(mosquitto, tmp_path) as city:
        routine = city.announce(zones=[1, 2, 3], message_id=0x11, priority="routine")
        city.wait_state(routine, ("playing",))
        evac = city.announce(zones=[3, 4], message_id=0x01, priority="evacuate")
        e = city.wait_state(evac, ("completed",))
        r = city.wait_state(routine, ("preempted",))
        assert {z: o["state"] for z, o in r["zones"].items()} == {"1": "completed", "2": "completed", "3": "preempted"}
        assert r["zones"]["3"]["reason"] == f"pre-empted by {evac} (evacuate)"
        assert {z: o["state"] for z, o in e["zones"].items()} == {"3": "completed", "4": "completed"}
        (routine_call,) = city.sim_calls(r)
        (evac_call,) = city.sim_calls(e)
        assert routine_call["zones_heard"] == [1, 2, 3] and evac_call["zones_heard"] == [3, 4]
        heard = {p.name.split("-zone")[1][:2] for p in city.sim.recordings.glob("*.wav")}
        assert heard == {"01", "02", "03", "04"}
        wait_until(lambda: city.http.get("/api/v1/pa/systems").json()[0]["mode"] == "E", 10, "emergency mode")
        # routine is refused while the controller is in emergency mode; the all-clear resets it
        refused = city.wait_state(city.announce(zones=[5], message_id=0x10, priority="routine"), ("failed",))
        assert "emergency mode" in refused["zones"]["5"]["reason"]
        assert city.http.post("/api/v1/pa/all-clear", json={"reason": "incident over"}).status_code == 202
        wait_until(lambda: city.http.get("/api/v1/pa/systems").json()[0]["mode"] == "N", 20, "normal mode")
        city.wait_state(city.announce(zones=[5], message_id=0x10, priority="routine"), ("completed",))


def test_line_fault_fails_that_zone_and_raises_an_alert(mosquitto: Mosquitto, tmp_path: Path) -> None:
    with pa_city(mosquitto, tmp_path) as city:
        fid = city.sim.inject_fault("LINE_OPEN", "Z02")
        alert = wait_until(lambda: city.alerts("pa_line_open"), 20, "line fault alert")[0]
        assert alert["active"] and alert["device_id"] == "pa-zone-02" and alert["priority"] == 2
        assert "loudspeaker line open circuit on zone 2" in alert["message"]
        wait_until(lambda: {z["zone"]: z for z in city.http.get("/api/v1/pa/zones").json()}[2]["state"] == "fault")
        ann = city.wait_state(city.announce(zones=[1, 2, 3], message_id=0x10), ("failed",))
        assert {z: o["state"] for z, o in ann["zones"].items()} == {"1": "completed", "2": "failed", "3": "completed"}
        assert ann["zones"]["2"]["reason"] == "zone 2 is in fault: loudspeaker line open circuit on zone 2"
        (call,) = city.sim_calls(ann)
        assert call["zones_heard"] == [1, 3]
        city.sim.resolve_fault(fid)
        wait_until(lambda: not city.alerts("pa_line_open")[0]["active"], 20, "alert cleared")


@pytest.mark.parametrize("transport", ["pty"])
def test_controller_unplugged_mid_announcement(mosquitto: Mosquitto, tmp_path: Path, transport: str) -> None:
    with pa_city(mosquitto, tmp_path, transport) as city:
        ann = city.announce(zones=[1, 2], message_id=0x11, repeat=9, priority="routine")
        city.wait_state(ann, ("playing",))
        city.sim.unplug()
        failed = city.wait_state(ann, ("failed",))
        assert failed["zones"]["1"]["reason"].startswith("controller unreachable: the controller's serial port")
        alert = wait_until(lambda: city.alerts("pa_controller_unreachable"), 20, "node alert")[0]
        assert alert["active"] and alert["priority"] == 1 and alert["device_id"] == "pa"
        wait_until(lambda: city.http.get("/api/v1/pa/systems").json()[0]["connection"] == "disconnected", 20, "state")
        city.sim.plug()
        wait_until(lambda: not city.alerts("pa_controller_unreachable")[0]["active"], 30, "alert cleared")
        city.wait_state(city.announce(zones=[1], message_id=0x10), ("completed",))


def test_expired_commands_are_never_played_and_bad_requests_are_refused(mosquitto: Mosquitto, tmp_path: Path) -> None:
    with pa_city(mosquitto, tmp_path) as city:
        http = city.http
        late = city.cr.ctx.commands.issue(
            Actor("admin"), "edge-pa", "pa", "announce", {"zones": [1], "message_id": 0x10}, ttl_s=-5
        )
        ann = city.wait_state(late.id, ("expired",))
        assert ann["command"]["stage"] == "expired" and ann["zones"]["1"]["state"] == "expired"

        for body, problem in [
            ({"zones": [1], "text": "<speak>now</speak>"}, "markup"),
            ({"zones": [1], "text": "line\nbreak"}, "control character U+000A"),
            ({"zones": [1], "text": "x" * 401}, "401 characters"),
            ({"zones": [1], "message_id": 0x10, "text": "both"}, "either 'message_id' or 'text'"),
            ({"group": "Nowhere", "message_id": 0x10}, "no zone group 'Nowhere'"),
            ({"zones": [9], "message_id": 0x10}, "zones [9] are not configured"),
            ({"zones": [1], "message_id": 0x77}, "message 119 is not in pa"),
            ({"zones": [1], "message_id": 0x10, "priority": "panic"}, "priority"),
            ({"zones": [1], "message_id": 0x10, "volume": 11}, "volume"),
        ]:
            r = http.post("/api/v1/pa/announcements", json=body)
            assert r.status_code == 422 and problem in r.text, (body, r.text)
        check = http.post("/api/v1/pa/text-check", json={"text": "say [[h@l'oU]]"}).json()
        assert not check["ok"] and "'['" in check["problem"] and check["max_chars"] == 400
        assert http.post("/api/v1/pa/text-check", json={"text": " Bank  closed "}).json()["text"] == "Bank closed"
        assert http.get("/api/v1/pa/announcements/nope").status_code == 404

        first = http.post("/api/v1/pa/system-test", json={}).json()["command_ids"][0]
        done = wait_until(lambda: (c := http.get(f"/api/v1/commands/{first}").json())["terminal"] and c, 20)
        assert done["stage"] == "succeeded" and done["message"] == "system test passed"
        again = http.post("/api/v1/pa/system-test", json={}).json()["command_ids"][0]
        refused = wait_until(lambda: (c := http.get(f"/api/v1/commands/{again}").json())["terminal"] and c, 20)
        assert refused["stage"] == "rejected" and refused["code"] == "too_soon"
        assert city.sim.finished_calls() == []  # nothing was ever played
        assert datetime.now(UTC) - timedelta(minutes=5) < datetime.fromisoformat(done["updated_at"])
