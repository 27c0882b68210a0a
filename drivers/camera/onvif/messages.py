"""ONVIF device and media service messages: request bodies and tolerant response readers, no I/O.

Readers look elements up by local name, so a device that uses other prefixes, or adds or omits optional parts,
still reads; only what cityedge uses is taken.
"""

from __future__ import annotations

from datetime import UTC, datetime
from xml.etree.ElementTree import Element

from drivers.camera.onvif.models import DeviceInformation, MediaProfile
from drivers.camera.onvif.xml import NS, children, escape, find, text

DEVICE = NS["tds"]
MEDIA = NS["trt"]
MEDIA2 = NS["tr2"]


def action(namespace: str, operation: str) -> str:
    """The SOAP action URI of an operation (``{namespace}/{operation}``)."""
    return f"{namespace}/{operation}"


def get_system_date_and_time() -> tuple[str, str]:
    """``(action, body)`` of GetSystemDateAndTime (allowed without authentication)."""
    return action(DEVICE, "GetSystemDateAndTime"), "<tds:GetSystemDateAndTime/>"


def get_services() -> tuple[str, str]:
    """GetServices without capabilities."""
    return action(
        DEVICE, "GetServices"
    ), "<tds:GetServices><tds:IncludeCapability>false</tds:IncludeCapability></tds:GetServices>"


def get_capabilities() -> tuple[str, str]:
    """GetCapabilities, category All (for devices older than GetServices)."""
    return action(
        DEVICE, "GetCapabilities"
    ), "<tds:GetCapabilities><tds:Category>All</tds:Category></tds:GetCapabilities>"


def get_device_information() -> tuple[str, str]:
    """GetDeviceInformation."""
    return action(DEVICE, "GetDeviceInformation"), "<tds:GetDeviceInformation/>"


def get_profiles() -> tuple[str, str]:
    """Media GetProfiles."""
    return action(MEDIA, "GetProfiles"), "<trt:GetProfiles/>"


def get_stream_uri(profile_token: str) -> tuple[str, str]:
    """Media GetStreamUri for RTP over RTSP (unicast; interleaved TCP is the client's choice at SETUP)."""
    body = (
        "<trt:GetStreamUri><trt:StreamSetup><tt:Stream>RTP-Unicast</tt:Stream>"
        "<tt:Transport><tt:Protocol>RTSP</tt:Protocol></tt:Transport></trt:StreamSetup>"
        f"<trt:ProfileToken>{escape(profile_token)}</trt:ProfileToken></trt:GetStreamUri>"
    )
    return action(MEDIA, "GetStreamUri"), body


def get_snapshot_uri(profile_token: str) -> tuple[str, str]:
    """Media GetSnapshotUri."""
    body = f"<trt:GetSnapshotUri><trt:ProfileToken>{escape(profile_token)}</trt:ProfileToken></trt:GetSnapshotUri>"
    return action(MEDIA, "GetSnapshotUri"), body


def read_system_date_and_time(response: Element) -> datetime | None:
    """The device's UTC clock from GetSystemDateAndTimeResponse, or None when it gives none."""
    utc = find(response, "SystemDateAndTime", "UTCDateTime")
    if utc is None:
        return None
    try:
        return datetime(
            int(text(utc, "Date", "Year")),
            int(text(utc, "Date", "Month")),
            int(text(utc, "Date", "Day")),
            int(text(utc, "Time", "Hour")),
            int(text(utc, "Time", "Minute")),
            int(text(utc, "Time", "Second")),
            tzinfo=UTC,
        )
    except ValueError:
        return None


def read_services(response: Element) -> dict[str, str]:
    """``{namespace: XAddr}`` from GetServicesResponse."""
    out: dict[str, str] = {}
    for service in children(response, "Service"):
        namespace, xaddr = text(service, "Namespace"), text(service, "XAddr")
        if namespace and xaddr:
            out[namespace] = xaddr
    return out


def read_capabilities(response: Element) -> dict[str, str]:
    """``{namespace: XAddr}`` from GetCapabilitiesResponse (Device and Media)."""
    caps = find(response, "Capabilities")
    out: dict[str, str] = {}
    for name, namespace in (("Device", DEVICE), ("Media", MEDIA)):
        xaddr = text(caps, name, "XAddr")
        if xaddr:
            out[namespace] = xaddr
    return out


def read_device_information(response: Element) -> DeviceInformation:
    """GetDeviceInformationResponse."""
    return DeviceInformation(
        manufacturer=text(response, "Manufacturer"),
        model=text(response, "Model"),
        firmware=text(response, "FirmwareVersion"),
        serial=text(response, "SerialNumber"),
        hardware=text(response, "HardwareId"),
    )


def _number(element: Element | None, *path: str) -> float | None:
    value = text(element, *path)
    try:
        return float(value) if value else None
    except ValueError:
        return None


def read_profiles(response: Element) -> list[MediaProfile]:
    """Profiles from GetProfilesResponse, with video encoder settings when present."""
    profiles = []
    for p in children(response, "Profiles"):
        encoder = find(p, "VideoEncoderConfiguration")
        width = _number(encoder, "Resolution", "Width")
        height = _number(encoder, "Resolution", "Height")
        bitrate = _number(encoder, "RateControl", "BitrateLimit")
        profiles.append(
            MediaProfile(
                token=p.get("token", ""),
                name=text(p, "Name"),
                encoding=text(encoder, "Encoding") or None,
                width=int(width) if width else None,
                height=int(height) if height else None,
                fps_limit=_number(encoder, "RateControl", "FrameRateLimit"),
                bitrate_limit_kbps=int(bitrate) if bitrate else None,
            )
        )
    return [p for p in profiles if p.token]


def read_media_uri(response: Element) -> str:
    """The URI in GetStreamUriResponse / GetSnapshotUriResponse (empty when missing)."""
    return text(response, "MediaUri", "Uri")
