"""The alert workflow over the API: new → acknowledged → in progress → closed, who may do what, the timeline, the
stream, and the audit rows each change leaves."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import httpx
import pytest
from sqlalchemy import select

from control_room.store.models import AuditRow, User
from edge.contract.payloads import Severity
from tests.support.alerting import add_users, clear_condition, client, raise_condition, stored_alert
from tests.support.stack import ControlRoom, stream_client, wait_until

ROLES = {"olive": "operator", "oscar": "operator", "sam": "supervisor", "vera": "viewer", "eric": "engineer"}


@pytest.fixture
def room(cr: ControlRoom) -> ControlRoom:
    add_users(cr, ROLES)
    return cr


def audit_rows(cr: ControlRoom, target: str) -> list[AuditRow]:
    with cr.ctx.store.session() as s:
        return list(s.execute(select(AuditRow).where(AuditRow.target == target).order_by(AuditRow.id)).scalars())


def kinds(detail: dict) -> list[str]:  # type: ignore[type-arg]
    return [e["kind"] for e in detail["timeline"]]


def test_an_alert_goes_from_new_to_closed_and_every_step_is_audited_timelined_and_streamed(room: ControlRoom) -> None:
    key = "device:edge-1/sl-03/lamp_failure"
    with client(room, "olive") as olive, stream_client(room.url, olive.headers["Authorization"][7:]) as ws:
        alert_id = raise_condition(room, key)
        detail = olive.get(f"/api/v1/alerts/{alert_id}").json()
        assert detail["state"] == "new" and detail["key"] == key and detail["has_snapshot"] is False
        assert kinds(detail) == ["raised"] and detail["timeline"][0]["actor"] == "node:edge-1"

        r = olive.post(f"/api/v1/alerts/{alert_id}/ack", json={"note": "crew informed"})
        assert r.status_code == 200, r.text
        acked = r.json()
        assert acked["state"] == "acknowledged" and acked["acknowledged_by"] == "olive" and acked["acknowledged_at"]
        again = olive.post(f"/api/v1/alerts/{alert_id}/ack")
        assert again.status_code == 200 and again.json()["acknowledged_at"] == acked["acknowledged_at"]

        taken = olive.post(f"/api/v1/alerts/{alert_id}/assign", json={"owner": "olive"})
        assert taken.status_code == 200 and taken.json()["state"] == "in_progress" and taken.json()["owner"] == "olive"
        note = olive.post(f"/api/v1/alerts/{alert_id}/notes", json={"text": "lamp ordered\nETA 2 h"})
        assert note.status_code == 200

        refused = olive.post(f"/api/v1/alerts/{alert_id}/close")
        assert refused.status_code == 409 and "still active" in refused.json()["detail"]
        clear_condition(room, key)
        closed = olive.post(f"/api/v1/alerts/{alert_id}/close", json={"note": "lamp replaced"})
        assert closed.status_code == 200, closed.text
        body = closed.json()
        assert body["state"] == "closed" and body["closed_by"] == "olive" and body["closed_at"] and not body["active"]
        assert olive.post(f"/api/v1/alerts/{alert_id}/close").status_code == 409
        assert olive.post(f"/api/v1/alerts/{alert_id}/ack").status_code == 409

        detail = olive.get(f"/api/v1/alerts/{alert_id}").json()
        assert kinds(detail) == ["raised", "acknowledged", "note", "assigned", "note", "cleared", "note", "closed"]
        assert [n["text"] for n in detail["notes"]] == ["crew informed", "lamp ordered\nETA 2 h", "lamp replaced"]
        assert all(n["actor"] == "olive" for n in detail["notes"])

        # one alert message per change on the stream, the last one closed
        wait_until(lambda: any(m["data"]["state"] == "closed" for m in ws.of_type("alert")), 20, "closed on stream")
        states = [m["data"]["state"] for m in ws.of_type("alert") if m["data"]["id"] == alert_id]
        assert states == ["acknowledged", "acknowledged", "in_progress", "in_progress", "closed"]

    rows = audit_rows(room, f"alert:{alert_id}")
    assert [(r.action, r.result, r.actor, r.role) for r in rows] == [
        ("alert.ack", "ok", "olive", "operator"),
        ("alert.ack", "unchanged", "olive", "operator"),
        ("alert.assign", "ok", "olive", "operator"),
        ("alert.note", "ok", "olive", "operator"),
        ("alert.close", "ok", "olive", "operator"),
    ]
    assert rows[0].params == {"note": "crew informed"} and rows[2].params == {"owner": "olive", "previous_owner": None}
    # the refused close (409) and the acks after closing are audited by the middleware, once each
    refused_rows = audit_rows(room, f"/api/v1/alerts/{alert_id}/close") + audit_rows(
        room, f"/api/v1/alerts/{alert_id}/ack"
    )
    assert sorted(r.params["status"] for r in refused_rows) == [409, 409, 409]
    assert all(r.action == "http.post" and r.result == "rejected" and r.actor == "olive" for r in refused_rows)


def test_who_may_do_what_to_whose_alert(room: ControlRoom) -> None:
    key = "device:edge-1/sl-03/lamp_failure"
    alert_id = raise_condition(room, key)
    with (
        client(room, "olive") as olive,
        client(room, "oscar") as oscar,
        client(room, "sam") as sam,
        client(room, "vera") as vera,
        client(room, "eric") as eric,
    ):
        url = f"/api/v1/alerts/{alert_id}"
        assert vera.get(url).status_code == 200
        for viewer_like in (vera, eric):
            assert viewer_like.post(f"{url}/ack").status_code == 403
            assert viewer_like.post(f"{url}/notes", json={"text": "x"}).status_code == 403
        # an operator may take an unowned alert, not give it to someone else
        denied = olive.post(f"{url}/assign", json={"owner": "oscar"})
        assert denied.status_code == 403 and "supervisor" in denied.json()["detail"]
        assert olive.post(f"{url}/assign", json={"owner": "olive"}).json()["owner"] == "olive"
        # another operator can neither take it over, release it nor close it; a note is fine
        assert oscar.post(f"{url}/assign", json={"owner": "oscar"}).status_code == 403
        assert oscar.post(f"{url}/assign", json={"owner": None}).status_code == 403
        clear_condition(room, key)
        not_owner = oscar.post(f"{url}/close")
        assert not_owner.status_code == 403 and "olive" in not_owner.json()["detail"]
        assert oscar.post(f"{url}/notes", json={"text": "seen it too"}).status_code == 200
        # owners must be real people who can handle alerts
        for owner, why in (("nobody", "no such account"), ("vera", "viewer"), ("eric", "engineer")):
            r = sam.post(f"{url}/assign", json={"owner": owner})
            assert r.status_code == 422 and why in r.json()["detail"], r.text
        # a supervisor reassigns, releases, and closes anyone's alert
        moved = sam.post(f"{url}/assign", json={"owner": "OSCAR"}).json()
        assert moved["owner"] == "oscar" and moved["state"] == "in_progress"
        assert olive.post(f"{url}/close").status_code == 403  # no longer hers
        with room.ctx.store.session() as s:
            s.execute(select(User).where(User.username == "oscar")).scalar_one().disabled = True
        r = sam.post(f"{url}/assign", json={"owner": "oscar"})
        assert r.status_code == 422 and "disabled" in r.json()["detail"]
        released = sam.post(f"{url}/assign", json={"owner": None}).json()
        assert released["owner"] is None and released["state"] == "acknowledged"
        assert sam.post(f"{url}/close").json()["state"] == "closed"
        detail = olive.get(url).json()
        assert [e["text"] for e in detail["timeline"] if e["kind"] == "assigned"] == [
            "taken by olive",
            "assigned to oscar by sam",
            "released by sam (was oscar)",
        ]
        for method, path, body in (
            ("GET", "/api/v1/alerts/99999", None),
            ("POST", "/api/v1/alerts/99999/ack", None),
            ("POST", "/api/v1/alerts/99999/assign", {"owner": None}),
            ("POST", "/api/v1/alerts/99999/notes", {"text": "x"}),
            ("POST", "/api/v1/alerts/99999/close", None),
        ):
            r = sam.request(method, path, json=body)
            assert r.status_code == 404 and "no alert 99999" in r.json()["detail"], (path, r.text)


def test_closing_needs_an_owner_or_a_supervisor_and_a_cleared_condition(room: ControlRoom) -> None:
    key = "device:edge-1/cam-2/tamper"
    alert_id = raise_condition(room, key, Severity.CRITICAL, "camera cam-2 covered")
    with client(room, "olive") as olive, client(room, "sam") as sam:
        unowned = olive.post(f"/api/v1/alerts/{alert_id}/close")
        assert unowned.status_code == 403 and "assign it to yourself" in unowned.json()["detail"]
        active = sam.post(f"/api/v1/alerts/{alert_id}/close")
        assert active.status_code == 409
        assert "still active" in active.json()["detail"] and "camera cam-2 covered" in active.json()["detail"]
        assert sam.post(f"/api/v1/alerts/{alert_id}/ack").json()["state"] == "acknowledged"
        clear_condition(room, key)
        assert sam.post(f"/api/v1/alerts/{alert_id}/close").json()["state"] == "closed"


@pytest.mark.parametrize(
    ("body", "problem"),
    [
        ({"text": ""}, "at least 1"),
        ({"text": "   "}, "blank"),
        ({"text": "x" * 2001}, "at most 2000"),
        ({"text": "bell\x07"}, "control characters"),
        ({"text": "esc\x1b[2J"}, "control characters"),
        ({"text": "ok", "extra": 1}, "Extra inputs"),
        ({}, "Field required"),
    ],
)
def test_bad_notes_are_refused_with_the_reason(room: ControlRoom, body: dict, problem: str) -> None:  # type: ignore[type-arg]
    alert_id = raise_condition(room, "device:edge-1/sl-03/lamp_failure")
    with client(room, "olive") as olive:
        r = olive.post(f"/api/v1/alerts/{alert_id}/notes", json=body)
        assert r.status_code == 422 and problem in r.text, r.text
        bad_ack = olive.post(f"/api/v1/alerts/{alert_id}/ack", json={"note": "\x00"})
        assert bad_ack.status_code == 422 and "control characters" in bad_ack.text
        assert olive.get(f"/api/v1/alerts/{alert_id}").json()["state"] == "new"


def test_list_filters_and_order(room: ControlRoom) -> None:
    now = datetime.now(UTC)
    p1 = raise_condition(room, "k:p1", Severity.CRITICAL, "critical", now - timedelta(minutes=5), "/9j/2wBD")
    p3_old = raise_condition(room, "k:p3-old", Severity.MINOR, "minor old", now - timedelta(minutes=9))
    p3_new = raise_condition(room, "k:p3-new", Severity.MINOR, "minor new", now - timedelta(minutes=1))
    p5 = raise_condition(room, "k:p5", Severity.INFO, "info", now - timedelta(minutes=2))
    with client(room, "olive") as olive, client(room, "vera") as vera:
        olive.post(f"/api/v1/alerts/{p3_old}/assign", json={"owner": "olive"})
        olive.post(f"/api/v1/alerts/{p5}/ack")
        clear_condition(room, "k:p5")
        olive.post(f"/api/v1/alerts/{p5}/assign", json={"owner": "olive"})
        olive.post(f"/api/v1/alerts/{p5}/close")

        def ids(**params: object) -> list[int]:
            r = vera.get("/api/v1/alerts", params=params)
            assert r.status_code == 200, r.text
            return [a["id"] for a in r.json()]

        assert ids() == [p1, p3_new, p3_old]
        assert ids(include_closed=True) == [p1, p3_new, p3_old, p5]
        assert ids(state=["new"]) == [p1, p3_new]
        assert ids(state=["in_progress", "closed"]) == [p3_old, p5]
        assert ids(priority_max=1) == [p1]
        assert ids(owner="olive") == [p3_old]
        assert ids(owner="olive", include_closed=True) == [p3_old, p5]
        assert ids(active=False, include_closed=True) == [p5]
        assert ids(limit=2) == [p1, p3_new]
        listed = {a["id"]: a["has_snapshot"] for a in vera.get("/api/v1/alerts").json()}
        assert listed == {p1: True, p3_new: False, p3_old: False}
        assert vera.get(f"/api/v1/alerts/{p1}").json()["has_snapshot"] is True
        item = vera.get("/api/v1/alerts", params={"limit": 1}).json()[0]
        assert set(item) >= {
            "id", "key", "source", "node_id", "device_id", "type", "severity", "priority", "message", "location",
            "state", "active", "count", "owner", "first_raised_at", "last_raised_at", "cleared_at",
            "acknowledged_by", "acknowledged_at", "escalated_at", "closed_by", "closed_at", "has_snapshot",
        }  # fmt: skip
        for params in ({"state": "open"}, {"priority_max": 0}, {"priority_max": 6}, {"limit": 0}, {"owner": "a\x00"}):
            assert vera.get("/api/v1/alerts", params=params).status_code == 422, params
        assert vera.get(f"/api/v1/alerts/{2**64}").status_code == 422


def test_repeated_raises_fold_into_one_alert_with_a_bounded_timeline(room: ControlRoom) -> None:
    key = "device:edge-1/sl-03/lamp_failure"
    start = datetime.now(UTC) - timedelta(minutes=1)
    first = raise_condition(room, key, raised_at=start)
    for i in range(1, 6):  # the lamp flickers: raised and cleared five more times within the fold window
        clear_condition(room, key)
        assert raise_condition(room, key, raised_at=start + timedelta(seconds=i)) == first
    alert = stored_alert(room, first)
    assert alert.count == 6 and alert.active
    with client(room, "olive") as olive:
        detail = olive.get(f"/api/v1/alerts/{first}").json()
        assert kinds(detail) == ["raised", "cleared", "re_raised"]
        assert detail["timeline"][2]["data"] == {"count": 2} and "after it had cleared" in detail["timeline"][2]["text"]
        # the same raise delivered again (a retained message after a reconnect) changes nothing
        raise_condition(room, key, raised_at=start + timedelta(seconds=5))
        assert stored_alert(room, first).count == 6
        # closed, then raised again: a new alert that says where it came from
        clear_condition(room, key)
        olive.post(f"/api/v1/alerts/{first}/assign", json={"owner": "olive"})
        assert olive.post(f"/api/v1/alerts/{first}/close").status_code == 200
        second = raise_condition(room, key)
        assert second != first
        detail = olive.get(f"/api/v1/alerts/{second}").json()
        assert detail["state"] == "new" and detail["count"] == 1
        assert kinds(detail) == ["reopened"] and detail["timeline"][0]["data"] == {"previous_alert_id": first}


def test_alert_published_by_a_device_on_mqtt_arrives_with_its_timeline(room: ControlRoom) -> None:
    import paho.mqtt.publish as publish
    from paho.mqtt.client import MQTTv5

    from edge.contract import topics
    from edge.contract.payloads import Alert as AlertPayload

    host, port = room.settings.mqtt_url.removeprefix("mqtt://").split(":")
    topic = topics.device_alert("edge-7", "cam-1", "camera_offline")
    payload = AlertPayload(
        alert_id="camera_offline",
        type="camera_offline",
        severity=Severity.MAJOR,
        message="camera cam-1 stopped sending frames",
        raised_at=datetime.now(UTC),
        location="Bank EC3",
    )

    def send(body: bytes) -> None:
        publish.single(topic, body, qos=1, retain=True, hostname=host, port=int(port), protocol=MQTTv5)

    with client(room, "olive") as olive, stream_client(room.url, olive.headers["Authorization"][7:]) as ws:
        send(payload.model_dump_json().encode())
        arrived = wait_until(
            lambda: [a for a in olive.get("/api/v1/alerts").json() if a["device_id"] == "cam-1"], 20, "alert stored"
        )
        alert = arrived[0]
        assert alert["priority"] == 2 and alert["location"] == "Bank EC3" and alert["state"] == "new"
        wait_until(lambda: any(m["data"]["id"] == alert["id"] for m in ws.of_type("alert")), 20, "alert streamed")
        send(b"")
        wait_until(lambda: not olive.get(f"/api/v1/alerts/{alert['id']}").json()["active"], 20, "cleared")
        detail = olive.get(f"/api/v1/alerts/{alert['id']}").json()
        assert kinds(detail) == ["raised", "cleared"] and detail["timeline"][0]["actor"] == "node:edge-7"


def test_two_operators_taking_the_same_alert_at_once_one_wins(room: ControlRoom) -> None:
    from concurrent.futures import ThreadPoolExecutor

    with client(room, "olive") as olive, client(room, "oscar") as oscar, ThreadPoolExecutor(2) as pool:
        for i in range(5):
            alert_id = raise_condition(room, f"k:race-{i}")

            def take(http: httpx.Client, name: str, alert_id: int = alert_id) -> tuple[str, int]:
                return name, http.post(f"/api/v1/alerts/{alert_id}/assign", json={"owner": name}).status_code

            results = dict(pool.map(lambda args: take(*args), [(olive, "olive"), (oscar, "oscar")]))
            assert sorted(results.values()) == [200, 403], results
            winner = next(name for name, code in results.items() if code == 200)
            assert stored_alert(room, alert_id).owner == winner
            assert [(r.action, r.actor) for r in audit_rows(room, f"alert:{alert_id}")] == [("alert.assign", winner)]
