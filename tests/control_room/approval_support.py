"""A control room with a PA system and lighting zones in its store, people with each role, and an MQTT listener
on the command topics: enough to drive the two-person rule through the API without an edge."""

from __future__ import annotations

import json
import threading
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import select

from control_room.store.models import AuditRow, Command, Device
from edge.contract import topics
from tests.support.stack import ControlRoom

PASSWORD = "approvals-test-password-1"
PEOPLE = {"olive": "operator", "otto": "operator", "sam": "supervisor", "sue": "supervisor", "vic": "viewer"}
PA_NODE, PA_DEVICE = "edge-pa", "pa"
LIGHT_NODES = {"cheapside": "edge-east", "bank": "edge-east", "millennium-bridge": "edge-west"}
MESSAGES = [{"id": 1, "name": "Evacuate now", "duration_s": 8.0}, {"id": 16, "name": "Bridge closing", "duration_s": 5}]


def seed_devices(cr: ControlRoom, zones: int = 4) -> None:
    """A PA system with ``zones`` zones (group "All City" = every zone) and three lighting zones on two nodes."""
    with cr.ctx.store.session() as s:
        s.merge(
            Device(
                node_id=PA_NODE,
                id=PA_DEVICE,
                kind="pa",
                label="City PA",
                commands=["announce", "cancel", "all_clear", "system_test"],
                capabilities={
                    "zones": [{"zone": z, "name": f"Zone {z}"} for z in range(1, zones + 1)],
                    "groups": {"All City": list(range(1, zones + 1)), "Bridges": [2, 4]},
                    "messages": MESSAGES,
                    "max_text_chars": 400,
                },
            )
        )
        for zone, node in LIGHT_NODES.items():
            s.merge(Device(node_id=node, id=zone, kind="lighting_zone", label=zone, commands=["override"]))


def add_people(cr: ControlRoom) -> dict[str, httpx.Client]:
    """One account per person in PEOPLE, each with a logged-in client (closed by the caller)."""
    with cr.client() as admin:
        for name, role in PEOPLE.items():
            r = admin.post("/api/v1/users", json={"username": name, "password": PASSWORD, "role": role})
            assert r.status_code == 201, r.text
    return {name: cr.client(name, PASSWORD) for name in PEOPLE}


class CommandListener:
    """Subscribes to every device command topic and keeps what the control room publishes."""

    def __init__(self, broker_url: str) -> None:
        self.commands: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._subscribed = threading.Event()
        port = int(broker_url.rsplit(":", 1)[1])
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"listener-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
        )
        self.client.on_message = self._on_message
        self.client.on_subscribe = lambda *args: self._subscribed.set()
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(f"{topics.ROOT}/nodes/+/devices/+/commands", qos=1)
        self.client.loop_start()
        assert self._subscribed.wait(10), "the listener could not subscribe"

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.commands.append({"topic": msg.topic, **json.loads(msg.payload)})

    def received(self) -> list[dict[str, Any]]:
        """Commands seen so far."""
        with self._lock:
            return list(self.commands)

    def close(self) -> None:
        """Disconnect and stop the network thread."""
        self.client.disconnect()
        self.client.loop_stop()


@dataclass
class Room:
    """The control room, its people and the listener."""

    cr: ControlRoom
    people: dict[str, httpx.Client]
    listener: CommandListener

    def __getitem__(self, name: str) -> httpx.Client:
        return self.people[name]

    def commands(self) -> list[Command]:
        """Every stored command."""
        with self.cr.ctx.store.session() as s:
            return list(s.execute(select(Command).order_by(Command.issued_at)).scalars())

    def audit(self, prefix: str = "approval.") -> list[AuditRow]:
        """Audit rows whose action starts with ``prefix``, oldest first."""
        with self.cr.ctx.store.session() as s:
            rows = s.execute(select(AuditRow).where(AuditRow.action.startswith(prefix)).order_by(AuditRow.id))
            return list(rows.scalars())

    def ask_all_city(self, who: str = "olive", **extra: Any) -> dict[str, Any]:
        """An all-zones PA announcement; asserts it waits for approval; the approval record."""
        body = {"group": "All City", "message_id": 1, "priority": "evacuate", **extra}
        r = self[who].post("/api/v1/pa/announcements", json=body)
        assert r.status_code == 202, r.text
        assert r.json()["id"] is None and r.json()["state"] == "awaiting_approval", r.json()
        return dict(r.json()["approval"])
