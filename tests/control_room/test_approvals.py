"""The two-person rule's state machine through the API: request → approve | reject | cancel | expire.

A real control room on a real broker and store; the PA system and lighting zones are rows in its store (no edge),
and a listener on the broker sees every command the control room publishes.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from control_room.store.models import ApprovalRow
from edge.stack.mosquitto import Mosquitto
from tests.control_room.approval_support import PA_DEVICE, PA_NODE, CommandListener, Room, add_people, seed_devices
from tests.support.stack import ControlRoom, login, stream_client, wait_until


def open_room(cr: ControlRoom, broker_url: str) -> Room:
    seed_devices(cr)
    return Room(cr, add_people(cr), CommandListener(broker_url))


def close_room(room: Room) -> None:
    room.listener.close()
    for client in room.people.values():
        client.close()


@pytest.fixture
def room(cr: ControlRoom, mosquitto: Mosquitto) -> Iterator[Room]:
    r = open_room(cr, mosquitto.url)
    try:
        yield r
    finally:
        close_room(r)


def test_all_city_announcement_waits_and_nothing_is_sent(room: Room) -> None:
    approval = room.ask_all_city(label="INC-77")
    assert approval["state"] == "pending" and approval["action"] == "pa.announce_all"
    assert approval["summary"] == (
        "LIVE evacuate announcement to all 4 zones (group 'All City') of City PA: message 1 'Evacuate now'"
    )
    assert approval["requested_by"] == "olive" and approval["mode"] == "live" and approval["command_ids"] == []
    assert approval["targets"] == {"node_id": PA_NODE, "system": PA_DEVICE, "zones": [1, 2, 3, 4]}
    assert approval["params"]["label"] == "INC-77" and approval["params"]["system"] == f"{PA_NODE}/{PA_DEVICE}"
    # listing every zone by number is the same broadcast
    r = room["otto"].post("/api/v1/pa/announcements", json={"zones": [4, 3, 2, 1], "text": "Leave the area."})
    assert r.status_code == 202 and r.json()["state"] == "awaiting_approval"
    assert r.json()["approval"]["summary"].endswith("to all 4 zones of City PA: spoken text 'Leave the area.'")
    # a partial announcement goes straight out, in the shape it always had
    r = room["olive"].post("/api/v1/pa/announcements", json={"group": "Bridges", "message_id": 16})
    assert r.status_code == 202 and r.json()["state"] == "queued" and r.json()["sensitive"] is False
    wait_until(lambda: len(room.listener.received()) == 1, 10, "the partial announcement on the broker")
    assert [c.args.get("group") for c in room.commands()] == ["Bridges"]
    assert room.listener.received()[0]["args"]["group"] == "Bridges"
    pending = room["vic"].get("/api/v1/approvals", params={"state": "pending"}).json()
    assert {a["requested_by"] for a in pending} == {"olive", "otto"}
    assert [(a.actor, a.action, a.result) for a in room.audit()] == [
        ("olive", "approval.request", "pending"),
        ("otto", "approval.request", "pending"),
    ]
    assert room.audit()[0].params["summary"] == approval["summary"]


def test_only_another_supervisor_may_approve(room: Room) -> None:
    approval = room.ask_all_city()
    url = f"/api/v1/approvals/{approval['id']}/approve"
    r = room["olive"].post(url)
    assert r.status_code == 403 and "role operator may not approve" in r.json()["detail"]
    r = room["vic"].post(url)
    assert r.status_code == 403
    with room.cr.client() as admin:
        r = admin.post(url)
    assert r.status_code == 403 and "only a supervisor may approve" in r.json()["detail"]
    # a supervisor's own request needs the other supervisor
    own = room.ask_all_city("sam")
    r = room["sam"].post(f"/api/v1/approvals/{own['id']}/approve")
    assert r.status_code == 403 and "you asked for this action yourself" in r.json()["detail"]
    r = room["sam"].post(f"/api/v1/approvals/{own['id']}/reject", json={"reason": "mine"})
    assert r.status_code == 403
    assert room.listener.received() == [] and room.commands() == []
    refused = [(a.actor, a.result) for a in room.audit() if a.result.startswith("refused")]
    assert refused == [
        ("admin", "refused: role admin"),
        ("sam", "refused: own request"),
        ("sam", "refused: own request"),
    ]


def test_approval_sends_the_command_carrying_the_approval(room: Room) -> None:
    approval = room.ask_all_city(repeat=1)
    with stream_client(room.cr.url, login(room.cr.url, "vic", "approvals-test-password-1")) as ws:
        r = room["sam"].post(f"/api/v1/approvals/{approval['id']}/approve")
        assert r.status_code == 200, r.text
        done = r.json()
        assert done["state"] == "approved" and done["decided_by"] == "sam" and len(done["command_ids"]) == 1
        wait_until(lambda: [m for m in ws.of_type("approval") if m["data"]["command_ids"]], 10, "approval on stream")
    (cmd,) = room.commands()
    assert cmd.id == done["command_ids"][0] and cmd.issued_by == "olive" and cmd.action == "announce"
    assert cmd.args == {
        "group": "All City",
        "message_id": 1,
        "priority": "evacuate",
        "repeat": 1,
        "interval_s": 0.0,
        "label": "",
    }
    assert cmd.approval == {
        "request_id": approval["id"],
        "requested_by": "olive",
        "approved_by": "sam",
        "approved_at": cmd.approval["approved_at"] if cmd.approval else None,
    }
    # the command's lifetime starts at approval, not at the request
    assert (cmd.expires_at - cmd.issued_at).total_seconds() == pytest.approx(10, abs=0.01)
    assert cmd.approval is not None and cmd.issued_at >= datetime.fromisoformat(cmd.approval["approved_at"])
    (published,) = wait_until(room.listener.received, 10, "the command on the broker")
    assert published["topic"].endswith(f"/nodes/{PA_NODE}/devices/{PA_DEVICE}/commands")
    assert published["approval"]["approved_by"] == "sam" and published["approval"]["request_id"] == approval["id"]
    assert published["mode"] == "live" and published["command_id"] == cmd.id
    announcement = room["vic"].get(f"/api/v1/pa/announcements/{cmd.id}").json()
    assert announcement["approval"]["approved_by"] == "sam" and announcement["sensitive"] is True
    # decided once: a second approval, a rejection or a cancel are refused and nothing more is sent
    assert room["sue"].post(f"/api/v1/approvals/{approval['id']}/approve").status_code == 409
    r = room["sue"].post(f"/api/v1/approvals/{approval['id']}/reject", json={"reason": "late"})
    assert r.status_code == 409 and "already approved by sam" in r.json()["detail"]
    assert room["olive"].post(f"/api/v1/approvals/{approval['id']}/cancel").status_code == 409
    assert len(room.commands()) == 1
    audit = [(a.actor, a.action, a.result) for a in room.audit()]
    assert audit == [("olive", "approval.request", "pending"), ("sam", "approval.approve", "approved")]
    (sent,) = room.audit("command.announce")
    assert sent.actor == "olive" and sent.params["approval"]["approved_by"] == "sam"


def test_reject_and_cancel_send_nothing(room: Room) -> None:
    first = room.ask_all_city()
    r = room["sue"].post(f"/api/v1/approvals/{first['id']}/reject", json={"reason": ""})
    assert r.status_code == 422  # a rejection says why
    r = room["sue"].post(f"/api/v1/approvals/{first['id']}/reject", json={"reason": "wrong message for this incident"})
    assert r.status_code == 200 and r.json()["state"] == "rejected" and r.json()["decided_by"] == "sue"
    assert r.json()["reason"] == "wrong message for this incident"
    assert room["sam"].post(f"/api/v1/approvals/{first['id']}/approve").status_code == 409

    second = room.ask_all_city()
    r = room["otto"].post(f"/api/v1/approvals/{second['id']}/cancel")
    assert r.status_code == 403 and "only olive, who asked for it, or a supervisor" in r.json()["detail"]
    r = room["olive"].post(f"/api/v1/approvals/{second['id']}/cancel", json={"reason": "typed in error"})
    assert r.status_code == 200 and r.json()["state"] == "cancelled" and r.json()["decided_by"] == "olive"

    third = room.ask_all_city()
    r = room["sam"].post(f"/api/v1/approvals/{third['id']}/cancel")
    assert r.status_code == 200 and r.json()["state"] == "cancelled" and r.json()["decided_by"] == "sam"
    assert room["vic"].post(f"/api/v1/approvals/{third['id']}/cancel").status_code == 403

    assert room.commands() == [] and room.listener.received() == []
    states = {a["id"]: a["state"] for a in room["vic"].get("/api/v1/approvals").json()}
    assert states == {first["id"]: "rejected", second["id"]: "cancelled", third["id"]: "cancelled"}
    assert [a["id"] for a in room["vic"].get("/api/v1/approvals", params={"state": "rejected"}).json()] == [first["id"]]
    assert room["vic"].get("/api/v1/approvals", params={"state": "maybe"}).status_code == 422
    assert room["vic"].get("/api/v1/approvals/nope").status_code == 404
    assert room["sam"].post("/api/v1/approvals/nope/approve").status_code == 404
    actions = [(a.action, a.result) for a in room.audit() if not a.result.startswith("refused")]
    assert actions.count(("approval.reject", "rejected")) == 1
    assert actions.count(("approval.cancel", "cancelled")) == 2


def test_two_supervisors_at_once_send_it_once(room: Room) -> None:
    approval = room.ask_all_city()
    with room.cr.client() as admin:
        r = admin.post(
            "/api/v1/users", json={"username": "sid", "password": "approvals-test-password-1", "role": "supervisor"}
        )
        assert r.status_code == 201
    sid = room.cr.client("sid", "approvals-test-password-1")
    results: list[int] = []
    barrier = threading.Barrier(2)

    def click(client: Any) -> None:
        barrier.wait()
        results.append(client.post(f"/api/v1/approvals/{approval['id']}/approve").status_code)

    threads = [threading.Thread(target=click, args=(c,)) for c in (room["sam"], sid)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    sid.close()
    assert sorted(results) == [200, 409]
    assert len(room.commands()) == 1
    assert [a.action for a in room.audit() if a.result == "approved"] == ["approval.approve"]


def test_approval_checks_the_request_again(room: Room) -> None:
    approval = room.ask_all_city()
    seed_devices(room.cr, zones=6)  # the PA system was reconfigured: "All City" is now six zones
    r = room["sam"].post(f"/api/v1/approvals/{approval['id']}/approve")
    assert r.status_code == 409 and "changed since it was asked for" in r.json()["detail"]
    assert "zones [1, 2, 3, 4]" in r.json()["detail"] and "zones [1, 2, 3, 4, 5, 6]" in r.json()["detail"]
    assert room["vic"].get(f"/api/v1/approvals/{approval['id']}").json()["state"] == "pending"
    assert room.commands() == []
    # still pending: it can be rejected (or cancelled) with the reason
    r = room["sam"].post(f"/api/v1/approvals/{approval['id']}/reject", json={"reason": "zones changed"})
    assert r.json()["state"] == "rejected"


def test_test_mode_needs_approval_too_and_says_test(room: Room) -> None:
    approval = room.ask_all_city(mode="test")
    assert approval["mode"] == "test" and approval["summary"].startswith("TEST evacuate announcement")
    r = room["sue"].post(f"/api/v1/approvals/{approval['id']}/approve")
    assert r.status_code == 200
    (cmd,) = room.commands()
    assert cmd.mode == "test" and cmd.approval is not None and cmd.approval["approved_by"] == "sue"
    (published,) = wait_until(room.listener.received, 10, "the test command on the broker")
    assert published["mode"] == "test"


def test_all_zones_lighting_override_becomes_one_command_per_zone(room: Room) -> None:
    body = {"level": 100, "duration_s": 900, "reason": "INC-9 major incident"}
    r = room["olive"].post("/api/v1/lighting/zones/all/override", json=body)
    assert r.status_code == 202 and r.json()["state"] == "awaiting_approval" and r.json()["id"] is None
    approval = r.json()["approval"]
    assert approval["action"] == "lighting.override_all" and approval["summary"] == (
        "LIVE override of all 3 lighting zones (bank, cheapside, millennium-bridge) to 100% for 15 min: "
        "'INC-9 major incident'"
    )
    assert room["olive"].post("/api/v1/lighting/zones/*/override", json={"level": 5}).status_code == 422
    assert room.commands() == []
    r = room["sam"].post(f"/api/v1/approvals/{approval['id']}/approve")
    assert r.status_code == 200, r.text
    commands = {c.device_id: c for c in room.commands()}
    assert set(commands) == {"bank", "cheapside", "millennium-bridge"}
    assert commands["millennium-bridge"].node_id == "edge-west" and commands["bank"].node_id == "edge-east"
    assert all(
        c.action == "override" and c.args["level"] == 100 and c.args["duration_s"] == 900 for c in commands.values()
    )
    assert {c.approval["request_id"] for c in commands.values() if c.approval} == {approval["id"]}
    assert sorted(r.json()["command_ids"]) == sorted(c.id for c in commands.values())
    wait_until(lambda: len(room.listener.received()) == 3, 10, "three override commands on the broker")
    assert all(c["approval"]["approved_by"] == "sam" for c in room.listener.received())


def test_pending_requests_expire_unsent(mosquitto: Mosquitto, tmp_path: Path, database_url: str) -> None:
    cr = ControlRoom(tmp_path / "cr", mosquitto.url, database_url, approval_timeout_s=1.0).start()
    room = open_room(cr, mosquitto.url)
    try:
        with stream_client(cr.url, login(cr.url, "vic", "approvals-test-password-1")) as ws:
            approval = room.ask_all_city()
            expired = wait_until(
                lambda: [m for m in ws.of_type("approval") if m["data"]["state"] == "expired"], 15, "expiry on stream"
            )
            assert expired[0]["data"]["id"] == approval["id"] and expired[0]["data"]["decided_by"] == "control-room"
        r = room["sam"].post(f"/api/v1/approvals/{approval['id']}/approve")
        assert r.status_code == 410 and "expired" in r.json()["detail"]
        assert room["olive"].post(f"/api/v1/approvals/{approval['id']}/cancel").status_code == 410
        assert room.commands() == [] and room.listener.received() == []
        # expired once: one audit row, however many sweeps and reads came after
        wait_until(lambda: room["vic"].get("/api/v1/approvals").json()[0]["state"] == "expired", 5, "listed expired")
        assert [(a.actor, a.action) for a in room.audit() if a.action == "approval.expire"] == [
            ("control-room", "approval.expire")
        ]
        assert room.audit()[-1].params["summary"] == approval["summary"]
    finally:
        close_room(room)
        cr.stop()


def test_expiry_on_read_when_the_sweep_has_not_run(room: Room) -> None:
    approval = room.ask_all_city()
    room.cr.ctx.approvals.stop()  # no background sweep from here on: reading must still never show it pending
    with room.cr.ctx.store.session() as s:
        row = s.get(ApprovalRow, approval["id"])
        assert row is not None
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    got = room["vic"].get(f"/api/v1/approvals/{approval['id']}").json()
    assert got["state"] == "expired"
    assert room["vic"].get(f"/api/v1/approvals/{approval['id']}").json()["state"] == "expired"
    assert [a.action for a in room.audit()].count("approval.expire") == 1
    room.cr.ctx.approvals.start()
