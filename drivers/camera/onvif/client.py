"""An asyncio ONVIF client for what attaching a camera needs: clock, service addresses, device information,
media profiles, stream and snapshot URIs.

Authentication ``auto``: WS-UsernameToken with PasswordDigest, signed with the device's clock (read first, without
credentials, from GetSystemDateAndTime); when the device answers HTTP 401 with a Digest challenge instead, the
client switches to HTTP Digest for the rest of the session. ``wsse``, ``digest`` and ``none`` force one way.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Literal
from xml.etree.ElementTree import Element

import httpx
from pydantic import SecretStr

from drivers.camera.errors import (
    CameraAuthFailed,
    CameraTimeout,
    CameraUnreachable,
    OnvifFault,
    OnvifProtocolError,
)
from drivers.camera.onvif import messages as msg
from drivers.camera.onvif.models import DeviceDescription, DeviceInformation, MediaProfile, ProfileStream
from drivers.camera.onvif.soap import CONTENT_TYPE, envelope, read_envelope, read_fault
from drivers.camera.onvif.wsse import security_header
from drivers.camera.onvif.xml import XmlError
from drivers.camera.redact import register_secret
from drivers.camera.urls import parse_source

log = logging.getLogger(__name__)

AuthMode = Literal["auto", "wsse", "digest", "none"]
DEVICE_PATH = "/onvif/device_service"


def device_service_url(url: str) -> str:
    """``onvif://host:port`` (or ``http(s)://host:port[/path]``) → the device service URL, credentials dropped."""
    source = parse_source(url)
    if source.scheme not in ("onvif", "http", "https"):
        raise ValueError(f"{source}: an ONVIF device is addressed as onvif://host:port or http://host:port/path")
    scheme = "http" if source.scheme == "onvif" else source.scheme
    path = source.path if source.path not in ("", "/") else DEVICE_PATH
    return f"{scheme}://{source.authority()}{path}"


class OnvifClient:
    """Talks to one ONVIF device; use as ``async with OnvifClient(...) as client``."""

    def __init__(
        self,
        url: str,
        username: str | None = None,
        password: str | SecretStr | None = None,
        *,
        auth: AuthMode = "auto",
        timeout_s: float = 5.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        source = parse_source(url, username=username, password=password)
        self.device_url = device_service_url(url)
        self.shown_url = self.device_url
        self.username = source.username
        self._password = source.password.get_secret_value() if source.password else None
        register_secret(self._password)
        self.auth: AuthMode = auth if self.username is not None else "none"
        self.clock_offset = timedelta(0)
        self._http = httpx.AsyncClient(timeout=timeout_s, transport=transport, follow_redirects=False)
        self._digest: httpx.DigestAuth | None = None
        if self.auth == "digest":
            self._digest = httpx.DigestAuth(self.username or "", self._password or "")

    async def __aenter__(self) -> OnvifClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    async def close(self) -> None:
        """Close the HTTP connection pool."""
        await self._http.aclose()

    async def call(self, url: str, op: tuple[str, str], *, authenticate: bool = True) -> Element:
        """Send one operation and return the response element; raises camera errors for every failure."""
        action, body = op
        name = action.rsplit("/", 1)[-1]
        use_wsse = authenticate and self.auth in ("auto", "wsse") and self._digest is None
        header = ""
        if use_wsse and self.username is not None:
            now = datetime.now(UTC) + self.clock_offset
            header = security_header(self.username, self._password or "", now)
        data = envelope(body, header)
        response = await self._post(url, data, action, name, authenticate)
        if response.status_code == 401 and authenticate and self.auth == "auto" and self._digest is None:
            challenge = response.headers.get("www-authenticate", "")
            if challenge.lower().startswith("digest") and self.username is not None:
                log.info("ONVIF %s asks for HTTP Digest; using it from now on", self.shown_url)
                self._digest = httpx.DigestAuth(self.username, self._password or "")
                response = await self._post(url, envelope(body), action, name, authenticate)
        return self._read(response, name)

    async def _post(self, url: str, data: bytes, action: str, name: str, authenticate: bool) -> httpx.Response:
        headers = {"Content-Type": f'{CONTENT_TYPE}; action="{action}"'}
        auth = self._digest if authenticate and self._digest is not None else None
        try:
            if auth is not None:
                return await self._http.post(url, content=data, headers=headers, auth=auth)
            return await self._http.post(url, content=data, headers=headers)
        except httpx.TimeoutException as err:
            raise CameraTimeout(f"ONVIF {name} at {self.shown_url}: no answer in time") from err
        except httpx.TransportError as err:
            raise CameraUnreachable(f"ONVIF {name} at {self.shown_url}: {err}") from err

    def _read(self, response: httpx.Response, name: str) -> Element:
        if response.status_code == 401:
            raise CameraAuthFailed(f"ONVIF {name} at {self.shown_url}: HTTP 401, the device refused the credentials")
        try:
            _, element = read_envelope(response.content)
        except XmlError as err:
            raise OnvifProtocolError(
                f"ONVIF {name} at {self.shown_url}: HTTP {response.status_code}, not a SOAP answer ({err})"
            ) from err
        fault = read_fault(element)
        if fault is not None:
            if fault.not_authorized:
                raise CameraAuthFailed(f"ONVIF {name} at {self.shown_url}: {fault.subcode} {fault.reason}")
            raise OnvifFault(fault.subcode or fault.code, f"ONVIF {name} at {self.shown_url}: {fault.reason}")
        return element

    async def sync_clock(self) -> timedelta:
        """Read the device clock (no credentials needed) and sign later requests with it."""
        element = await self.call(self.device_url, msg.get_system_date_and_time(), authenticate=False)
        device_now = msg.read_system_date_and_time(element)
        if device_now is not None:
            self.clock_offset = device_now - datetime.now(UTC)
        return self.clock_offset

    async def service_addresses(self) -> dict[str, str]:
        """``{namespace: XAddr}``: GetServices, or GetCapabilities on devices without it."""
        try:
            found = msg.read_services(await self.call(self.device_url, msg.get_services()))
        except OnvifFault as err:
            log.info("ONVIF %s: GetServices refused (%s); trying GetCapabilities", self.shown_url, err.code)
            found = {}
        if msg.MEDIA not in found:
            found.update(msg.read_capabilities(await self.call(self.device_url, msg.get_capabilities())))
        return found

    async def device_information(self) -> DeviceInformation:
        """Manufacturer, model, firmware, serial number."""
        return msg.read_device_information(await self.call(self.device_url, msg.get_device_information()))

    async def profiles(self, media_url: str) -> list[MediaProfile]:
        """The media profiles."""
        return msg.read_profiles(await self.call(media_url, msg.get_profiles()))

    async def stream_uri(self, media_url: str, profile_token: str) -> str:
        """The RTSP URI of a profile."""
        uri = msg.read_media_uri(await self.call(media_url, msg.get_stream_uri(profile_token)))
        if not uri:
            raise OnvifProtocolError(f"ONVIF GetStreamUri at {self.shown_url}: no Uri for profile {profile_token!r}")
        return uri

    async def snapshot_uri(self, media_url: str, profile_token: str) -> str | None:
        """The snapshot URI of a profile, or None when the device has none."""
        try:
            return msg.read_media_uri(await self.call(media_url, msg.get_snapshot_uri(profile_token))) or None
        except OnvifFault:
            return None

    async def describe(self) -> DeviceDescription:
        """The whole attach sequence: clock → services → information → profiles → stream/snapshot URIs."""
        try:
            await self.sync_clock()
        except (OnvifFault, OnvifProtocolError) as err:
            log.info("ONVIF %s: no device clock (%s); signing with ours", self.shown_url, err)
        services = await self.service_addresses()
        media_url = services.get(msg.MEDIA)
        if not media_url:
            raise OnvifProtocolError(f"ONVIF {self.shown_url}: the device offers no media service")
        try:
            info = await self.device_information()
        except OnvifFault:
            info = DeviceInformation()
        streams = []
        for profile in await self.profiles(media_url):
            uri = await self.stream_uri(media_url, profile.token)
            streams.append(ProfileStream(profile, uri, await self.snapshot_uri(media_url, profile.token)))
        auth = "none" if self.auth == "none" else ("digest" if self._digest is not None else "wsse")
        return DeviceDescription(
            device_url=self.device_url,
            information=info,
            media_url=media_url,
            streams=streams,
            clock_offset_s=self.clock_offset.total_seconds(),
            auth=auth,
        )
