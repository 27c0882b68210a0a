"""Topic builders and the strict topic parser."""

from __future__ import annotations

import pytest

from edge.contract import topics
from edge.contract.errors import TopicError
from edge.contract.topics import TopicKind, parse_topic


@pytest.mark.parametrize(
    ("topic", "kind", "fields"),
    [
        (topics.control_state("jccr"), TopicKind.CONTROL_STATE, {"host": "jccr"}),
        (topics.control_responses("jccr-2"), TopicKind.CONTROL_RESPONSES, {"host": "jccr-2"}),
        (topics.node_state("edge-1"), TopicKind.NODE_STATE, {"node": "edge-1"}),
        (topics.node_birth("edge-1"), TopicKind.NODE_BIRTH, {"node": "edge-1"}),
        (topics.node_commands("edge-1"), TopicKind.NODE_COMMANDS, {"node": "edge-1"}),
        (topics.device_state("edge-1", "cheapside"), TopicKind.DEVICE_STATE, {"node": "edge-1", "device": "cheapside"}),
        (topics.device_events("e", "sl-00001"), TopicKind.DEVICE_EVENTS, {"node": "e", "device": "sl-00001"}),
        (topics.device_commands("e", "d.1"), TopicKind.DEVICE_COMMANDS, {"node": "e", "device": "d.1"}),
        (
            topics.device_alert("e", "d", "lamp_failure"),
            TopicKind.DEVICE_ALERT,
            {"node": "e", "device": "d", "alert_id": "lamp_failure"},
        ),
    ],
)
def test_every_builder_parses_back(topic: str, kind: TopicKind, fields: dict[str, str]) -> None:
    parsed = parse_topic(topic)
    assert parsed.kind is kind
    for key, value in fields.items():
        assert getattr(parsed, key) == value


@pytest.mark.parametrize(
    ("topic", "reason"),
    [
        ("streetlights/v1/sl-1/status", "outside"),
        ("cityedge/v2/nodes/e/state", "outside"),
        ("cityedge/v1/nodes/+/state", "wildcard"),
        ("cityedge/v1/nodes/#", "wildcard"),
        ("cityedge/v1/nodes//state", "empty"),
        ("cityedge/v1/nodes/e/status", "not part of the contract"),
        ("cityedge/v1/nodes/e/devices/d/statex", "not part of the contract"),
        ("cityedge/v1/nodes/e/devices/d/alerts", "not part of the contract"),
        ("cityedge/v1/nodes/e/devices/d/alerts/a/b", "not part of the contract"),
        ("cityedge/v1/nodes/-bad/state", "invalid node id"),
        ("cityedge/v1/nodes/e/devices/" + "x" * 65 + "/state", "invalid device id"),
        ("cityedge/v1/control/jccr/other", "not part of the contract"),
        ("", "outside"),
    ],
)
def test_bad_topics_are_rejected_with_a_reason(topic: str, reason: str) -> None:
    with pytest.raises(TopicError, match=reason):
        parse_topic(topic)


@pytest.mark.parametrize("bad", ["", "a/b", "a+", "#", " x", "x" * 65, "-x", "é"])
def test_builders_refuse_bad_ids(bad: str) -> None:
    with pytest.raises(TopicError):
        topics.device_state("edge-1", bad)


def test_subscriptions_cover_what_each_side_reads() -> None:
    cr = topics.control_room_subscriptions("jccr")
    assert "cityedge/v1/nodes/+/devices/+/events" in cr
    assert topics.control_responses("jccr") in cr
    edge = topics.edge_subscriptions("edge-1")
    assert "cityedge/v1/nodes/edge-1/devices/+/commands" in edge
    assert topics.node_commands("edge-1") in edge
