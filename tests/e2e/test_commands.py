"""Command semantics on the wire: expiry, at-most-once, no expiry no execution, no answer → unknown + alert."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from control_room.audit import Actor
from edge.contract import topics
from tests.e2e.conftest import City
from tests.support.stack import wait_until


class RawClient:
    """A bare MQTT 5 client standing in for a control room that talks the contract by hand."""

    def __init__(self, url: str, host: str = "tester") -> None:
        self.host = host
        self.responses: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        port = int(url.rsplit(":", 1)[1])
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"raw-{uuid.uuid4().hex[:8]}", protocol=mqtt.MQTTv5
        )
        self.client.on_message = self._on_message
        self.client.connect("127.0.0.1", port)
        self.client.subscribe(topics.control_responses(host), qos=1)
        self.client.loop_start()

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        with self._lock:
            self.responses.append(json.loads(msg.payload))

    def stages(self, command_id: str) -> list[str]:
        with self._lock:
            return [r["stage"] for r in self.responses if r["command_id"] == command_id]

    def send(self, node: str, device: str, doc: dict[str, Any]) -> None:
        props = Properties(PacketTypes.PUBLISH)
        props.ResponseTopic = topics.control_responses(self.host)
        self.client.publish(
            topics.device_commands(node, device), json.dumps(doc), qos=1, properties=props
        ).wait_for_publish(10)

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def raw(city: City) -> Iterator[RawClient]:
    client = RawClient(city.broker.url)
    yield client
    client.close()


def command(level: int, expires_in: float, command_id: str | None = None, **extra: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    doc = {
        "command_id": command_id or str(uuid.uuid4()),
        "issued_by": "tester",
        "issued_at": now.isoformat(),
        "expires_at": (now + timedelta(seconds=expires_in)).isoformat(),
        "action": "set_level",
        "args": {"level": level},
    }
    doc.update(extra)
    return doc


def test_expired_command_is_never_executed(city: City, raw: RawClient) -> None:
    before = city.fleet.commands_applied
    doc = command(90, expires_in=-5)
    raw.send("edge-1", "cheapside", doc)
    wait_until(lambda: raw.stages(doc["command_id"]) == ["expired"], 20, "expired answer")
    fresh = command(40, expires_in=30)  # a later command proves the edge has processed the expired one
    raw.send("edge-1", "cheapside", fresh)
    wait_until(lambda: "succeeded" in raw.stages(fresh["command_id"]), 20, "later command done")
    assert city.fleet.commands_applied - before == 20
    assert all(n.level == 40 for nid, n in city.fleet.nodes.items() if int(nid[3:]) <= 20)


def test_duplicate_command_id_executes_once(city: City, raw: RawClient) -> None:
    before = city.fleet.commands_applied
    doc = command(55, expires_in=30)
    raw.send("edge-1", "cheapside", doc)
    wait_until(lambda: "succeeded" in raw.stages(doc["command_id"]), 20, "first execution")
    raw.send("edge-1", "cheapside", doc)
    wait_until(lambda: raw.stages(doc["command_id"]).count("succeeded") == 2, 20, "the first answer repeated")
    assert raw.stages(doc["command_id"]) == ["accepted", "succeeded", "accepted", "succeeded"]
    assert city.fleet.commands_applied - before == 20  # twenty nodes, once


def test_command_without_expiry_is_rejected(city: City, raw: RawClient) -> None:
    doc = command(10, expires_in=30)
    del doc["expires_at"]
    raw.send("edge-1", "cheapside", doc)
    wait_until(lambda: raw.stages(doc["command_id"]), 20, "an answer")
    answer = next(r for r in raw.responses if r["command_id"] == doc["command_id"])
    assert answer["stage"] == "rejected" and answer["code"] == "invalid_command"
    assert "expires_at" in answer["message"] and "never executed" in answer["message"]


@pytest.mark.parametrize(
    ("device", "change", "code"),
    [
        ("nowhere", {}, "unknown_device"),
        ("cheapside", {"action": "explode"}, "unknown_action"),
        ("cheapside", {"args": {"level": 250}}, "invalid_args"),
        ("cheapside", {"args": {"level": 5, "colour": 1}}, "invalid_args"),
        ("cheapside", {"mode": "rehearsal"}, "invalid_command"),
    ],
)
def test_invalid_commands_are_rejected_with_a_code(
    city: City, raw: RawClient, device: str, change: dict[str, Any], code: str
) -> None:
    doc = command(10, expires_in=30, **change)
    raw.send("edge-1", device, doc)
    wait_until(lambda: raw.stages(doc["command_id"]), 20, "an answer")
    answer = next(r for r in raw.responses if r["command_id"] == doc["command_id"])
    assert (answer["stage"], answer["code"]) == ("rejected", code)
    assert answer["message"]


def test_garbage_on_the_command_topic_does_not_stop_the_edge(city: City, raw: RawClient) -> None:
    raw.client.publish(topics.device_commands("edge-1", "cheapside"), b"\xff\x00not json", qos=1).wait_for_publish(10)
    doc = command(33, expires_in=30)
    raw.send("edge-1", "cheapside", doc)
    wait_until(lambda: "succeeded" in raw.stages(doc["command_id"]), 20, "edge still serving")
    assert "not JSON" in city.edge.log_text()


def test_test_mode_changes_nothing(city: City) -> None:
    before = city.fleet.commands_applied
    with city.cr.client() as http:
        cid = http.post("/api/v1/lighting/zones/cheapside/level", json={"level": 99, "mode": "test"}).json()[
            "command_id"
        ]
        detail = wait_until(lambda: (d := http.get(f"/api/v1/commands/{cid}").json())["terminal"] and d, 20)
    assert detail["stage"] == "succeeded" and detail["code"] == "test" and detail["mode"] == "test"
    assert "test only" in detail["message"]
    assert city.fleet.commands_applied == before


def test_command_without_terminal_answer_becomes_unknown_and_alerts(city: City) -> None:
    city.edge.stop()
    actor = Actor("admin", "admin")
    row = city.cr.ctx.commands.issue(actor, "edge-1", "cheapside", "set_level", {"level": 5}, ttl_s=1)
    with city.cr.client() as http:
        detail = wait_until(lambda: (d := http.get(f"/api/v1/commands/{row.id}").json())["terminal"] and d, 20)
        assert detail["stage"] == "unknown" and detail["code"] == "no_terminal_stage"
        alerts = [a for a in http.get("/api/v1/alerts").json() if a["type"] == "command_no_answer"]
        assert len(alerts) == 1 and row.id in alerts[0]["data"]["command_id"] and alerts[0]["priority"] == 2
        assert "no answer from edge-1" in alerts[0]["message"]
