"""The two-person rule for city-wide PA announcements, end to end: control room → mosquitto → edge process → PA
controller simulator (zone recordings). Test and live mode are told apart all the way to the edge."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from control_room.store.models import AuditRow
from edge.stack.mosquitto import Mosquitto
from tests.control_room.approval_support import add_people
from tests.pa.city import PaCity, pa_city
from tests.support.stack import wait_until

ALL = list(range(1, 9))


@contextmanager
def staffed(city: PaCity) -> Iterator[dict[str, httpx.Client]]:
    """Accounts olive/otto (operators), sam/sue (supervisors), vic (viewer) on the city's control room."""
    people = add_people(city.cr)
    try:
        yield people
    finally:
        for client in people.values():
            client.close()


def ask(client: httpx.Client, **body: Any) -> dict[str, Any]:
    r = client.post("/api/v1/pa/announcements", json=body)
    assert r.status_code == 202, r.text
    assert r.json()["id"] is None and r.json()["state"] == "awaiting_approval", r.json()
    return dict(r.json()["approval"])


def flush_pipeline(city: PaCity) -> None:
    """Prove the path control room → edge is flowing: a test announcement to one zone comes back answered. Anything
    sent before it would have reached the edge by then."""
    ann = city.announce(zones=[1], message_id=0x10, mode="test")
    city.wait_state(ann, ("completed",))


def audit(city: PaCity, prefix: str) -> list[AuditRow]:
    with city.cr.ctx.store.session() as s:
        rows = s.execute(select(AuditRow).where(AuditRow.action.startswith(prefix)).order_by(AuditRow.id))
        return list(rows.scalars())


def test_all_city_announcement_plays_only_after_a_second_person_approves(mosquitto: Mosquitto, tmp_path: Path) -> None:
    with pa_city(mosquitto, tmp_path) as city, staffed(city) as people:
        approval = ask(people["olive"], group="All City", message_id=0x01, priority="evacuate", label="INC-1")
        assert approval["summary"] == (
            "LIVE evacuate announcement to all 8 zones (group 'All City') of City PA: message 1 'Evacuate now'"
        )
        flush_pipeline(city)
        assert city.sim.finished_calls() == [] and city.http.get("/api/v1/pa/systems").json()[0]["active"] == []
        assert [a["issued_by"] for a in city.http.get("/api/v1/pa/announcements").json()] == ["admin"]  # the flush

        r = people["olive"].post(f"/api/v1/approvals/{approval['id']}/approve")
        assert r.status_code == 403
        r = people["sam"].post(f"/api/v1/approvals/{approval['id']}/approve")
        assert r.status_code == 200, r.text
        (ann_id,) = r.json()["command_ids"]

        ann = city.wait_state(ann_id, ("completed",))
        assert {z: o["state"] for z, o in ann["zones"].items()} == {str(z): "completed" for z in ALL}
        assert ann["issued_by"] == "olive" and ann["priority_class"] == "evacuate" and ann["mode"] == "live"
        assert ann["approval"]["approved_by"] == "sam" and ann["approval"]["request_id"] == approval["id"]
        (call,) = city.sim_calls(ann)
        assert call["zones_heard"] == ALL
        assert len(list(city.sim.recordings.glob(f"call-{call['call_id']}-zone*.wav"))) == 8

        # the edge knew: its accepted stage names the approval, and so do its state and events
        detail = city.http.get(f"/api/v1/commands/{ann_id}").json()
        assert detail["approval"]["approved_by"] == "sam"
        accepted = [st for st in detail["stages"] if st["stage"] == "accepted" and st["progress"] is None]
        assert accepted and accepted[0]["message"].startswith("live announce, approved by sam at ")
        assert f"approval {approval['id']}, requested by olive" in accepted[0]["message"]
        final = detail["state_after"]["announcement"]
        assert final["approval"]["approved_by"] == "sam" and final["mode"] == "live"
        events = city.http.get("/api/v1/events", params={"type": "pa.announcement", "limit": 5000}).json()
        mine = [e["data"] for e in events if e["data"]["id"] == ann_id]
        assert mine and all(d["approval"]["request_id"] == approval["id"] for d in mine)
        assert "approved by sam at" in city.edge.log_text() and ann_id in city.edge.log_text()

        steps = [(a.actor, a.action, a.result) for a in audit(city, "approval.")]
        assert steps == [("olive", "approval.request", "pending"), ("sam", "approval.approve", "approved")]
        sent = [a for a in audit(city, "command.announce") if a.params["command_id"] == ann_id]
        assert sent[0].actor == "olive" and sent[0].params["approval"]["approved_by"] == "sam"


def test_cancel_and_all_clear_never_wait_for_anyone(mosquitto: Mosquitto, tmp_path: Path) -> None:
    with pa_city(mosquitto, tmp_path) as city, staffed(city) as people:
        first = ask(people["olive"], zones=ALL, message_id=0x11, priority="alert", repeat=9)
        (long_id,) = people["sue"].post(f"/api/v1/approvals/{first['id']}/approve").json()["command_ids"]
        city.wait_state(long_id, ("playing",))
        # the requester's colleague cancels it at once: one action, no approval
        r = people["otto"].post(f"/api/v1/pa/announcements/{long_id}/cancel", json={"reason": "wrong message"})
        assert r.status_code == 202 and "approval" not in r.json()
        cancelled = city.wait_state(long_id, ("cancelled",))
        assert {o["state"] for o in cancelled["zones"].values()} == {"cancelled"}

        second = ask(people["olive"], group="All City", message_id=0x11, priority="evacuate", repeat=9)
        (evac_id,) = people["sam"].post(f"/api/v1/approvals/{second['id']}/approve").json()["command_ids"]
        city.wait_state(evac_id, ("playing",))
        wait_until(lambda: city.http.get("/api/v1/pa/systems").json()[0]["mode"] == "E", 20, "emergency mode")
        r = people["otto"].post("/api/v1/pa/all-clear", json={"reason": "incident over"})
        assert r.status_code == 202 and len(r.json()["command_ids"]) == 1
        city.wait_state(evac_id, ("cancelled",))
        wait_until(lambda: city.http.get("/api/v1/pa/systems").json()[0]["mode"] == "N", 20, "normal mode again")
        assert people["vic"].get("/api/v1/approvals", params={"state": "pending"}).json() == []
        assert [a.action for a in audit(city, "approval.")].count("approval.request") == 2  # none for cancel/clear


def test_test_mode_is_approved_like_live_and_plays_nothing(mosquitto: Mosquitto, tmp_path: Path) -> None:
    with pa_city(mosquitto, tmp_path, approval_timeout_s=3.0) as city, staffed(city) as people:
        # a request nobody decides expires, and nothing is ever sent for it
        lapsed = ask(people["olive"], group="All City", message_id=0x01, priority="evacuate")
        wait_until(
            lambda: people["vic"].get(f"/api/v1/approvals/{lapsed['id']}").json()["state"] == "expired", 20, "expiry"
        )
        assert people["sam"].post(f"/api/v1/approvals/{lapsed['id']}/approve").status_code == 410

        test = ask(people["olive"], group="All City", text="This is a test of the city address.", mode="test")
        assert test["mode"] == "test" and test["summary"].startswith(
            "TEST announcement to all 8 zones (group 'All City')"
        )
        (ann_id,) = people["sam"].post(f"/api/v1/approvals/{test['id']}/approve").json()["command_ids"]
        ann = city.wait_state(ann_id, ("completed",))
        assert ann["mode"] == "test" and ann["plan"]["play"] == ALL and ann["approval"]["approved_by"] == "sam"
        assert {o["reason"] for o in ann["zones"].values()} == {"test only: would play now"}
        detail = city.http.get(f"/api/v1/commands/{ann_id}").json()
        assert detail["code"] == "test" and detail["message"].startswith("test only, nothing played")
        assert detail["state_after"]["mode"] == "test" and detail["state_after"]["approval"]["approved_by"] == "sam"
        accepted = [st["message"] for st in detail["stages"] if st["stage"] == "accepted"]
        assert accepted[0].startswith("test announce, approved by sam")
        events = city.http.get("/api/v1/events", params={"type": "pa.announcement_test"}).json()
        (event,) = [e["data"] for e in events if e["data"]["id"] == ann_id]
        assert event["mode"] == "test" and event["zones"] == ALL and event["approval"]["request_id"] == test["id"]
        assert "speech_s" in event["plan"]  # the speech was synthesised, to prove it would work
        assert city.http.get("/api/v1/events", params={"type": "pa.announcement"}).json() == []
        assert city.sim.finished_calls() == []  # nothing was played, ever
        assert [(a.action, a.result) for a in audit(city, "approval.")] == [
            ("approval.request", "pending"),
            ("approval.expire", "expired"),
            ("approval.request", "pending"),
            ("approval.approve", "approved"),
        ]
