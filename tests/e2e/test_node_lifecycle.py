"""Node birth, last-will with birth_seq, stale wills, rebirth."""

from __future__ import annotations

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from edge.contract import topics
from edge.contract.payloads import NodeState, encode
from tests.e2e.conftest import City
from tests.support.stack import wait_until


def node(http, node_id: str = "edge-1") -> dict:  # type: ignore[no-untyped-def]
    return http.get(f"/api/v1/nodes/{node_id}").json()


def offline_alerts(http) -> list[dict]:  # type: ignore[no-untyped-def]
    return [a for a in http.get("/api/v1/alerts").json() if a["type"] == "node_offline"]


def test_killed_node_goes_offline_by_its_will_and_comes_back(city: City) -> None:
    with city.cr.client() as http:
        first = node(http)
        assert first["online"] and first["version"] == "0.1.0"
        city.edge.kill()
        wait_until(lambda: not node(http)["online"], 20, "node offline from the last-will")
        alert = wait_until(lambda: offline_alerts(http), 10, "node offline alert")[0]
        assert alert["active"] and alert["priority"] == 2 and "edge-1" in alert["message"]
        city.edge.start()
        wait_until(lambda: node(http)["online"], 30, "node online again")
        assert node(http)["birth_seq"] > first["birth_seq"]
        wait_until(lambda: not offline_alerts(http)[0]["active"], 10, "offline alert cleared")
        assert len(offline_alerts(http)) == 1


def test_stale_will_cannot_mark_a_live_node_offline(city: City) -> None:
    with city.cr.client() as http:
        current = node(http)["birth_seq"]
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="stale-will", protocol=mqtt.MQTTv5)
        client.connect("127.0.0.1", city.broker.port)
        client.loop_start()
        try:
            stale = NodeState(online=False, birth_seq=current - 1)
            client.publish(topics.node_state("edge-1"), encode(stale), qos=1).wait_for_publish(10)
            # a state the control room must accept, sent after the stale one, proves the stale one was processed
            probe = topics.device_state("edge-1", "probe")
            client.publish(probe, b'{"kind": "probe", "seq": 1, "birth_seq": 0, "state": {}}', qos=1).wait_for_publish(
                10
            )
            wait_until(lambda: http.get("/api/v1/devices/edge-1/probe").status_code == 200, 20, "probe stored")
            assert node(http)["online"] is True
            assert not offline_alerts(http)
        finally:
            client.disconnect()
            client.loop_stop()


def test_graceful_stop_publishes_offline(city: City) -> None:
    with city.cr.client() as http:
        assert city.edge.stop() == 0
        wait_until(lambda: not node(http)["online"], 20, "offline after a clean stop")
        assert "stopping" in city.edge.log_text()


def test_rebirth_republishes_description_and_state(city: City) -> None:
    births = city.cr.ctx.metrics.messages_in.labels("node_birth")
    before = births._value.get()
    city.cr.ctx.commands.node_command("edge-1", "rebirth", {})
    wait_until(lambda: births._value.get() > before, 20, "a new birth message")
