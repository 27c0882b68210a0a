"""Pure codec of the street-light node protocol: topics and JSON payloads, no I/O.

- ``streetlights/v1/{node}/status`` retained: ``{online, level, power_w, energy_wh, faults[], fw, ts, command_id?}``
- ``streetlights/v1/{node}/set`` and ``streetlights/v1/groups/{group}/set`` QoS 1: ``{level, fade_ms, command_id}``
- ``streetlights/v1/{node}/fault`` QoS 1: ``{code, state, ts}``
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from drivers.errors import ProtocolError

ROOT = "streetlights/v1"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


class FaultCode(StrEnum):
    """Faults a node reports."""

    LAMP_FAILURE = "LAMP_FAILURE"
    DRIVER_FAILURE = "DRIVER_FAILURE"
    TILT = "TILT"
    POWER_LOSS = "POWER_LOSS"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NodeStatus(_Model):
    """Retained status of one node; the node's last-will publishes ``{"online": false}``."""

    online: bool = Field(description="Controller connected.")
    level: int | None = Field(default=None, ge=0, le=100, description="Current level in percent.")
    power_w: float | None = Field(default=None, ge=0, description="Power draw in watts.")
    energy_wh: float | None = Field(default=None, ge=0, description="Energy meter in watt-hours.")
    faults: list[FaultCode] = Field(default_factory=list, description="Active faults.")
    fw: str | None = Field(default=None, description="Firmware version.")
    ts: datetime | None = Field(default=None, description="When the status was measured.")
    command_id: str | None = Field(default=None, description="The set command this status answers, echoed.")


class SetLevel(_Model):
    """Set request to a node or a group."""

    level: int = Field(ge=0, le=100, description="Target level in percent.")
    fade_ms: int = Field(default=0, ge=0, le=60_000, description="Fade time; 0 = immediate (emergency).")
    command_id: str = Field(min_length=1, max_length=64, description="Echoed in the resulting status.")


class FaultReport(_Model):
    """A fault appearing or clearing."""

    code: FaultCode = Field(description="Which fault.")
    state: Literal["NEW", "CLEARED"] = Field(description="Whether it appeared or cleared.")
    ts: datetime = Field(description="When it changed.")


_M = TypeVar("_M", bound=_Model)


@dataclass(frozen=True, slots=True)
class NodeTopic:
    """A parsed node topic."""

    node: str
    kind: Literal["status", "set", "fault"]


def _check(node: str) -> str:
    if not _ID.match(node):
        raise ProtocolError(f"invalid street-light node id {node!r}")
    return node


def status_topic(node: str) -> str:
    """Retained status topic of a node."""
    return f"{ROOT}/{_check(node)}/status"


def set_topic(node: str) -> str:
    """Set topic of a node."""
    return f"{ROOT}/{_check(node)}/set"


def fault_topic(node: str) -> str:
    """Fault topic of a node."""
    return f"{ROOT}/{_check(node)}/fault"


def group_set_topic(group: str) -> str:
    """Set topic of a group: one message reaches every member."""
    return f"{ROOT}/groups/{_check(group)}/set"


STATUS_FILTER = f"{ROOT}/+/status"
FAULT_FILTER = f"{ROOT}/+/fault"


def parse_topic(topic: str) -> NodeTopic:
    """Parse ``streetlights/v1/{node}/{status|set|fault}``."""
    parts = topic.split("/")
    if len(parts) != 4 or f"{parts[0]}/{parts[1]}" != ROOT or parts[3] not in ("status", "set", "fault"):
        raise ProtocolError(f"not a street-light node topic: {topic!r}")
    if parts[2] == "groups":
        raise ProtocolError(f"group topic is not a node topic: {topic!r}")
    return NodeTopic(_check(parts[2]), parts[3])  # type: ignore[arg-type]


def _decode(model: type[_M], payload: bytes) -> _M:
    try:
        return model.model_validate(json.loads(payload))
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise ProtocolError(f"{model.__name__}: not JSON ({err})") from err
    except ValidationError as err:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(root)'}: {e['msg']}" for e in err.errors())
        raise ProtocolError(f"{model.__name__}: {problems}") from err


def decode_status(payload: bytes) -> NodeStatus:
    """Parse a status payload."""
    return _decode(NodeStatus, payload)


def decode_set(payload: bytes) -> SetLevel:
    """Parse a set payload."""
    return _decode(SetLevel, payload)


def decode_fault(payload: bytes) -> FaultReport:
    """Parse a fault payload."""
    return _decode(FaultReport, payload)


def encode(model: BaseModel) -> bytes:
    """Compact JSON of a payload, omitting unset optional fields."""
    return model.model_dump_json(exclude_none=True).encode()


def now() -> datetime:
    """UTC now, for status timestamps."""
    return datetime.now(UTC)
