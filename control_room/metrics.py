"""Prometheus metrics of the control room (one registry per app)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram


class ControlRoomMetrics:
    """Counters and gauges exposed on /metrics."""

    def __init__(self) -> None:
        self.registry = r = CollectorRegistry()
        self.messages_in = Counter("cityedge_cr_messages_in", "MQTT messages received", ["kind"], registry=r)
        self.messages_rejected = Counter(
            "cityedge_cr_messages_rejected", "MQTT messages rejected as malformed", ["kind"], registry=r
        )
        self.messages_out = Counter("cityedge_cr_messages_out", "MQTT messages published", ["kind"], registry=r)
        self.events_duplicate = Counter("cityedge_cr_events_duplicate", "Events received again and dropped", registry=r)
        self.command_stages = Counter("cityedge_cr_command_stages", "Command stages recorded", ["stage"], registry=r)
        self.reconnects = Counter("cityedge_cr_mqtt_reconnects", "Connections lost to the broker", registry=r)
        self.mqtt_connected = Gauge("cityedge_cr_mqtt_connected", "1 when connected to the broker", registry=r)
        self.ingest_queue = Gauge("cityedge_cr_ingest_queue", "Messages waiting to be stored", registry=r)
        self.ingest_batch = Histogram(
            "cityedge_cr_ingest_batch_size",
            "Messages stored per transaction",
            buckets=(1, 2, 5, 10, 50, 100, 500),
            registry=r,
        )
        self.ws_clients = Gauge("cityedge_cr_ws_clients", "Connected WebSocket clients", registry=r)
        self.node_outbox = Gauge(
            "cityedge_node_outbox_depth", "Outbox depth reported by each edge node", ["node"], registry=r
        )
        self.gap_replays = Counter("cityedge_cr_replay_requests", "Replays asked of nodes after a gap", registry=r)
