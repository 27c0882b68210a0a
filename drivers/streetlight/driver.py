"""Driver for street-light nodes on a site MQTT broker: tracks every node's status and confirms set commands.

A set is confirmed per node by the node's next status echoing the ``command_id``. Callbacks run on the asyncio
loop that called :meth:`StreetlightBus.start`.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from drivers.errors import DeviceTimeout, ProtocolError, TransportError
from drivers.streetlight import codec
from drivers.streetlight.codec import FaultReport, NodeStatus, SetLevel

log = logging.getLogger(__name__)


@dataclass
class SetResult:
    """Outcome of a set: which nodes confirmed, at what level, and which did not within the timeout."""

    command_id: str
    level: int
    acked: dict[str, int] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    messages: int = 0
    elapsed_s: float = 0.0
    ack_s: dict[str, float] = field(default_factory=dict)
    """Seconds from the first publish to each node's confirmation."""


@dataclass
class _Pending:
    remaining: set[str]
    result: SetResult
    done: asyncio.Future[None]
    started: float = 0.0


class StreetlightBus:
    """All street-light nodes reachable through one site broker."""

    def __init__(
        self,
        url: str,
        client_id: str,
        username: str | None = None,
        password: str | None = None,
        on_status: Callable[[str, NodeStatus], None] | None = None,
        on_fault: Callable[[str, FaultReport], None] | None = None,
        on_connection: Callable[[bool], None] | None = None,
        on_error: Callable[[str, str], None] | None = None,
    ) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
            raise TransportError(f"street-light broker URL must be mqtt://host:port, got scheme {parts.scheme!r}")
        self._host, self._port = parts.hostname, parts.port or 1883
        self.status: dict[str, NodeStatus] = {}
        self.connected = False
        self._on_status = on_status
        self._on_fault = on_fault
        self._on_connection = on_connection
        self._on_error = on_error
        self._pending: dict[str, _Pending] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._inbox: deque[tuple[str, bytes]] = deque()
        self._drain_scheduled = False
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv5)
        if parts.scheme == "mqtts":
            self._client.tls_set()
        if username:
            self._client.username_pw_set(username, password)
        self._client.max_inflight_messages_set(1000)
        self._client.reconnect_delay_set(1, 30)
        self._client.on_connect = self._paho_connect
        self._client.on_disconnect = self._paho_disconnect
        self._client.on_message = self._paho_message

    async def start(self) -> None:
        """Connect in the background (never blocks on an unreachable broker)."""
        self._loop = asyncio.get_running_loop()
        self._client.connect_async(self._host, self._port, keepalive=15)
        self._client.loop_start()

    async def close(self) -> None:
        """Disconnect and stop the network thread; pending sets finish with their nodes missing."""
        self._client.disconnect()
        self._client.loop_stop()
        self.connected = False
        for pending in list(self._pending.values()):
            self._finish(pending)

    async def set_level(
        self,
        nodes: list[str],
        level: int,
        command_id: str,
        fade_ms: int = 0,
        group: str | None = None,
        timeout: float = 5.0,
        *,
        groups: Sequence[str] = (),
        direct: Sequence[str] | None = None,
    ) -> SetResult:
        """Send the messages that reach ``nodes``, then wait for each node to confirm.

        By default one group message (``group``) or one message per node; a planned send names its group topics
        (``groups``) and the nodes addressed one by one (``direct``) itself.
        """
        if not self.connected:
            raise TransportError("street-light site broker is unreachable")
        if command_id in self._pending:
            raise ProtocolError(f"command {command_id} is already in progress")
        payload = codec.encode(SetLevel(level=level, fade_ms=fade_ms, command_id=command_id))
        result = SetResult(command_id=command_id, level=level)
        loop = asyncio.get_running_loop()
        started = time.monotonic()
        pending = _Pending(set(nodes), result, loop.create_future(), started)
        self._pending[command_id] = pending
        if groups or direct is not None:
            topics = [codec.group_set_topic(g) for g in groups] + [codec.set_topic(n) for n in direct or ()]
        else:
            topics = [codec.group_set_topic(group)] if group else [codec.set_topic(n) for n in nodes]
        for topic in topics:
            info = self._client.publish(topic, payload, qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                self._pending.pop(command_id, None)
                raise TransportError(f"publish to {topic} failed: {mqtt.error_string(info.rc)}")
        result.messages = len(topics)
        if not nodes:
            pending.done.set_result(None)
        try:  # asyncio.timeout, not wait_for: 3.11's wait_for can swallow a caller's cancellation
            async with asyncio.timeout(timeout):
                await asyncio.shield(pending.done)
        except TimeoutError:
            pass
        finally:
            self._pending.pop(command_id, None)
        result.missing = sorted(pending.remaining)
        result.elapsed_s = time.monotonic() - started
        return result

    async def wait_connected(self, timeout: float) -> None:
        """Wait until the site broker connection is up, or raise DeviceTimeout."""
        deadline = time.monotonic() + timeout
        while not self.connected:
            if time.monotonic() > deadline:
                raise DeviceTimeout(f"site broker {self._host}:{self._port} not reachable in {timeout:.0f} s")
            await asyncio.sleep(0.05)

    def _finish(self, pending: _Pending) -> None:
        if not pending.done.done():
            pending.done.set_result(None)

    # asyncio loop ---------------------------------------------------------------------------------------------
    def _handle_message(self, topic: str, payload: bytes) -> None:
        try:
            parsed = codec.parse_topic(topic)
            if parsed.kind == "status":
                if not payload:
                    self.status.pop(parsed.node, None)
                    return
                status = codec.decode_status(payload)
                self.status[parsed.node] = status
                if status.command_id and status.command_id in self._pending:
                    pending = self._pending[status.command_id]
                    if parsed.node in pending.remaining and status.level is not None:
                        pending.remaining.discard(parsed.node)
                        pending.result.acked[parsed.node] = status.level
                        pending.result.ack_s[parsed.node] = time.monotonic() - pending.started
                        if not pending.remaining:
                            self._finish(pending)
                if self._on_status:
                    self._on_status(parsed.node, status)
            elif parsed.kind == "fault" and self._on_fault:
                self._on_fault(parsed.node, codec.decode_fault(payload))
        except ProtocolError as err:
            log.warning("rejected street-light message on %s: %s", topic, err)
            if self._on_error:
                self._on_error(topic, str(err))

    def _set_connected(self, up: bool) -> None:
        if up != self.connected:
            self.connected = up
            if self._on_connection:
                self._on_connection(up)

    # paho thread ----------------------------------------------------------------------------------------------
    def _post(self, fn: Callable[..., None], *args: Any) -> None:
        if self._loop is not None:
            try:
                self._loop.call_soon_threadsafe(fn, *args)
            except RuntimeError:
                pass

    def _paho_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning("site broker refused connection: %s", reason)
            return
        client.subscribe([(codec.STATUS_FILTER, 1), (codec.FAULT_FILTER, 1)])
        self._post(self._set_connected, True)

    def _paho_disconnect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        self._post(self._set_connected, False)

    def _paho_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        # A burst (10,000 statuses after a group command) wakes the event loop once, not once per message.
        self._inbox.append((msg.topic, bytes(msg.payload)))
        if not self._drain_scheduled:
            self._drain_scheduled = True
            self._post(self._drain)

    def _drain(self) -> None:
        self._drain_scheduled = False
        while self._inbox:
            topic, payload = self._inbox.popleft()
            self._handle_message(topic, payload)
