"""Turning an ``onvif://host:port`` camera into the RTSP stream of one of its profiles."""

from __future__ import annotations

from dataclasses import dataclass

from drivers.camera.errors import OnvifProtocolError
from drivers.camera.onvif.client import OnvifClient
from drivers.camera.redact import redact


@dataclass(frozen=True)
class ResolvedOnvif:
    """The stream chosen on an ONVIF device."""

    stream_uri: str
    profile: str
    profile_name: str
    model: str
    snapshot_uri: str | None


async def resolve_onvif(
    url: str, username: str | None, password: str | None, profile: str | None, timeout_s: float = 10.0
) -> ResolvedOnvif:
    """Ask the device for its profiles and the stream URI of ``profile`` (or the first one).

    Raises the camera errors of :mod:`drivers.camera.errors` (auth, unreachable, protocol).
    """
    async with OnvifClient(url, username, password, timeout_s=timeout_s) as client:
        described = await client.describe()
    streams = described.streams
    chosen = next((s for s in streams if s.profile.token == profile or profile is None), None)
    if chosen is None:
        tokens = ", ".join(s.profile.token for s in streams) or "none"
        raise OnvifProtocolError(f"ONVIF {redact(url)}: no profile {profile!r} (profiles: {tokens})")
    return ResolvedOnvif(
        stream_uri=chosen.stream_uri,
        profile=chosen.profile.token,
        profile_name=chosen.profile.name,
        model=f"{described.information.manufacturer} {described.information.model}".strip(),
        snapshot_uri=chosen.snapshot_uri,
    )
