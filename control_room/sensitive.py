"""Sensitive actions (two-person rule): what an action would send, worked out before it is sent.

A route that meets a sensitive request (a PA announcement to every zone, an override of every lighting zone)
builds a :class:`SensitivePlan` and hands it to the approvals service instead of sending it. At approval the
plan is built again from the stored request, so what is sent is what the request would send *now*.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

PA_ANNOUNCE_ALL = "pa.announce_all"
LIGHTING_OVERRIDE_ALL = "lighting.override_all"
SENSITIVE_ACTIONS = (PA_ANNOUNCE_ALL, LIGHTING_OVERRIDE_ALL)


class PlanInvalid(ValueError):
    """A stored request can no longer be carried out as asked (a zone, message or system is gone)."""


@dataclass(frozen=True)
class CommandSpec:
    """One device command of a plan."""

    node_id: str
    device_id: str
    action: str
    args: dict[str, Any]
    ttl_s: float


@dataclass(frozen=True)
class SensitivePlan:
    """A sensitive request, validated: what it is, in one sentence, and the commands it sends."""

    action: str
    summary: str
    params: dict[str, Any]
    mode: str
    targets: dict[str, Any]
    commands: list[CommandSpec] = field(default_factory=list)


def mode_word(mode: str) -> str:
    """How the mode opens a summary: LIVE or TEST, in capitals so that nobody mistakes one for the other."""
    return "TEST" if mode == "test" else "LIVE"


def duration_words(seconds: float) -> str:
    """``600`` → ``10 min``; ``5400`` → ``1 h 30 min``; ``45`` → ``45 s``."""
    s = int(seconds)
    hours, rest = divmod(s, 3600)
    minutes, secs = divmod(rest, 60)
    parts = [f"{hours} h" if hours else "", f"{minutes} min" if minutes else "", f"{secs} s" if secs else ""]
    return " ".join(p for p in parts if p) or "0 s"


def quoted(text: str, limit: int = 60) -> str:
    """``'text'``, cut at ``limit`` characters with an ellipsis."""
    return f"'{text if len(text) <= limit else text[: limit - 1] + '…'}'"
