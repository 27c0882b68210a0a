"""The edge's public MQTT API: topic namespace and payload models shared by edge and control room.

This package is the only part of :mod:`edge` that the control room may import (checked by a test).
It does no I/O.
"""

from edge.contract.errors import ContractError, PayloadError, TopicError
from edge.contract.payloads import (
    Alert,
    Approval,
    Command,
    CommandResponse,
    CommandStage,
    ControlState,
    DeviceDescription,
    DeviceState,
    Event,
    NodeBirth,
    NodeCommand,
    NodeState,
    Severity,
    decode,
    encode,
)
from edge.contract.topics import ROOT, ParsedTopic, TopicKind, parse_topic

__all__ = [
    "ROOT",
    "Alert",
    "Approval",
    "Command",
    "CommandResponse",
    "CommandStage",
    "ContractError",
    "ControlState",
    "DeviceDescription",
    "DeviceState",
    "Event",
    "NodeBirth",
    "NodeCommand",
    "NodeState",
    "ParsedTopic",
    "PayloadError",
    "Severity",
    "TopicError",
    "TopicKind",
    "decode",
    "encode",
    "parse_topic",
]
