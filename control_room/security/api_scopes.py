"""Integrator API keys: their format and their scopes. A key reads; it never changes anything.

A key is ``ce_<id>_<secret>``: the id finds the row, the secret (256 random bits) is checked against its SHA-256.
Each read route belongs to one scope, found from its path; a route under no listed path takes no API key at all.
"""

from __future__ import annotations

import re
import secrets
from enum import StrEnum

KEY_PREFIX = "ce_"
_KEY = re.compile(r"^ce_(?P<id>[1-9][0-9]{0,9})_(?P<secret>[A-Za-z0-9_-]{20,100})$")
INTEGRATOR = "integrator"  # the role an API-key caller has in the audit log (not an account role)


class Scope(StrEnum):
    """What an API key may read."""

    CAMERAS_READ = "cameras:read"
    EVENTS_READ = "events:read"
    ALERTS_READ = "alerts:read"
    LIGHTING_READ = "lighting:read"
    PA_READ = "pa:read"
    NODES_READ = "nodes:read"
    COMMANDS_READ = "commands:read"
    METRICS_READ = "metrics:read"


# Path prefix of a route -> the scope a key needs to GET it. The WebSocket stream carries events and alerts.
SCOPE_OF_PATH: tuple[tuple[str, Scope], ...] = (
    ("/api/v1/alerts", Scope.ALERTS_READ),
    ("/api/v1/events", Scope.EVENTS_READ),
    ("/api/v1/stream", Scope.EVENTS_READ),
    ("/api/v1/cameras", Scope.CAMERAS_READ),
    ("/api/v1/clips", Scope.CAMERAS_READ),
    ("/api/v1/lighting", Scope.LIGHTING_READ),
    ("/api/v1/pa", Scope.PA_READ),
    ("/api/v1/nodes", Scope.NODES_READ),
    ("/api/v1/devices", Scope.NODES_READ),
    ("/api/v1/commands", Scope.COMMANDS_READ),
    ("/metrics", Scope.METRICS_READ),
)


def scope_for_path(path: str) -> Scope | None:
    """The scope a key needs to read ``path`` (a route's path template), or None when keys may not use it."""
    for prefix, scope in SCOPE_OF_PATH:
        if path == prefix or path.startswith(prefix + "/"):
            return scope
    return None


def new_key(key_id: int) -> tuple[str, str]:
    """A new key for row ``key_id`` and its secret part."""
    secret = secrets.token_urlsafe(32)
    return f"{KEY_PREFIX}{key_id}_{secret}", secret


def parse_key(key: str) -> tuple[int, str] | None:
    """``(id, secret)`` of a well-formed key, else None."""
    m = _KEY.match(key)
    return (int(m["id"]), m["secret"]) if m else None


def looks_like_key(credential: str | None) -> bool:
    """Whether a bearer credential is an API key rather than a JWT."""
    return bool(credential) and str(credential).startswith(KEY_PREFIX)
