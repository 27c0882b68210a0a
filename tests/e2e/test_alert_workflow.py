"""A real lamp failure (street-light fleet → edge → mosquitto → control room) handled by an operator: acknowledge,
take, refused close while active, close after the repair, a new alert when it fails again — on the stream, in the
timeline and in the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from control_room.store.models import CommandStageRow
from tests.e2e.conftest import City
from tests.support.stack import stream_client, wait_until

PASSWORD = "lantern-harbour-77"


def test_operator_handles_a_lamp_failure_end_to_end(city: City) -> None:
    with city.cr.client() as admin:
        for name, role in (("olive", "operator"), ("sam", "supervisor")):
            assert admin.post("/api/v1/users", json={"username": name, "password": PASSWORD, "role": role}).is_success
    with (
        city.cr.client("olive", PASSWORD) as olive,
        city.cr.client("sam", PASSWORD) as sam,
        stream_client(city.cr.url, olive.headers["Authorization"][7:]) as ws,
    ):

        def lamp_alerts() -> list[dict[str, Any]]:
            found = olive.get("/api/v1/alerts", params={"include_closed": True}).json()
            return [a for a in found if a["type"] == "lamp_failure" and a["device_id"] == "sl-007"]

        def streamed(alert_id: int) -> list[dict[str, Any]]:
            return [m["data"] for m in ws.of_type("alert") if m["data"]["id"] == alert_id]

        city.fleet.inject("sl-007", "fault", code="LAMP_FAILURE")
        alert = wait_until(lamp_alerts, 20, "lamp failure alert")[0]
        alert_id = alert["id"]
        wait_until(lambda: streamed(alert_id), 20, "alert on the stream")
        assert alert["state"] == "new" and alert["active"] and alert["location"] == "Cheapside EC2"

        assert olive.post(f"/api/v1/alerts/{alert_id}/ack").json()["state"] == "acknowledged"
        assert olive.post(f"/api/v1/alerts/{alert_id}/assign", json={"owner": "olive"}).json()["owner"] == "olive"
        refused = olive.post(f"/api/v1/alerts/{alert_id}/close")
        assert refused.status_code == 409 and "still active" in refused.json()["detail"]

        city.fleet.inject("sl-007", "clear", code="LAMP_FAILURE")
        wait_until(lambda: not lamp_alerts()[0]["active"], 20, "condition cleared")
        wait_until(lambda: any(not a["active"] for a in streamed(alert_id)), 20, "clear on the stream")
        closed = olive.post(f"/api/v1/alerts/{alert_id}/close", json={"note": "lamp replaced by crew 4"})
        assert closed.status_code == 200 and closed.json()["state"] == "closed"
        wait_until(lambda: any(a["state"] == "closed" for a in streamed(alert_id)), 20, "closed on the stream")

        detail = olive.get(f"/api/v1/alerts/{alert_id}").json()
        assert [e["kind"] for e in detail["timeline"]] == [
            "raised", "acknowledged", "assigned", "cleared", "note", "closed"
        ]  # fmt: skip
        assert detail["timeline"][0]["actor"] == "node:edge-1"

        # the supervisor sees the operator's actions in the audit log
        audit = sam.get("/api/v1/audit", params={"target": f"alert:{alert_id}"}).json()
        assert [(r["action"], r["actor"]) for r in audit] == [
            ("alert.close", "olive"),
            ("alert.assign", "olive"),
            ("alert.ack", "olive"),
        ]
        assert sam.get("/api/v1/audit/verify").json()["ok"] is True

        # the lamp fails again: a new alert, pointing back at the closed one
        city.fleet.inject("sl-007", "fault", code="LAMP_FAILURE")
        again = wait_until(lambda: [a for a in lamp_alerts() if a["id"] != alert_id], 20, "new alert")[0]
        assert again["state"] == "new" and again["count"] == 1
        reopened = olive.get(f"/api/v1/alerts/{again['id']}").json()["timeline"][0]
        assert reopened["kind"] == "reopened" and reopened["data"] == {"previous_alert_id": alert_id}


def test_every_command_and_each_stage_is_audited_and_a_lost_answer_raises_an_alert(city: City) -> None:
    with city.cr.client() as admin:

        def trail(command_id: str) -> list[tuple[str, str | None]]:
            rows = admin.get("/api/v1/audit", params={"action": "command.*", "limit": 1000}).json()
            mine = [r for r in rows if command_id in (r["target"], r["params"].get("command_id"))]
            return [(r["action"], r["params"].get("stage")) for r in reversed(mine)]

        cid = admin.post("/api/v1/lighting/zones/cheapside/level", json={"level": 40}).json()["command_id"]
        wait_until(lambda: admin.get(f"/api/v1/commands/{cid}").json()["stage"] == "succeeded", 20, "succeeded")
        wait_until(lambda: ("command.stage", "succeeded") in trail(cid), 20, "terminal stage audited")
        steps = trail(cid)
        assert steps[0] == ("command.set_level", None)
        # every stage the store went through; "sent" only when the broker's ack came before the edge's answer
        with city.cr.ctx.store.session() as s:
            stored = s.execute(
                select(CommandStageRow.stage).where(CommandStageRow.command_id == cid).order_by(CommandStageRow.id)
            ).scalars()
            assert [("command.stage", stage) for stage in stored] == steps[1:]
        assert {("command.stage", "accepted"), ("command.stage", "succeeded")} <= set(steps)

        # the edge goes away: no terminal answer → unknown, audited, and an alert with its timeline
        city.edge.stop()
        cid = admin.post("/api/v1/lighting/zones/cheapside/level", json={"level": 45}).json()["command_id"]
        wait_until(lambda: admin.get(f"/api/v1/commands/{cid}").json()["stage"] == "unknown", 60, "unknown")
        assert ("command.stage", "unknown") in trail(cid)
        lost = [a for a in admin.get("/api/v1/alerts").json() if a["type"] == "command_no_answer"]
        assert len(lost) == 1 and lost[0]["data"]["command_id"] == cid
        timeline = admin.get(f"/api/v1/alerts/{lost[0]['id']}").json()["timeline"]
        assert [(e["kind"], e["actor"]) for e in timeline] == [("raised", "system")]
