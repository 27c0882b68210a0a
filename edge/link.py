"""The edge's MQTT 5 connection to the JCCR broker: birth, last-will with a birth sequence, reconnects.

paho-mqtt runs its network loop in its own thread; every callback is handed to the asyncio loop with
``call_soon_threadsafe`` so the rest of the edge is single-threaded.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.subscribeoptions import SubscribeOptions
from pydantic import SecretStr

from edge.config import MqttSettings
from edge.contract import topics
from edge.contract.payloads import NodeState, encode

log = logging.getLogger(__name__)

# birth_seq = boot counter * BOOT_STRIDE + connection number in this process: it never repeats, even across a
# crash, without writing to disk on every reconnect.
BOOT_STRIDE = 1_000_000


@dataclass
class LinkHandlers:
    """Callbacks run on the asyncio loop."""

    on_connected: Callable[[int], None]
    on_disconnected: Callable[[str], None]
    on_message: Callable[[str, bytes, Properties | None], None]
    on_puback: Callable[[int], None]


class MqttLink:
    """One MQTT 5 client with a persistent session, a last-will per connection, and reconnect with backoff."""

    def __init__(
        self,
        settings: MqttSettings,
        node_id: str,
        boot_count: int,
        handlers: LinkHandlers,
        loop: asyncio.AbstractEventLoop,
        password: SecretStr | None = None,
        version: str = "",
    ) -> None:
        self.settings = settings
        self.node_id = node_id
        self.version = version
        self._handlers = handlers
        self._loop = loop
        self._connections = 0
        self._boot_base = boot_count * BOOT_STRIDE
        self.birth_seq = self._boot_base
        self.connected = False
        self.reconnects = 0
        self._closing = False
        url = urlsplit(settings.url)
        self._host = url.hostname or "127.0.0.1"
        self._port = url.port or (8883 if url.scheme == "mqtts" else 1883)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"cityedge-edge-{node_id}",
            protocol=mqtt.MQTTv5,
        )
        if url.scheme == "mqtts":
            self._client.tls_set()
        if settings.username:
            self._client.username_pw_set(settings.username, password.get_secret_value() if password else None)
        self._client.max_inflight_messages_set(1000)
        self._client.max_queued_messages_set(0)
        self._client.reconnect_delay_set(
            max(1, round(settings.reconnect_min_s)), max(1, round(settings.reconnect_max_s))
        )
        self._client.on_socket_open = _no_delay
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_message = self._on_message
        self._client.on_publish = self._on_publish

    @property
    def client_id(self) -> str:
        """The MQTT client id of this node."""
        return f"cityedge-edge-{self.node_id}"

    def _arm_will(self) -> None:
        """Give the next connection a fresh birth_seq and a will that names it."""
        self._connections += 1
        self.birth_seq = self._boot_base + self._connections
        will = NodeState(online=False, birth_seq=self.birth_seq, version=self.version)
        self._client.will_set(topics.node_state(self.node_id), encode(will), qos=1, retain=True)

    def start(self) -> None:
        """Connect in the background; reconnects are automatic."""
        self._arm_will()
        props = Properties(PacketTypes.CONNECT)
        props.SessionExpiryInterval = self.settings.session_expiry_s
        self._client.connect_async(
            self._host, self._port, keepalive=self.settings.keepalive_s, clean_start=False, properties=props
        )
        self._client.loop_start()

    def stop(self, offline_state: bytes | None = None, timeout: float = 5.0) -> None:
        """Publish ``offline_state`` (retained) if connected, disconnect cleanly and stop the network thread."""
        self._closing = True
        if self.connected and offline_state is not None:
            info = self._client.publish(topics.node_state(self.node_id), offline_state, qos=1, retain=True)
            try:
                info.wait_for_publish(timeout)
            except (RuntimeError, ValueError):
                log.warning("could not publish offline state before disconnecting")
        self._client.disconnect()
        self._client.loop_stop()
        self.connected = False

    def publish(
        self,
        topic: str,
        payload: bytes,
        qos: int = 1,
        retain: bool = False,
        properties: Properties | None = None,
    ) -> int | None:
        """Queue a publish; returns paho's message id, or None when not connected (the caller keeps the data)."""
        if not self.connected:
            return None
        info = self._client.publish(topic, payload, qos=qos, retain=retain, properties=properties)
        if info.rc != mqtt.MQTT_ERR_SUCCESS:
            return None
        return int(info.mid)

    def subscribe(self, filters: list[str]) -> None:
        """Subscribe (QoS 1) to the given filters on the current connection."""
        if filters:
            self._client.subscribe([(f, 1) for f in filters])

    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        try:
            self._loop.call_soon_threadsafe(fn, *args)
        except RuntimeError:  # the loop has closed during shutdown
            pass

    def subscribe_no_local(self, topic_filter: str) -> None:
        """Subscribe without receiving this client's own publishes (MQTT 5 No Local); retained ones still arrive."""
        self._client.subscribe(topic_filter, options=SubscribeOptions(qos=1, noLocal=True))

    # paho thread --------------------------------------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning("broker refused connection: %s", reason)
            return
        self.connected = True
        self._post(self._handlers.on_connected, self.birth_seq)

    def _on_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        was = self.connected
        self.connected = False
        if not self._closing:
            self.reconnects += 1
            self._arm_will()
        if was:
            self._post(self._handlers.on_disconnected, str(reason))

    def _on_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self._post(self._handlers.on_message, msg.topic, bytes(msg.payload), msg.properties)

    def _on_publish(self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any) -> None:
        self._post(self._handlers.on_puback, mid)


def _no_delay(client: mqtt.Client, userdata: Any, sock: Any) -> None:
    """Send small messages (commands, answers, alarms) at once instead of waiting for the peer's delayed ACK."""
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    except (OSError, AttributeError):  # not a TCP socket (e.g. a websocket wrapper)
        pass
