"""A fleet of simulated column-mounted street-light controllers, each with its own MQTT connection and last-will.

All nodes run in one thread: their paho clients share one ``selectors`` loop (paho's external-loop API), so one
process simulates thousands of real connections. Scripted faults arrive through :meth:`StreetlightFleet.inject`
(in-process) or as JSON on ``streetlights/v1/sim/control`` (while it runs):
``{"node": "sl-0003", "action": "fault", "code": "LAMP_FAILURE"}`` — actions: fault, clear, drop, return, ignore,
obey. With ``churn_per_min`` set, that many random nodes a minute drop off (no DISCONNECT: the broker publishes
their will) and come back ``churn_down_s`` later, as flaky radio links do.
"""

from __future__ import annotations

import argparse
import json
import logging
import queue
import random
import selectors
import signal
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from drivers.errors import ProtocolError
from drivers.ids import expand_ids
from drivers.streetlight import codec
from drivers.streetlight.codec import FaultCode, FaultReport, NodeStatus

log = logging.getLogger(__name__)

CONTROL_TOPIC = f"{codec.ROOT}/sim/control"
# Handshakes in flight at once: mosquitto listens with a backlog of 100, and a connect whose SYN is dropped from a
# full backlog blocks this (single) thread for a second; 10,000 nodes connecting at once would stall for minutes.
MAX_CONNECTING = 64
CONNECT_TIMEOUT_S = 10.0
FIRMWARE = "cityedge-sim-1.0"


@dataclass
class SimNode:
    """One simulated controller and its lamp."""

    id: str
    groups: list[str]
    rated_w: float = 60.0
    level: int = 0
    energy_wh: float = 0.0
    faults: set[FaultCode] = field(default_factory=set)
    ignore_commands: bool = False
    dropped: bool = False
    client: mqtt.Client | None = None
    connected: bool = False
    last_energy_t: float = field(default_factory=time.monotonic)
    retry_at: float = 0.0
    started: bool = False

    @property
    def power_w(self) -> float:
        """Power draw: rated power scaled by level; nothing when the lamp, driver or supply has failed."""
        if self.faults & {FaultCode.LAMP_FAILURE, FaultCode.DRIVER_FAILURE, FaultCode.POWER_LOSS}:
            return 0.0
        return round(self.rated_w * self.level / 100.0, 2)

    def integrate(self) -> None:
        """Advance the energy meter to now."""
        now = time.monotonic()
        self.energy_wh += self.power_w * (now - self.last_energy_t) / 3600.0
        self.last_energy_t = now


class StreetlightFleet:
    """Simulates many nodes against one broker. ``start()`` spawns the loop thread; ``stop()`` joins it."""

    def __init__(
        self,
        broker_url: str,
        nodes: list[tuple[str, list[str]]],
        rated_w: float = 60.0,
        status_interval_s: float = 60.0,
        control_topic: bool = True,
        churn_per_min: float = 0.0,
        churn_down_s: float = 10.0,
    ) -> None:
        parts = urlsplit(broker_url)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 1883
        self.nodes = {nid: SimNode(nid, groups, rated_w) for nid, groups in nodes}
        self.status_interval_s = status_interval_s
        self.churn_per_min = churn_per_min
        self.churn_down_s = churn_down_s
        self.churned = 0
        self._returns: list[tuple[float, str]] = []
        self._rng = random.Random()
        self.commands_applied = 0
        self._sel = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._inbox: queue.Queue[tuple[str, dict[str, Any]]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._running = threading.Event()
        self._control: mqtt.Client | None = None
        self._use_control = control_topic
        self._by_client: dict[int, SimNode | None] = {}
        self._handshakes: dict[str, float] = {}

    # public API (any thread) -----------------------------------------------------------------------------------
    def start(self) -> None:
        """Connect every node and start the loop thread."""
        self._running.set()
        self._thread = threading.Thread(target=self._run, name="streetlight-fleet", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Disconnect every node cleanly (their status stays retained as last published) and join the thread."""
        self._running.clear()
        self._wake()
        if self._thread:
            self._thread.join(30)
            self._thread = None
        self._sel.close()
        self._wake_r.close()
        self._wake_w.close()

    def inject(self, node: str, action: str, **kwargs: Any) -> None:
        """Script a fault: fault/clear (code=...), drop (vanish without DISCONNECT), return, ignore, obey."""
        self._inbox.put((action, {"node": node, **kwargs}))
        self._wake()

    def connected_count(self) -> int:
        """Nodes currently connected."""
        return sum(1 for n in self.nodes.values() if n.connected)

    def wait_connected(self, timeout: float = 30.0) -> None:
        """Block until every node not dropped is connected."""
        deadline = time.monotonic() + timeout
        while self.connected_count() < sum(1 for n in self.nodes.values() if not n.dropped):
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.connected_count()} of {len(self.nodes)} street lights connected")
            time.sleep(0.02)

    # loop thread ----------------------------------------------------------------------------------------------
    def _wake(self) -> None:
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass

    def _new_client(self, client_id: str, node: SimNode | None) -> mqtt.Client:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, protocol=mqtt.MQTTv311)
        c.on_socket_open = self._sock_open
        c.on_socket_close = self._sock_close
        c.on_socket_register_write = self._sock_want_write
        c.on_socket_unregister_write = self._sock_no_write
        c.on_connect = self._on_connect
        c.on_disconnect = self._on_disconnect
        c.on_message = self._on_message
        c.user_data_set(node)
        if node is not None:
            c.will_set(codec.status_topic(node.id), codec.encode(NodeStatus(online=False)), qos=1, retain=True)
        return c

    def _run(self) -> None:
        self._sel.register(self._wake_r, selectors.EVENT_READ, None)
        if self._use_control:
            self._control = self._new_client(f"streetlight-sim-control-{random.getrandbits(32):08x}", None)
            self._try_connect(self._control)
        waiting = deque(self.nodes.values())
        for node in waiting:
            node.client = self._new_client(f"sl-{node.id}", node)
        next_misc = next_status = time.monotonic()
        while self._running.is_set():
            if waiting:
                self._connect_some(waiting)
            for key, events in self._sel.select(timeout=0.25):
                if key.data is None:
                    try:
                        self._wake_r.recv(4096)
                    except BlockingIOError:
                        pass
                    continue
                client: mqtt.Client = key.data
                if events & selectors.EVENT_READ:
                    client.loop_read()
                if events & selectors.EVENT_WRITE:
                    client.loop_write()
            self._drain_inbox()
            now = time.monotonic()
            if now >= next_misc:
                next_misc = now + 1.0
                self._churn(now)
                self._misc(now)
            if now >= next_status:
                next_status = now + self.status_interval_s
                for node in self.nodes.values():
                    if node.connected:
                        self._publish_status(node)
        self._shutdown()

    def _connect_some(self, waiting: deque[SimNode]) -> None:
        """First connections, a few handshakes at a time (MAX_CONNECTING)."""
        now = time.monotonic()
        while waiting and len(self._handshakes) < MAX_CONNECTING:
            node = waiting.popleft()
            node.started = True
            self._handshakes[node.id] = now
            assert node.client is not None
            self._try_connect(node.client)

    def _try_connect(self, client: mqtt.Client) -> None:
        try:
            client.connect(self._host, self._port, keepalive=30)
        except OSError:
            node = client.user_data_get()
            if node is not None:
                self._handshakes.pop(node.id, None)
                node.retry_at = time.monotonic() + 1 + random.random()

    def _churn(self, now: float) -> None:
        """Drop random connected nodes at the churn rate (this runs once a second); bring back those due."""
        due = [n for t, n in self._returns if t <= now]
        self._returns = [(t, n) for t, n in self._returns if t > now]
        for nid in due:
            self._apply(self.nodes[nid], "return", {})
        if self.churn_per_min <= 0:
            return
        count = int(self.churn_per_min / 60) + (self._rng.random() < (self.churn_per_min / 60) % 1)
        up = [n for n in self.nodes.values() if n.connected and not n.dropped]
        for node in self._rng.sample(up, min(count, len(up))):
            self._apply(node, "drop", {})
            self._returns.append((now + self.churn_down_s, node.id))
            self.churned += 1

    def _misc(self, now: float) -> None:
        for nid in [n for n, since in self._handshakes.items() if now - since > CONNECT_TIMEOUT_S]:
            del self._handshakes[nid]  # no CONNACK: let the next one start; this one retries as usual
        clients = [n.client for n in self.nodes.values() if n.client is not None]
        if self._control is not None:
            clients.append(self._control)
        for client in clients:
            node = client.user_data_get()
            if client.socket() is not None:
                client.loop_misc()
            elif node is None or (node.started and not node.dropped and now >= node.retry_at):
                if node is not None:
                    node.retry_at = now + 1 + random.random()
                try:
                    client.reconnect()
                except OSError:
                    pass

    def _shutdown(self) -> None:
        clients = [n.client for n in self.nodes.values() if n.client is not None]
        if self._control is not None:
            clients.append(self._control)
        for client in clients:
            if client.socket() is not None:
                client.disconnect()
                for _ in range(3):
                    if client.socket() is None or not client.want_write():
                        break
                    client.loop_write()
                sock = client.socket()
                if sock is not None:
                    try:
                        self._sel.unregister(sock)
                    except (KeyError, ValueError):
                        pass
                    sock.close()
        for node in self.nodes.values():
            node.connected = False

    # paho socket callbacks (loop thread) -----------------------------------------------------------------------
    def _sock_open(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        self._sel.register(sock, selectors.EVENT_READ, client)

    def _sock_close(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        try:
            self._sel.unregister(sock)
        except (KeyError, ValueError):
            pass

    def _sock_want_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        try:
            self._sel.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, client)
        except (KeyError, ValueError):
            pass

    def _sock_no_write(self, client: mqtt.Client, userdata: Any, sock: Any) -> None:
        try:
            self._sel.modify(sock, selectors.EVENT_READ, client)
        except (KeyError, ValueError):
            pass

    def _on_connect(self, client: mqtt.Client, node: SimNode | None, flags: Any, reason: Any, props: Any) -> None:
        if node is not None:
            self._handshakes.pop(node.id, None)
        if reason.is_failure:
            return
        if node is None:
            client.subscribe(CONTROL_TOPIC, qos=1)
            return
        node.connected = True
        subs = [(codec.set_topic(node.id), 1)] + [(codec.group_set_topic(g), 1) for g in node.groups]
        client.subscribe(subs)
        self._publish_status(node)

    def _on_disconnect(self, client: mqtt.Client, node: SimNode | None, flags: Any, reason: Any, props: Any) -> None:
        if node is not None:
            self._handshakes.pop(node.id, None)
            node.connected = False
            node.retry_at = time.monotonic() + 1 + random.random()

    def _on_message(self, client: mqtt.Client, node: SimNode | None, msg: mqtt.MQTTMessage) -> None:
        if node is None:
            self._control_message(msg.payload)
            return
        try:
            request = codec.decode_set(msg.payload)
        except ProtocolError as err:
            log.warning("node %s ignored a malformed set: %s", node.id, err)
            return
        if node.ignore_commands:
            return
        node.integrate()
        node.level = request.level
        self.commands_applied += 1
        self._publish_status(node, command_id=request.command_id)

    def _control_message(self, payload: bytes) -> None:
        try:
            doc = json.loads(payload)
            action = doc.pop("action")
            if not isinstance(doc.get("node"), str):
                raise ValueError("'node' must be a string")
        except (ValueError, KeyError, AttributeError) as err:
            log.warning("ignored simulator control message: %s", err)
            return
        self._inbox.put((action, doc))

    # scripted faults (loop thread) -----------------------------------------------------------------------------
    def _drain_inbox(self) -> None:
        while True:
            try:
                action, args = self._inbox.get_nowait()
            except queue.Empty:
                return
            node = self.nodes.get(args.get("node", ""))
            if node is None:
                log.warning("simulator control names unknown node %r", args.get("node"))
                continue
            self._apply(node, action, args)

    def _apply(self, node: SimNode, action: str, args: dict[str, Any]) -> None:
        if action in ("fault", "clear"):
            try:
                code = FaultCode(args.get("code", ""))
            except ValueError:
                log.warning("unknown fault code %r", args.get("code"))
                return
            node.integrate()
            if action == "fault":
                node.faults.add(code)
            else:
                node.faults.discard(code)
            if node.client is not None and node.connected:
                report = FaultReport(code=code, state="NEW" if action == "fault" else "CLEARED", ts=codec.now())
                node.client.publish(codec.fault_topic(node.id), codec.encode(report), qos=1)
                self._publish_status(node)
        elif action == "drop":
            node.dropped = True
            node.connected = False
            sock = node.client.socket() if node.client else None
            if sock is not None:
                sock.shutdown(socket.SHUT_RDWR)  # vanish without DISCONNECT: the broker publishes the will
        elif action == "return":
            node.dropped = False
            node.retry_at = 0.0
        elif action == "ignore":
            node.ignore_commands = True
        elif action == "obey":
            node.ignore_commands = False
        else:
            log.warning("unknown simulator action %r", action)

    def _publish_status(self, node: SimNode, command_id: str | None = None) -> None:
        if node.client is None:
            return
        node.integrate()
        status = NodeStatus(
            online=True,
            level=node.level,
            power_w=node.power_w,
            energy_wh=round(node.energy_wh, 3),
            faults=sorted(node.faults),
            fw=FIRMWARE,
            ts=codec.now(),
            command_id=command_id,
        )
        node.client.publish(codec.status_topic(node.id), codec.encode(status), qos=1, retain=True)


def _rss() -> str:
    """This process's resident memory, for the log."""
    try:
        with open("/proc/self/status") as f:
            line = next(x for x in f if x.startswith("VmRSS:"))
        return f"RSS {int(line.split()[1]) // 1024} MiB"
    except (OSError, StopIteration, ValueError):
        return "RSS unknown"


def parse_layout(specs: list[str]) -> list[tuple[str, list[str]]]:
    """``"sl-0001..sl-0040@cheapside"`` → forty nodes in group cheapside (``@g1+g2`` for several groups)."""
    out: list[tuple[str, list[str]]] = []
    for spec in specs:
        ids, _, groups = spec.partition("@")
        group_list = [g for g in groups.split("+") if g]
        out.extend((nid, group_list) for nid in expand_ids([ids]))
    return out


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """CLI options of ``cityedge simulate streetlights``."""
    parser.add_argument("--broker", required=True, help="site broker URL, mqtt://host:port")
    parser.add_argument(
        "--nodes",
        action="append",
        required=True,
        help="ids and groups, e.g. sl-0001..sl-0040@cheapside (repeatable)",
    )
    parser.add_argument("--rated-w", type=float, default=60.0, help="rated lamp power in watts")
    parser.add_argument("--status-interval", type=float, default=60.0, help="seconds between periodic statuses")
    parser.add_argument("--churn", type=float, default=0.0, help="random nodes per minute that drop off and return")
    parser.add_argument("--churn-down", type=float, default=10.0, help="seconds a churned node stays away")


def run(args: argparse.Namespace) -> int:
    """Run the fleet until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s streetlights %(levelname)s %(message)s")
    fleet = StreetlightFleet(
        args.broker,
        parse_layout(args.nodes),
        args.rated_w,
        args.status_interval,
        churn_per_min=args.churn,
        churn_down_s=args.churn_down,
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    started = time.monotonic()
    fleet.start()
    try:
        fleet.wait_connected(600)
    except TimeoutError as err:
        log.warning("%s", err)
    log.info(
        "simulating %d street lights on %s: connected in %.1f s, %s",
        len(fleet.nodes),
        args.broker,
        time.monotonic() - started,
        _rss(),
    )
    stop.wait()
    fleet.stop()
    return 0
