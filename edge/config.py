"""Edge node configuration: one TOML file validated by pydantic; unknown keys are errors.

Secrets never sit in the file: they come from an environment variable or a file named in the config.
"""

from __future__ import annotations

import os
import tomllib
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator, model_validator

from drivers.ids import expand_ids
from edge.contract.lighting_schedule import ScheduleConfig
from edge.contract.payloads import describe_validation_error
from edge.errors import ConfigError
from edge.lighting.settings import DaliGatewaySettings, EnergySettings, GearRef, ReconcileSettings, parse_gear_refs
from edge.pa.config import PaSettings
from edge.services.loadgen import LoadgenSettings
from edge.video.settings import VideoSettings

Id = Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")]


class Strict(BaseModel):
    """Base of every config section: unknown keys are rejected."""

    model_config = ConfigDict(extra="forbid")


class SecretRef(Strict):
    """Where a secret comes from. Exactly one of ``env`` or ``file``."""

    env: str | None = Field(default=None, description="Name of the environment variable holding the secret.")
    file: Path | None = Field(default=None, description="Path of a file whose content (stripped) is the secret.")

    @model_validator(mode="after")
    def _one_source(self) -> SecretRef:
        if (self.env is None) == (self.file is None):
            raise ValueError("give exactly one of 'env' or 'file'")
        return self

    def resolve(self) -> SecretStr:
        """Read the secret now; raise ConfigError naming the source (never the value) if it is missing."""
        if self.env is not None:
            value = os.environ.get(self.env)
            if value is None:
                raise ConfigError(f"secret environment variable {self.env} is not set")
            return SecretStr(value)
        assert self.file is not None
        try:
            return SecretStr(self.file.read_text().strip())
        except OSError as err:
            raise ConfigError(f"cannot read secret file {self.file}: {err.strerror}") from err


def _check_mqtt_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("mqtt", "mqtts") or not parts.hostname:
        raise ValueError("must look like mqtt://host:port or mqtts://host:port")
    if parts.username or parts.password:
        raise ValueError("must not carry credentials; use 'username' and 'password' instead")
    return url


class MqttSettings(Strict):
    """Connection to the JCCR broker that carries the contract."""

    url: str = Field(description="Broker URL, mqtt://host:port (mqtts:// for TLS).")
    username: str | None = Field(default=None, description="MQTT username, when the broker requires one.")
    password: SecretRef | None = Field(default=None, description="Where the MQTT password comes from.")
    keepalive_s: int = Field(
        default=15, ge=5, le=600, description="MQTT keep-alive; a dead link is noticed in 1.5 times that."
    )
    session_expiry_s: int = Field(
        default=3600, ge=0, description="How long the broker keeps this node's session (queued commands) offline."
    )
    reconnect_min_s: float = Field(default=0.5, gt=0, description="First reconnect delay.")
    reconnect_max_s: float = Field(default=30.0, gt=0, description="Cap of the exponential reconnect delay.")
    control_room_host: Id = Field(
        default="jccr", description="Control-room host answered when a command names no MQTT 5 response topic."
    )

    _url = field_validator("url")(_check_mqtt_url)


class OutboxSettings(Strict):
    """The on-disk queue of events and command responses."""

    max_rows: int = Field(default=1_000_000, ge=100, description="Undelivered rows kept before the drop policy.")
    keep_delivered: int = Field(
        default=100_000, ge=0, description="Delivered events kept so the control room can ask for a replay."
    )
    inflight: int = Field(default=200, ge=1, le=10_000, description="Publishes awaiting PUBACK at once.")
    replay_rate: float = Field(
        default=2000.0, gt=0, description="Messages per second when replaying a backlog after a reconnect."
    )
    synchronous: Literal["normal", "full"] = Field(
        default="normal",
        description="SQLite durability: 'normal' survives a process crash; 'full' also a power cut (slower).",
    )


class MetricsSettings(Strict):
    """Prometheus metrics endpoint."""

    listen: str | None = Field(
        default="127.0.0.1:0", description="host:port for /metrics (port 0 picks one); null disables it."
    )


class StreetlightGroup(Strict):
    """A street-light group topic (``streetlights/v1/groups/{id}/set``) and the nodes subscribed to it."""

    id: Id = Field(description="Group id.")
    nodes: list[str] = Field(description="Member node ids; ranges like 'sl-0001..sl-0040' allowed.")

    @field_validator("nodes")
    @classmethod
    def _expand(cls, v: list[str]) -> list[str]:
        return expand_ids(v)


class StreetlightSettings(Strict):
    """The site broker where column-mounted street-light controllers live."""

    url: str = Field(description="Site broker URL, mqtt://host:port.")
    username: str | None = Field(default=None, description="MQTT username on the site broker.")
    password: SecretRef | None = Field(default=None, description="Where the site broker password comes from.")
    ack_timeout_s: float = Field(default=5.0, gt=0, le=120, description="How long to wait for nodes to confirm.")
    groups: list[StreetlightGroup] = Field(
        default_factory=list, description="Group topics the nodes subscribe to besides their zone's (fewer messages)."
    )

    _url = field_validator("url")(_check_mqtt_url)


class LightingZone(Strict):
    """A lighting zone: street-light nodes and/or DALI gear commanded together."""

    id: Id = Field(description="Zone id, unique across the city (e.g. cheapside, london-bridge).")
    label: str = Field(default="", description="Name shown to operators.")
    location: str | None = Field(default=None, description="Location label for alerts.")
    group: Id | None = Field(
        default=None, description="Street-light group topic all of the zone's nodes subscribe to (one message)."
    )
    nodes: list[str] = Field(
        default_factory=list, description="Street-light node ids; ranges like 'sl-0001..sl-0040' allowed."
    )

    @field_validator("nodes")
    @classmethod
    def _expand(cls, v: list[str]) -> list[str]:
        ids = expand_ids(v)
        if len(set(ids)) != len(ids):
            raise ValueError("a node is listed twice")
        return ids

    dali: list[str] = Field(
        default_factory=list, description="DALI gear as 'GATEWAY/LINE/SHORT' or 'GATEWAY/LINE/FIRST-LAST'."
    )

    @field_validator("dali")
    @classmethod
    def _gear(cls, v: list[str]) -> list[str]:
        refs = parse_gear_refs(v)
        if len(set(refs)) != len(refs):
            raise ValueError("a DALI gear is listed twice")
        return v

    @property
    def gear(self) -> list[GearRef]:
        """The zone's DALI gear, expanded."""
        return parse_gear_refs(self.dali)


class LightingSettings(Strict):
    """Lighting service."""

    streetlights: StreetlightSettings | None = Field(default=None, description="MQTT street-light nodes.")
    dali: list[DaliGatewaySettings] = Field(default_factory=list, description="DALI gateways (LUBA RS-232).")
    zones: list[LightingZone] = Field(default_factory=list, description="Lighting zones.")
    schedule: ScheduleConfig | None = Field(
        default=None, description="Dimming profiles, calendars and which zone follows which (replaceable remotely)."
    )
    reconcile: ReconcileSettings = Field(default_factory=ReconcileSettings, description="Commanded vs reported.")
    energy: EnergySettings = Field(default_factory=EnergySettings, description="Energy accounting.")

    @model_validator(mode="after")
    def _unique(self) -> LightingSettings:
        ids = [z.id for z in self.zones]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"zone ids must be unique: {', '.join(dupes)}")
        if any(z.nodes for z in self.zones) and self.streetlights is None:
            raise ValueError("zones with street-light nodes need a [lighting.streetlights] broker")
        gateways = {g.id: g for g in self.dali}
        if len(gateways) != len(self.dali):
            raise ValueError("DALI gateway ids must be unique")
        seen: dict[GearRef, str] = {}
        for zone in self.zones:
            for ref in zone.gear:
                gw = gateways.get(ref.gateway)
                if gw is None:
                    raise ValueError(f"zone {zone.id}: no DALI gateway {ref.gateway!r} in [[lighting.dali]]")
                if ref.line >= gw.lines:
                    raise ValueError(f"zone {zone.id}: gateway {gw.id} has lines 0-{gw.lines - 1}, not {ref.line}")
                if ref in seen:
                    raise ValueError(f"DALI gear {ref} is in zones {seen[ref]} and {zone.id}")
                seen[ref] = zone.id
        nodes: dict[str, str] = {}
        for zone in self.zones:
            for node in zone.nodes:
                if node in nodes:
                    raise ValueError(f"street-light node {node} is in zones {nodes[node]} and {zone.id}")
                nodes[node] = zone.id
        if self.schedule is not None:
            unknown = sorted(set(self.schedule.zones) - set(ids))
            if unknown:
                raise ValueError(f"schedule names unknown zone(s): {', '.join(unknown)}")
        return self


class CameraEntry(Strict):
    """One camera attached by configuration (cameras added with ``POST /api/v1/cameras`` are kept by the node)."""

    id: Id = Field(description="Camera device id, unique on the node.")
    url: str = Field(
        description="rtsp://, rtsps://, http(s):// (MJPEG), onvif://host:port, or a file path; no credentials in it."
    )
    username: str | None = Field(default=None, description="Login name at the camera.")
    password: SecretRef | None = Field(default=None, description="Where the camera password comes from.")
    profile: str | None = Field(default=None, description="ONVIF profile token (default: the device's first).")
    label: str = Field(default="", description="Name shown to operators.")
    location: str | None = Field(default=None, description="Location label for alerts.")
    stall_timeout_s: float | None = Field(
        default=None, gt=0, description="No frame for this long raises camera_stall; default max(2 s, 3 frames)."
    )

    @field_validator("url")
    @classmethod
    def _no_inline_credentials(cls, v: str) -> str:
        from edge.contract.cctv import AddCameraArgs

        AddCameraArgs.model_validate({"id": "x", "url": v})  # same rule as the API: credentials apart
        return v


class LiveViewSettings(Strict):
    """ZeroMQ live view: the control room subscribes here while someone watches a camera."""

    bind: str = Field(default="127.0.0.1:0", description="host:port the live XPUB socket binds (port 0: any free).")
    advertise: str | None = Field(
        default=None, description="Endpoint the control room connects to, tcp://host:port; default from 'bind'."
    )
    max_fps: float = Field(default=10.0, gt=0, le=60, description="Live JPEG frames per second per camera, at most.")
    max_width: int = Field(default=1280, ge=160, le=7680, description="Live frames are scaled down to this width.")
    quality: int = Field(default=80, ge=10, le=100, description="JPEG quality of live frames.")


class CctvSettings(Strict):
    """CCTV service."""

    cameras: list[CameraEntry] = Field(default_factory=list, description="Cameras attached by configuration.")
    live: LiveViewSettings = Field(default_factory=LiveViewSettings, description="Live view over ZeroMQ.")
    state_interval_s: float = Field(
        default=5.0, gt=0, le=300, description="Camera health is republished at least this often (and on changes)."
    )

    @model_validator(mode="after")
    def _unique(self) -> CctvSettings:
        ids = [c.id for c in self.cameras]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"camera ids must be unique: {', '.join(dupes)}")
        return self


class NodeSettings(Strict):
    """Identity and storage of this edge node."""

    id: Id = Field(description="Node id, unique in the city; it names the node's MQTT topics.")
    data_dir: Path = Field(description="Where the outbox and command dedupe store live.")
    label: str = Field(default="", description="Human-readable site name.")


class EdgeConfig(Strict):
    """The whole edge node configuration file."""

    node: NodeSettings = Field(description="This node.")
    mqtt: MqttSettings = Field(description="The JCCR broker.")
    outbox: OutboxSettings = Field(default_factory=OutboxSettings, description="Event outbox.")
    metrics: MetricsSettings = Field(default_factory=MetricsSettings, description="Prometheus metrics.")
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info", description="Log level.")
    lighting: LightingSettings | None = Field(default=None, description="Lighting service; absent disables it.")
    pa: PaSettings | None = Field(default=None, description="Public-address head-end; absent disables it.")
    loadgen: LoadgenSettings | None = Field(
        default=None, description="Synthetic event source for soak tests and benchmarks; absent disables it."
    )
    cctv: CctvSettings | None = Field(default=None, description="CCTV service; absent disables it.")
    video: VideoSettings | None = Field(
        default=None, description="CCTV analytics and recording on the frame rings; absent disables them."
    )


def load_config(path: Path) -> EdgeConfig:
    """Read and validate a TOML config, raising :class:`ConfigError` that names the file and the bad key."""
    try:
        raw = tomllib.loads(path.read_text())
    except OSError as err:
        raise ConfigError(f"{path}: cannot read config ({err.strerror})") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(f"{path}: not valid TOML ({err})") from err
    return parse_config(raw, source=str(path))


def parse_config(raw: dict[str, object], source: str = "config") -> EdgeConfig:
    """Validate an already-parsed config mapping."""
    try:
        return EdgeConfig.model_validate(raw)
    except ValidationError as err:
        raise ConfigError(f"{source}: {describe_validation_error(err)}") from err
