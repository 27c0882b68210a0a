"""What the ONVIF client learns about a device."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class DeviceInformation:
    """GetDeviceInformation."""

    manufacturer: str = ""
    model: str = ""
    firmware: str = ""
    serial: str = ""
    hardware: str = ""


@dataclass(frozen=True)
class MediaProfile:
    """One media profile (GetProfiles) with its video encoder settings when the device reports them."""

    token: str
    name: str
    encoding: str | None = None
    width: int | None = None
    height: int | None = None
    fps_limit: float | None = None
    bitrate_limit_kbps: int | None = None


@dataclass(frozen=True)
class ProfileStream:
    """A profile with the URIs the device gave for it (no credentials in them)."""

    profile: MediaProfile
    stream_uri: str
    snapshot_uri: str | None = None


@dataclass(frozen=True)
class DeviceDescription:
    """Everything :meth:`OnvifClient.describe` found."""

    device_url: str
    information: DeviceInformation
    media_url: str
    streams: list[ProfileStream] = field(default_factory=list)
    clock_offset_s: float = 0.0
    auth: str = "wsse"
    """How the device was authenticated: ``wsse`` (UsernameToken digest), ``digest`` (HTTP) or ``none``."""


@dataclass(frozen=True)
class DiscoveredDevice:
    """One WS-Discovery ProbeMatch."""

    endpoint: str
    """The device's stable WS-Addressing endpoint reference (usually ``urn:uuid:...``)."""
    xaddrs: tuple[str, ...]
    types: tuple[str, ...] = ()
    scopes: tuple[str, ...] = ()
    responder: str = ""
    """``host:port`` the answer came from."""

    @property
    def name(self) -> str | None:
        """The ``onvif://www.onvif.org/name/...`` scope, if any."""
        for scope in self.scopes:
            if "/name/" in scope:
                return scope.rsplit("/name/", 1)[1]
        return None
