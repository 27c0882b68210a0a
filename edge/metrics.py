"""Prometheus metrics of an edge node (a registry per runtime, no globals)."""

from __future__ import annotations

import threading
from wsgiref.simple_server import WSGIServer

from prometheus_client import CollectorRegistry, Counter, Gauge, start_http_server


class EdgeMetrics:
    """Counters and gauges of one edge runtime."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        r = self.registry
        self.messages_out = Counter(
            "cityedge_edge_messages_out", "Messages published to the broker", ["kind"], registry=r
        )
        self.messages_in = Counter(
            "cityedge_edge_messages_in", "Messages received from the broker", ["kind"], registry=r
        )
        self.rejected_in = Counter(
            "cityedge_edge_messages_rejected", "Received messages rejected as malformed", ["kind"], registry=r
        )
        self.outbox_depth = Gauge("cityedge_edge_outbox_depth", "Outbox rows awaiting PUBACK", registry=r)
        self.outbox_dropped = Counter(
            "cityedge_edge_outbox_dropped", "Rows dropped by the outbox-full policy", registry=r
        )
        self.command_stages = Counter("cityedge_edge_command_stages", "Command stages answered", ["stage"], registry=r)
        self.reconnects = Counter("cityedge_edge_mqtt_reconnects", "Connections lost to the JCCR broker", registry=r)
        self.connected = Gauge("cityedge_edge_mqtt_connected", "1 when connected to the JCCR broker", registry=r)
        self._server: WSGIServer | None = None
        self._thread: threading.Thread | None = None

    def serve(self, listen: str) -> int:
        """Serve /metrics on ``host:port`` in a thread; returns the bound port."""
        host, _, port = listen.rpartition(":")
        self._server, self._thread = start_http_server(int(port), addr=host or "127.0.0.1", registry=self.registry)
        return int(self._server.server_port)

    def close(self) -> None:
        """Stop the metrics server thread."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(5)
        self._server = self._thread = None
