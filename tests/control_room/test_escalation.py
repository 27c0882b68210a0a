"""Escalation: an unacknowledged priority-1 alert goes to supervisors after ``alert_escalation_s``, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from control_room.store.models import AuditRow
from edge.contract.payloads import Severity
from edge.stack.mosquitto import Mosquitto
from tests.support.alerting import add_users, client, raise_condition, stored_alert
from tests.support.stack import ControlRoom, stream_client, wait_until

ESCALATION_S = 3.0


@pytest.fixture
def room(mosquitto: Mosquitto, tmp_path: Path, database_url: str) -> Iterator[ControlRoom]:
    cr = ControlRoom(tmp_path / "cr", mosquitto.url, database_url, alert_escalation_s=ESCALATION_S).start()
    try:
        add_users(cr, {"olive": "operator", "sam": "supervisor"})
        yield cr
    finally:
        cr.stop()


def escalated(ws_messages: list[dict], alert_id: int) -> list[dict]:  # type: ignore[type-arg]
    return [m for m in ws_messages if m["data"]["id"] == alert_id]


def test_unacknowledged_priority_1_alerts_escalate_once_to_supervisors(room: ControlRoom) -> None:
    now = datetime.now(UTC)
    with client(room, "sam") as sam, client(room, "olive") as olive:
        with stream_client(room.url, sam.headers["Authorization"][7:]) as ws:
            overdue = raise_condition(
                room, "k:overdue", Severity.CRITICAL, "PA line fault", now - timedelta(minutes=10)
            )
            acked = raise_condition(room, "k:acked", Severity.CRITICAL, "camera tamper", now)
            assert olive.post(f"/api/v1/alerts/{acked}/ack").status_code == 200
            minor = raise_condition(room, "k:p2", Severity.MAJOR, "node offline", now - timedelta(minutes=10))
            fresh = raise_condition(room, "k:fresh", Severity.CRITICAL, "lamp column down", now)

            wait_until(lambda: escalated(ws.of_type("alert_escalated"), overdue), 30, "overdue alert escalated")
            message = escalated(ws.of_type("alert_escalated"), overdue)[0]["data"]
            assert message["to_role"] == "supervisor" and message["escalated_at"] and message["state"] == "new"
            assert message["message"] == "PA line fault" and message["priority"] == 1
            # the fresh one waits its turn, then escalates too: the loop kept running, and the first did not repeat
            wait_until(lambda: escalated(ws.of_type("alert_escalated"), fresh), 30, "fresh alert escalated")
            assert len(escalated(ws.of_type("alert_escalated"), overdue)) == 1
            assert room.ctx.escalator is not None and room.ctx.escalator.check() == []
            assert not escalated(ws.of_type("alert_escalated"), acked)
            assert not escalated(ws.of_type("alert_escalated"), minor)
            fresh_at = stored_alert(room, fresh).escalated_at
            assert fresh_at is not None and fresh_at >= now + timedelta(seconds=ESCALATION_S)
            # list clients also get the changed alert
            assert any(m["data"]["escalated_at"] for m in escalated(ws.of_type("alert"), overdue))

        detail = sam.get(f"/api/v1/alerts/{overdue}").json()
        entry = [e for e in detail["timeline"] if e["kind"] == "escalated"]
        assert len(entry) == 1 and entry[0]["actor"] == "system" and "supervisors" in entry[0]["text"]
        assert stored_alert(room, acked).escalated_at is None and stored_alert(room, minor).escalated_at is None
        # acknowledging an escalated alert works as usual
        assert sam.post(f"/api/v1/alerts/{overdue}/ack").json()["state"] == "acknowledged"
    with room.ctx.store.session() as s:
        rows = s.execute(select(AuditRow).where(AuditRow.action == "alert.escalate").order_by(AuditRow.id)).scalars()
        assert [(r.actor, r.target, r.params["to_role"]) for r in rows] == [
            ("system", f"alert:{overdue}", "supervisor"),
            ("system", f"alert:{fresh}", "supervisor"),
        ]


def test_background_threads_stop_with_the_app(mosquitto: Mosquitto, tmp_path: Path) -> None:
    cr = ControlRoom(tmp_path / "cr", mosquitto.url, alert_escalation_s=ESCALATION_S).start()
    escalator, anchor = cr.ctx.escalator, cr.ctx.audit_anchor
    assert escalator is not None and anchor is not None
    try:
        assert escalator.thread.running and anchor.thread.running
    finally:
        cr.stop()
    assert not escalator.thread.running and not anchor.thread.running
