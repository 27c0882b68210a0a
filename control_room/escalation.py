"""Escalation: a priority-1 alert nobody acknowledged within ``alert_escalation_s`` goes to the supervisors.

A thread checks about once a second. Each alert escalates at most once: the claim is a conditional UPDATE
(``escalated_at IS NULL``), so two control-room replicas sharing one store cannot both escalate it.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from control_room.alert_workflow import NEW, target
from control_room.alerts import SYSTEM, add_entry
from control_room.audit import Actor, record
from control_room.hub import Hub
from control_room.periodic import Periodic
from control_room.store.db import Store
from control_room.store.models import Alert
from control_room.views import alert_view

log = logging.getLogger(__name__)

TO_ROLE = "supervisor"


class AlertEscalator:
    """Finds unacknowledged priority-1 alerts older than ``after_s`` and escalates them."""

    def __init__(self, store: Store, hub: Hub, after_s: float, interval_s: float = 1.0) -> None:
        self.store = store
        self.hub = hub
        self.after_s = after_s
        self.thread = Periodic("control-room-escalation", interval_s, self._tick)

    def start(self) -> None:
        """Start checking in a thread of its own."""
        self.thread.start()

    def stop(self) -> None:
        """Stop the thread and wait for it."""
        self.thread.stop()

    def _tick(self) -> None:
        self.hub.publish_many_threadsafe(self.check())

    def check(self) -> list[tuple[str, dict[str, Any]]]:
        """Escalate every alert that is due; returns the WebSocket messages to send."""
        now = datetime.now(UTC)
        cutoff = now - timedelta(seconds=self.after_s)
        out: list[tuple[str, dict[str, Any]]] = []
        with self.store.session() as s:
            due = s.execute(
                select(Alert.id)
                .where(
                    Alert.state == NEW,
                    Alert.priority == 1,
                    Alert.escalated_at.is_(None),
                    Alert.first_raised_at <= cutoff,
                )
                .order_by(Alert.id)
                .limit(200)
            ).scalars()
            for alert_id in list(due):
                claimed = s.execute(
                    update(Alert)
                    .where(Alert.id == alert_id, Alert.escalated_at.is_(None), Alert.state == NEW)
                    .values(escalated_at=now, updated_at=now)
                )
                if claimed.rowcount != 1:  # type: ignore[attr-defined]
                    continue
                alert = s.get(Alert, alert_id)
                assert alert is not None
                s.refresh(alert)
                text = f"not acknowledged within {self.after_s:g} s: escalated to supervisors"
                detail = {"to_role": TO_ROLE, "after_s": self.after_s}
                add_entry(s, alert, SYSTEM, "escalated", text, detail)
                record(s, Actor(SYSTEM), "alert.escalate", target(alert.id), detail)
                view = alert_view(alert)
                out += [("alert", view), ("alert_escalated", {**view, "to_role": TO_ROLE})]
        for _, data in out[1::2]:
            log.warning("alert %s (%s) escalated to supervisors: unacknowledged", data["id"], data["type"])
        return out
