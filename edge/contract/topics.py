"""The topic namespace ``cityedge/v1/...``: builders, subscription filters and a strict parser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from edge.contract.errors import TopicError

ROOT = "cityedge/v1"

_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class TopicKind(StrEnum):
    """What a topic carries."""

    CONTROL_STATE = "control_state"
    CONTROL_RESPONSES = "control_responses"
    NODE_STATE = "node_state"
    NODE_BIRTH = "node_birth"
    NODE_COMMANDS = "node_commands"
    DEVICE_STATE = "device_state"
    DEVICE_EVENTS = "device_events"
    DEVICE_ALERT = "device_alert"
    DEVICE_COMMANDS = "device_commands"


@dataclass(frozen=True, slots=True)
class ParsedTopic:
    """A topic taken apart: its kind and the identifiers it names."""

    kind: TopicKind
    node: str | None = None
    device: str | None = None
    alert_id: str | None = None
    host: str | None = None


def check_id(value: str, what: str = "identifier") -> str:
    """Return ``value`` if it is a valid topic segment (letters, digits, ``_ . -``; 1-64 chars)."""
    if not isinstance(value, str) or not _SEGMENT.match(value):
        raise TopicError(
            f"invalid {what} {value!r}: use 1-64 letters, digits, '_', '.', '-' and start with a letter or digit"
        )
    return value


def control_state(host: str) -> str:
    """Retained online/offline of a control-room host (last-will)."""
    return f"{ROOT}/control/{check_id(host, 'host')}/state"


def control_responses(host: str) -> str:
    """Where edges answer commands issued by ``host``."""
    return f"{ROOT}/control/{check_id(host, 'host')}/responses"


def node_state(node: str) -> str:
    """Retained node online/offline with birth sequence (last-will)."""
    return f"{ROOT}/nodes/{check_id(node, 'node id')}/state"


def node_birth(node: str) -> str:
    """Retained node description."""
    return f"{ROOT}/nodes/{check_id(node, 'node id')}/birth"


def node_commands(node: str) -> str:
    """Node-level commands (rebirth, replay_from)."""
    return f"{ROOT}/nodes/{check_id(node, 'node id')}/commands"


def device_state(node: str, device: str) -> str:
    """Retained device state snapshot."""
    return f"{ROOT}/nodes/{check_id(node, 'node id')}/devices/{check_id(device, 'device id')}/state"


def device_events(node: str, device: str) -> str:
    """Device events (QoS 1, not retained)."""
    return f"{ROOT}/nodes/{check_id(node, 'node id')}/devices/{check_id(device, 'device id')}/events"


def device_alert(node: str, device: str, alert_id: str) -> str:
    """Retained active alert; an empty retained payload clears it."""
    base = f"{ROOT}/nodes/{check_id(node, 'node id')}/devices/{check_id(device, 'device id')}"
    return f"{base}/alerts/{check_id(alert_id, 'alert id')}"


def device_commands(node: str, device: str) -> str:
    """Commands to one device (never retained)."""
    return f"{ROOT}/nodes/{check_id(node, 'node id')}/devices/{check_id(device, 'device id')}/commands"


def edge_subscriptions(node: str) -> list[str]:
    """Filters an edge node subscribes to: its own commands and the control rooms' state."""
    return [
        f"{ROOT}/nodes/{check_id(node, 'node id')}/devices/+/commands",
        node_commands(node),
        f"{ROOT}/control/+/state",
    ]


def control_room_subscriptions(host: str) -> list[str]:
    """Filters the control room subscribes to: every node's state, birth, devices and its own responses."""
    return [
        f"{ROOT}/nodes/+/state",
        f"{ROOT}/nodes/+/birth",
        f"{ROOT}/nodes/+/devices/+/state",
        f"{ROOT}/nodes/+/devices/+/events",
        f"{ROOT}/nodes/+/devices/+/alerts/+",
        control_responses(host),
    ]


_NODE_TAILS = {
    "state": TopicKind.NODE_STATE,
    "birth": TopicKind.NODE_BIRTH,
    "commands": TopicKind.NODE_COMMANDS,
}
_DEVICE_TAILS = {
    "state": TopicKind.DEVICE_STATE,
    "events": TopicKind.DEVICE_EVENTS,
    "commands": TopicKind.DEVICE_COMMANDS,
}


def parse_topic(topic: str) -> ParsedTopic:
    """Parse a concrete topic (no wildcards) into its kind and identifiers, or raise :class:`TopicError`."""
    if not isinstance(topic, str) or not topic.startswith(ROOT + "/"):
        raise TopicError(f"topic {topic!r} is outside the {ROOT}/ namespace")
    parts = topic[len(ROOT) + 1 :].split("/")
    if any(p in ("", "+", "#") for p in parts):
        raise TopicError(f"topic {topic!r} has an empty or wildcard segment")
    head = parts[0]
    if head == "control" and len(parts) == 3 and parts[2] in ("state", "responses"):
        kind = TopicKind.CONTROL_STATE if parts[2] == "state" else TopicKind.CONTROL_RESPONSES
        return ParsedTopic(kind, host=check_id(parts[1], "host"))
    if head == "nodes" and len(parts) == 3 and parts[2] in _NODE_TAILS:
        return ParsedTopic(_NODE_TAILS[parts[2]], node=check_id(parts[1], "node id"))
    if head == "nodes" and len(parts) >= 5 and parts[2] == "devices":
        node, device = check_id(parts[1], "node id"), check_id(parts[3], "device id")
        if len(parts) == 5 and parts[4] in _DEVICE_TAILS:
            return ParsedTopic(_DEVICE_TAILS[parts[4]], node=node, device=device)
        if len(parts) == 6 and parts[4] == "alerts":
            return ParsedTopic(
                TopicKind.DEVICE_ALERT, node=node, device=device, alert_id=check_id(parts[5], "alert id")
            )
    raise TopicError(f"topic {topic!r} is not part of the contract")
