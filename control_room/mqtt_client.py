"""The control room's MQTT 5 connection: online/offline state with a last-will, subscriptions, publishing."""

from __future__ import annotations

import logging
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties

from control_room.errors import BrokerUnavailable
from control_room.metrics import ControlRoomMetrics
from control_room.settings import Settings
from edge.contract import topics
from edge.contract.payloads import ControlState, encode

log = logging.getLogger(__name__)


class ControlMqtt:
    """A persistent MQTT 5 session so events published while the control room restarts are still delivered."""

    def __init__(
        self,
        settings: Settings,
        metrics: ControlRoomMetrics,
        on_message: Callable[[str, bytes, Properties | None], None],
        on_puback: Callable[[int], None] | None = None,
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.host_id = settings.host_id
        self._on_message = on_message
        self._on_puback = on_puback
        self.connected = False
        self._ever = False
        url = urlsplit(settings.mqtt_url)
        if url.scheme not in ("mqtt", "mqtts") or not url.hostname:
            raise ValueError(f"CITYEDGE_MQTT_URL must be mqtt://host:port, got scheme {url.scheme!r}")
        self._host, self._port = url.hostname, url.port or 1883
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"cityedge-control-{self.host_id}", protocol=mqtt.MQTTv5
        )
        if url.scheme == "mqtts":
            self._client.tls_set()
        if settings.mqtt_username:
            pw = settings.mqtt_password.get_secret_value() if settings.mqtt_password else None
            self._client.username_pw_set(settings.mqtt_username, pw)
        self._client.max_inflight_messages_set(1000)
        self._client.reconnect_delay_set(1, 10)
        will = ControlState(host=self.host_id, online=False)
        self._client.will_set(topics.control_state(self.host_id), encode(will), qos=1, retain=True)
        self._client.on_socket_open = _no_delay
        self._client.on_connect = self._connected
        self._client.on_disconnect = self._disconnected
        self._client.on_message = self._message
        self._client.on_publish = self._published

    def start(self) -> None:
        """Connect in the background."""
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = 24 * 3600
        self._client.connect_async(self._host, self._port, keepalive=15, clean_start=False, properties=props)
        self._client.loop_start()

    def stop(self) -> None:
        """Publish offline, disconnect, stop the network thread."""
        if self.connected:
            info = self._client.publish(
                topics.control_state(self.host_id), encode(ControlState(host=self.host_id, online=False)), 1, True
            )
            try:
                info.wait_for_publish(3)
            except (RuntimeError, ValueError):
                pass
        self._client.disconnect()
        self._client.loop_stop()
        self.connected = False

    def publish(
        self, topic: str, payload: bytes, kind: str, properties: Properties | None = None, retain: bool = False
    ) -> int:
        """Publish at QoS 1; raises BrokerUnavailable when not connected. Returns the message id."""
        if not self.connected:
            raise BrokerUnavailable(f"the MQTT broker {self._host}:{self._port} is not reachable")
        info = self._client.publish(topic, payload, qos=1, retain=retain, properties=properties)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            raise BrokerUnavailable(f"publish failed: {mqtt.error_string(info.rc)}")
        self.metrics.messages_out.labels(kind).inc()
        return int(info.mid)

    def _connected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning("broker refused the control room: %s", reason)
            return
        self.connected = True
        self.metrics.mqtt_connected.set(1)
        log.info("%s the broker", "reconnected to" if self._ever else "connected to")
        self._ever = True
        client.subscribe([(f, 1) for f in topics.control_room_subscriptions(self.host_id)])
        client.publish(
            topics.control_state(self.host_id), encode(ControlState(host=self.host_id, online=True)), 1, True
        )

    def _disconnected(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if self.connected:
            log.warning("lost the broker: %s", reason)
            self.metrics.reconnects.inc()
        self.connected = False
        self.metrics.mqtt_connected.set(0)

    def _message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self._on_message(msg.topic, bytes(msg.payload), msg.properties)

    def _published(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        if self._on_puback:
            self._on_puback(mid)


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Send small messages (commands, answers, alarms) at once instead of waiting for the peer's delayed ACK."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):  # not a TCP socket (e.g. a websocket wrapper)
        pass
