"""The audit API: search, verify (edited, deleted and deleted-newest rows), CSV/JSON export, and the middleware
that audits every state-changing request, refused ones included."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import httpx
import pytest
from sqlalchemy import delete, func, select, update

from control_room.audit import GENESIS, Actor, record, row_hash
from control_room.store.models import AuditRow
from tests.support.alerting import add_users, client, raise_condition
from tests.support.stack import ControlRoom, wait_until


@pytest.fixture
def room(cr: ControlRoom) -> ControlRoom:
    add_users(cr, {"olive": "operator", "sam": "supervisor", "vera": "viewer"})
    return cr


def rows_for(cr: ControlRoom, target: str) -> list[AuditRow]:
    with cr.ctx.store.session() as s:
        return list(s.execute(select(AuditRow).where(AuditRow.target == target).order_by(AuditRow.id)).scalars())


def write(cr: ControlRoom, actor: str, action: str, target: str, **params: object) -> None:
    with cr.ctx.store.session() as s:
        record(s, Actor(actor, "operator", "10.1.2.3"), action, target, dict(params))


def test_search_filters_and_pages_newest_first(room: ControlRoom) -> None:
    write(room, "olive", "alert.ack", "alert:1")
    middle = datetime.now(UTC)
    write(room, "olive", "alert.close", "alert:1", note="done")
    write(room, "oscar", "alert.note", "alert:2", text="hello")
    write(room, "oscar", "command.set_level", "edge-1/cheapside", level=40, password="hunter2-hunter2")
    with client(room, "sam") as sam, client(room, "olive") as olive:
        assert olive.get("/api/v1/audit").status_code == 403
        assert olive.get("/api/v1/audit/verify").status_code == 403
        assert olive.get("/api/v1/audit/export").status_code == 403

        def search(**params: object) -> list[dict]:  # type: ignore[type-arg]
            r = sam.get("/api/v1/audit", params=params)
            assert r.status_code == 200, r.text
            return r.json()  # type: ignore[no-any-return]

        everything = search()
        assert [r["id"] for r in everything] == sorted((r["id"] for r in everything), reverse=True)
        assert set(everything[0]) == {
            "id", "ts", "actor", "role", "action", "target", "params", "result", "source_ip", "hash"
        }  # fmt: skip
        assert [r["action"] for r in search(actor="OSCAR")] == ["command.set_level", "alert.note"]
        assert [r["action"] for r in search(action="alert.*")] == ["alert.note", "alert.close", "alert.ack"]
        assert [r["action"] for r in search(action="alert.close")] == ["alert.close"]
        assert [r["action"] for r in search(target="alert:1")] == ["alert.close", "alert.ack"]
        assert [r["action"] for r in search(target="alert:1", since=middle.isoformat())] == ["alert.close"]
        assert [r["action"] for r in search(target="alert:1", until=middle.isoformat())] == ["alert.ack"]
        setting = search(action="command.set_level")[0]
        assert setting["params"] == {"level": 40, "password": "***"} and setting["source_ip"] == "10.1.2.3"
        first_page = search(limit=2)
        second_page = search(limit=2, before_id=first_page[-1]["id"])
        assert [r["id"] for r in first_page + second_page] == [r["id"] for r in everything[:4]]
        for bad in (
            {"since": "2024-01-01T00:00:00"},
            {"limit": 0},
            {"limit": 1001},
            {"before_id": 0},
            {"before_id": 2**64},
            {"actor": "nul\x00"},
        ):
            r = sam.get("/api/v1/audit", params=bad)
            assert r.status_code == 422, (bad, r.text)
        assert "timezone" in sam.get("/api/v1/audit", params={"since": "2024-01-01T00:00:00"}).text


def test_verify_finds_an_edited_row_and_deleted_newest_rows(room: ControlRoom) -> None:
    for i in range(5):
        write(room, "olive", "alert.note", f"alert:{i}", text=f"note {i}")
    anchor = room.ctx.audit_anchor
    assert anchor is not None
    with room.ctx.store.session() as s:
        newest = s.execute(select(func.max(AuditRow.id))).scalar()
    wait_until(lambda: (a := anchor.read()) is not None and a.last_id >= newest, 20, "anchor caught up")
    with client(room, "sam") as sam:
        ok = sam.get("/api/v1/audit/verify").json()
        assert ok["ok"] is True and ok["first_bad"] is None and ok["rows"] >= 5 and ok["anchored_id"] >= newest
        # delete the newest rows: the chain that is left is valid, the anchor is not in it
        anchored = ok["anchored_id"]
        with room.ctx.store.session() as s:
            s.execute(delete(AuditRow).where(AuditRow.id >= anchored - 1))
        bad = sam.get("/api/v1/audit/verify").json()
        assert bad["ok"] is False and bad["first_bad"] == anchored and "anchored" in bad["detail"]
        # the control room notices by itself and raises a priority-1 alert; the anchor does not move past the hole
        alert = wait_until(
            lambda: [a for a in sam.get("/api/v1/alerts").json() if a["type"] == "audit_tampered"], 20, "alert"
        )[0]
        assert alert["priority"] == 1 and str(anchored) in alert["message"]
        assert anchor.read().last_id == anchored  # type: ignore[union-attr]
        # an edited row is found where it is
        with room.ctx.store.session() as s:
            first = s.execute(select(func.min(AuditRow.id))).scalar()
            s.execute(update(AuditRow).where(AuditRow.id == first + 1).values(actor="mallory"))
        edited = sam.get("/api/v1/audit/verify").json()
        assert edited["ok"] is False and edited["first_bad"] == first + 1 and "does not fit" in edited["detail"]


def test_export_csv_and_json_match_the_log_and_are_audited(room: ControlRoom) -> None:
    # a failed login with a formula as the user name: the CSV must not run it in a spreadsheet
    httpx.post(f"{room.url}/api/v1/auth/token", data={"username": "=HYPERLINK(1)", "password": "x"})
    for i in range(3):
        write(room, "olive", "alert.note", f"alert:{i}", text=f'note, "quoted" {i}')
    with client(room, "sam") as sam:
        r = sam.get("/api/v1/audit/export", params={"format": "csv"})
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
        assert r.headers["content-disposition"].startswith('attachment; filename="audit-')
        assert r.headers["content-disposition"].endswith('.csv"')
        table = list(csv.DictReader(io.StringIO(r.text)))
        with room.ctx.store.session() as s:
            stored = list(s.execute(select(AuditRow).order_by(AuditRow.id)).scalars())
        assert [int(row["id"]) for row in table] == [row.id for row in stored]
        assert [row["hash"] for row in table] == [row.hash for row in stored]
        failed = next(row for row in table if row["action"] == "auth.login" and row["result"] == "denied")
        assert failed["actor"] == "'=HYPERLINK(1)"
        notes = [row for row in table if row["action"] == "alert.note"]
        assert [json.loads(row["params"]) for row in notes] == [{"text": f'note, "quoted" {i}'} for i in range(3)]
        assert stored[-1].action == "audit.export" and stored[-1].actor == "sam"
        assert stored[-1].params == {"format": "csv", "limit": None}

        j = sam.get("/api/v1/audit/export", params={"format": "json", "action": "alert.*", "limit": 2})
        assert j.status_code == 200 and j.headers["content-disposition"].endswith('.json"')
        doc = j.json()
        assert [row["params"]["text"] for row in doc] == ['note, "quoted" 0', 'note, "quoted" 1']
        with room.ctx.store.session() as s:
            last = s.execute(select(AuditRow).order_by(AuditRow.id.desc()).limit(1)).scalar_one()
        assert last.action == "audit.export" and last.params == {"format": "json", "action": "alert.*", "limit": 2}

        # a full JSON export can be checked offline: every row's hash follows from the one before
        full = sam.get("/api/v1/audit/export", params={"format": "json"}).json()
        prev = GENESIS
        for row in full:
            ts = datetime.fromisoformat(row["ts"])
            args = (row["actor"], row["role"], row["action"], row["target"], row["params"], row["result"])
            assert row["prev_hash"] == prev and row["hash"] == row_hash(prev, ts, *args, row["source_ip"])
            prev = row["hash"]
        assert sam.get("/api/v1/audit/export", params={"format": "xml"}).status_code == 422


def test_every_state_changing_request_is_audited_once_even_when_refused(room: ControlRoom) -> None:
    alert_id = raise_condition(room, "device:edge-1/sl-03/lamp_failure")
    ack = f"/api/v1/alerts/{alert_id}/ack"
    r = httpx.post(f"{room.url}{ack}")
    assert r.status_code == 401
    with client(room, "vera") as vera, client(room, "olive") as olive:
        assert vera.post(ack).status_code == 403
        assert olive.post("/api/v1/alerts/424242/ack").status_code == 404
        assert olive.post(f"/api/v1/alerts/{alert_id}/notes", json={"text": "\x07"}).status_code == 422
        assert olive.get("/api/v1/alerts/424242").status_code == 404  # reading is not a change: no row
        assert olive.post(ack).status_code == 200
    refused = rows_for(room, ack)
    assert [(r.actor, r.role, r.action, r.result, r.params["status"]) for r in refused] == [
        ("anonymous", None, "http.post", "denied", 401),
        ("vera", "viewer", "http.post", "denied", 403),
    ]
    assert all(r.source_ip == "127.0.0.1" for r in refused)
    assert [r.params["status"] for r in rows_for(room, "/api/v1/alerts/424242/ack")] == [404]
    assert [(r.actor, r.params["status"]) for r in rows_for(room, f"/api/v1/alerts/{alert_id}/notes")] == [
        ("olive", 422)
    ]
    assert rows_for(room, "/api/v1/alerts/424242") == []
    # the handler audited the successful ack: exactly one row, and no http.post row besides
    assert [(r.action, r.actor) for r in rows_for(room, f"alert:{alert_id}")] == [("alert.ack", "olive")]

    # a malformed login form is audited without what was typed
    bad_login = httpx.post(f"{room.url}/api/v1/auth/token", data={"password": "hunter2-secret-pass"})
    assert bad_login.status_code == 422
    # (the successful logins of every client above were audited by the handler: no http.post rows for them)
    assert rows_for(room, "/api/v1/users") == []  # accounts created by the fixture: audited as user.create only
    (row,) = rows_for(room, "/api/v1/auth/token")
    assert row.result == "rejected" and row.params["status"] == 422 and "hunter2" not in json.dumps(row.params)
    # a login that the handler audits gets no second row
    before = len(rows_for(room, "/api/v1/auth/token"))
    httpx.post(f"{room.url}/api/v1/auth/token", data={"username": "olive", "password": "wrong-password-1"})
    assert len(rows_for(room, "/api/v1/auth/token")) == before
