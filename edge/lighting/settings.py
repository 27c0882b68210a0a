"""Config sections of the lighting service beyond street lights: DALI gateways, gear references, reconciliation.

A zone lists its DALI gear as ``"GATEWAY/LINE/SHORTS"``: ``"guildhall/0/0-63"`` is every short address 0..63
on line 0 of gateway ``guildhall``, ``"guildhall/1/7"`` one gear. Each gear becomes a ``luminaire`` device named
``GATEWAY-lLINE-gSHORT`` (``guildhall-l1-g07``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,55}$")]
_GEAR_REF = re.compile(
    r"^(?P<gw>[A-Za-z0-9][A-Za-z0-9_.-]{0,55})/(?P<line>\d{1,2})/(?P<a>\d{1,2})(?:-(?P<b>\d{1,2}))?$"
)


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True, slots=True, order=True)
class GearRef:
    """One DALI control gear: gateway id, line, short address."""

    gateway: str
    line: int
    short: int

    @property
    def device_id(self) -> str:
        """The luminaire device id of this gear."""
        return f"{self.gateway}-l{self.line}-g{self.short:02d}"

    def __str__(self) -> str:
        return f"{self.gateway}/{self.line}/{self.short}"


def parse_gear_refs(items: list[str]) -> list[GearRef]:
    """Expand ``"GATEWAY/LINE/A-B"`` items; raise ValueError naming the first bad one."""
    out: list[GearRef] = []
    for item in items:
        m = _GEAR_REF.match(item)
        if not m:
            raise ValueError(f"DALI gear {item!r} is not GATEWAY/LINE/SHORT or GATEWAY/LINE/FIRST-LAST")
        a = int(m["a"])
        b = int(m["b"]) if m["b"] is not None else a
        if not 0 <= a <= b <= 63:
            raise ValueError(f"DALI gear {item!r}: short addresses run 0-63, first <= last")
        out.extend(GearRef(m["gw"], int(m["line"]), s) for s in range(a, b + 1))
    return out


class DaliGatewaySettings(_Section):
    """A Lunatone LUBA RS-232 DALI gateway and how the edge polls its lines."""

    id: Id = Field(description="Gateway id, used in gear references and device ids (e.g. guildhall).")
    url: str = Field(description="pyserial URL of the gateway: /dev/ttyUSB0, socket://host:port, rfc2217://...")
    lines: int = Field(default=1, ge=1, le=16, description="DALI lines (buses) on the gateway.")
    label: str = Field(default="", max_length=200, description="Name shown to operators.")
    location: str | None = Field(default=None, max_length=200, description="Where the gateway is, for alerts.")
    rated_w: float = Field(default=40.0, gt=0, le=2000, description="Rated power of one luminaire (energy estimate).")
    fade_s: float = Field(
        default=0.0, ge=0, le=90, description="Fade time stored in the gear; read-back waits this long."
    )
    poll_interval_s: float = Field(
        default=10.0, gt=0, le=3600, description="A full QUERY STATUS/ACTUAL LEVEL sweep of a line at most this often."
    )
    offline_after: int = Field(
        default=2, ge=1, le=10, description="Unanswered polls in a row before a gear counts as offline."
    )
    window: int = Field(default=8, ge=1, le=16, description="Frames per line waiting in the gateway's buffer.")

    @field_validator("url")
    @classmethod
    def _no_credentials(cls, v: str) -> str:
        if re.match(r"^[a-z][a-z0-9+.-]*://[^/@\s]+@", v, re.IGNORECASE):
            raise ValueError("must not carry credentials")
        return v


class ReconcileSettings(_Section):
    """Commanded vs reported: how hard the edge tries before it names the luminaires that do not follow."""

    retries: int = Field(default=2, ge=0, le=10, description="Individual re-sends per luminaire per round.")
    retry_delay_s: float = Field(default=1.0, ge=0, le=60, description="Pause before each re-send.")
    interval_s: float = Field(
        default=60.0, gt=0, le=3600, description="A check of every zone at least this often (a new round)."
    )


class EnergySettings(_Section):
    """Energy accounting per zone and day."""

    report_interval_s: float = Field(
        default=900.0, gt=0, le=86_400, description="How often today's figure per zone is sent as an event."
    )
    keep_days: int = Field(default=62, ge=2, le=3660, description="Days of per-zone figures kept on the edge.")
