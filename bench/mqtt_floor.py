"""The MQTT floor of the lighting benchmark: N bare subscribers in one process, nothing but paho and mosquitto.

Each subscriber listens on ``bench/floor/group`` and its own ``bench/floor/node/{i}`` (QoS 1), notes when a
message arrives (``time.monotonic()``, comparable across processes on Linux), and answers at once with a fixed
status-sized payload on ``bench/floor/ack/{i}`` (QoS 1, retained), as a street-light node does, without parsing
or validating anything. ``python -m bench.mqtt_floor --broker URL --nodes N`` prints ``ready`` when every
subscriber is subscribed, and on SIGTERM prints one JSON line: ``{round: [receive times]}``. ``--first`` numbers
the subscribers of one shard when several processes share the work.
"""

from __future__ import annotations

import argparse
import json
import selectors
import signal
import socket
import sys
import threading
import time
from typing import Any
from urllib.parse import urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

GROUP = "bench/floor/group"
ACK = "bench/floor/ack"
NODE = "bench/floor/node"
REPLY = (
    b'{"online":true,"level":0,"power_w":48.0,"energy_wh":1234.567,"faults":[],"fw":"cityedge-sim-1.0",'
    b'"ts":"2026-11-23T12:00:00.000000Z","command_id":"00000000000000000000000000000000"}'
)


class FloorFleet:
    """N bare clients sharing one selector loop."""

    def __init__(self, url: str, n: int, first: int = 0) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 1883
        self.sel = selectors.DefaultSelector()
        self.clients = [self._client(i) for i in range(first, first + n)]
        self.subscribed = 0
        self.received: dict[str, list[float]] = {}
        self.stop = threading.Event()

    def _client(self, i: int) -> mqtt.Client:
        c = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"floor-{i}", protocol=mqtt.MQTTv311)
        c.user_data_set(i)
        c.on_socket_open = lambda cl, ud, sock: self.sel.register(sock, selectors.EVENT_READ, cl)
        c.on_socket_close = lambda cl, ud, sock: self._forget(sock)
        c.on_socket_register_write = lambda cl, ud, sock: self.sel.modify(
            sock, selectors.EVENT_READ | selectors.EVENT_WRITE, cl
        )
        c.on_socket_unregister_write = lambda cl, ud, sock: self.sel.modify(sock, selectors.EVENT_READ, cl)
        c.on_connect = self._on_connect
        c.on_subscribe = self._on_subscribe
        c.on_message = self._on_message
        return c

    def _forget(self, sock: socket.socket) -> None:
        try:
            self.sel.unregister(sock)
        except (KeyError, ValueError):
            pass

    def _on_connect(self, c: mqtt.Client, i: int, flags: Any, reason: Any, props: Any) -> None:
        c.subscribe([(GROUP, 1), (f"{NODE}/{i}", 1)])

    def _on_subscribe(self, c: mqtt.Client, i: int, mid: int, reasons: Any, props: Any) -> None:
        self.subscribed += 1

    def _on_message(self, c: mqtt.Client, i: int, msg: mqtt.MQTTMessage) -> None:
        now = time.monotonic()
        key = bytes(msg.payload[:16]).decode(errors="replace")  # the round id leads the payload
        self.received.setdefault(key, []).append(now)
        c.publish(f"{ACK}/{i}", key.encode() + REPLY, qos=1, retain=True)

    def run(self) -> None:
        """Connect everyone, then serve until ``stop``."""
        for c in self.clients:
            c.connect(self.host, self.port, keepalive=60)
        announced = False
        next_misc = time.monotonic()
        while not self.stop.is_set():
            for key, events in self.sel.select(timeout=0.2):
                client: mqtt.Client = key.data
                if events & selectors.EVENT_READ:
                    client.loop_read()
                if events & selectors.EVENT_WRITE:
                    client.loop_write()
            if not announced and self.subscribed >= len(self.clients):
                print("ready", flush=True)
                announced = True
            if time.monotonic() >= next_misc:
                next_misc = time.monotonic() + 1.0
                for c in self.clients:
                    c.loop_misc()
        for c in self.clients:
            c.disconnect()
            c.loop_write()


def main(argv: list[str] | None = None) -> int:
    """Run until SIGTERM; then print the receive times."""
    parser = argparse.ArgumentParser(prog="bench.mqtt_floor", description=__doc__)
    parser.add_argument("--broker", required=True)
    parser.add_argument("--nodes", type=int, required=True)
    parser.add_argument("--first", type=int, default=0, help="number of the first subscriber (for shards)")
    args = parser.parse_args(argv)
    fleet = FloorFleet(args.broker, args.nodes, args.first)
    signal.signal(signal.SIGTERM, lambda *_: fleet.stop.set())
    fleet.run()
    print(json.dumps(fleet.received), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
