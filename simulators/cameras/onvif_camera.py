"""A simulated ONVIF (Profile S) camera: device and media services over SOAP 1.2, WS-Discovery, a snapshot URI
and the RTSP camera the stream URIs point at.

Authentication: WS-UsernameToken (PasswordDigest or PasswordText, ``Created`` within 5 minutes of the device
clock, nonces not replayed) or HTTP Digest; GetSystemDateAndTime is open to all, as ONVIF requires. The device
clock can be set off (``clock_offset_s``) to check that clients sign with the device's time.

Run alone: ``python -m simulators camera-onvif --port 8080 --rtsp-port 8554 --user admin --password secret``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import time
import uuid
from collections import OrderedDict
from datetime import UTC, datetime, timedelta

import cv2

from drivers.camera.httpauth import Credentials, check_digest, digest_challenge
from drivers.camera.onvif.soap import CONTENT_TYPE, envelope, fault_body, read_envelope
from drivers.camera.onvif.wsse import read_username_token, verify_username_token
from drivers.camera.onvif.xml import XmlError, local
from simulators.cameras import onvif_responses as resp
from simulators.cameras.discovery_responder import DiscoveryResponder
from simulators.cameras.faults import Fault, FaultSwitch
from simulators.cameras.frames import TestPattern
from simulators.cameras.http import HttpRequest, HttpResponse, HttpServer
from simulators.cameras.loop import LoopThread
from simulators.cameras.rtsp_server import RtspCamera, add_common_arguments, credentials_from, serve_until_signalled
from simulators.cameras.stream import H264Stream

log = logging.getLogger(__name__)
OPEN_OPERATIONS = {"GetSystemDateAndTime"}
DEVICE_OPERATIONS = {"GetSystemDateAndTime", "GetCapabilities", "GetServices", "GetDeviceInformation"}
MEDIA_OPERATIONS = {"GetProfiles", "GetStreamUri", "GetSnapshotUri"}
REALM = "cityedge-onvif"


class OnvifCamera:
    """ONVIF device + RTSP camera + WS-Discovery responder, sharing one fault switch."""

    def __init__(
        self,
        *,
        width: int = 1280,
        height: int = 720,
        fps: float = 25.0,
        name: str = "cityedge-onvif-sim",
        host: str = "127.0.0.1",
        port: int = 0,
        rtsp_port: int = 0,
        discovery_port: int = 0,
        multicast: bool = True,
        credentials: Credentials | None = None,
        auth_modes: tuple[str, ...] = ("wsse", "digest"),
        clock_offset_s: float = 0.0,
        faults: FaultSwitch | None = None,
        identity: resp.DeviceIdentity | None = None,
        source_factory: type[TestPattern] = TestPattern,
    ) -> None:
        self.faults = faults or FaultSwitch()
        self.credentials = credentials
        self.auth_modes = auth_modes
        self.clock_offset = timedelta(seconds=clock_offset_s)
        self.identity = identity or resp.DeviceIdentity(model="SIM-ONVIF-1", serial=name)
        sub_w, sub_h = max(160, width // 2 // 2 * 2), max(120, height // 2 // 2 * 2)
        self.profiles = [
            resp.SimProfile("main", "mainStream", width, height, fps, "/main"),
            resp.SimProfile("sub", "subStream", sub_w, sub_h, fps, "/sub", bitrate_kbps=1000),
        ]
        self._sources = {p.token: source_factory(p.width, p.height, p.fps, name) for p in self.profiles}
        streams = {
            p.rtsp_path: H264Stream(self._sources[p.token], p.width, p.height, p.fps, name=p.token)
            for p in self.profiles
        }
        self.rtsp = RtspCamera(streams, host=host, port=rtsp_port, credentials=credentials, faults=self.faults)
        self._loop = LoopThread("onvif-camera")
        self.http = HttpServer(self._handle, loop=self._loop, host=host, port=port, faults=self.faults)
        self.endpoint = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'cityedge-sim/' + name)}"
        self.discovery = DiscoveryResponder(
            endpoint=self.endpoint,
            xaddrs=lambda: (self.device_url,),
            scopes=(
                "onvif://www.onvif.org/type/video_encoder",
                "onvif://www.onvif.org/Profile/Streaming",
                f"onvif://www.onvif.org/name/{name}",
                "onvif://www.onvif.org/location/city/London",
                f"onvif://www.onvif.org/hardware/{self.identity.model}",
            ),
            host=host,
            unicast_port=discovery_port,
            multicast=multicast,
            faults=self.faults,
        )
        self._nonces: OrderedDict[str, float] = OrderedDict()
        self._digest_nonces: list[str] = []
        self.requests: list[str] = []

    @property
    def host(self) -> str:
        """Listening address."""
        return self.http.host

    @property
    def port(self) -> int:
        """HTTP port of the device service."""
        return self.http.port

    @property
    def device_url(self) -> str:
        """The device service XAddr."""
        return f"http://{self.host}:{self.port}/onvif/device_service"

    @property
    def media_url(self) -> str:
        """The media service XAddr."""
        return f"http://{self.host}:{self.port}/onvif/media_service"

    @property
    def onvif_url(self) -> str:
        """``onvif://host:port`` for cityedge's source configuration."""
        return f"onvif://{self.host}:{self.port}"

    def start(self) -> OnvifCamera:
        """Start RTSP, HTTP and discovery."""
        self.rtsp.start()
        self.http.start()
        self._loop.call(self.discovery.start())
        log.info("onvif camera at %s (discovery unicast port %d)", self.device_url, self.discovery.unicast_port)
        return self

    def stop(self) -> None:
        """Stop everything."""
        with contextlib.suppress(Exception):
            self._loop.call(self.discovery.stop())
        self.http.stop()
        self._loop.stop()
        self.rtsp.stop()

    def __enter__(self) -> OnvifCamera:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- HTTP -------------------------------------------------------------------------------------------------

    def _now(self) -> datetime:
        return datetime.now(UTC) + self.clock_offset

    async def _handle(self, request: HttpRequest, writer: asyncio.StreamWriter) -> HttpResponse | None:
        if request.path == "/onvif/snapshot":
            return await self._snapshot(request)
        if request.path not in ("/onvif/device_service", "/onvif/media_service"):
            return HttpResponse(404, b"no such service")
        if request.method != "POST":
            return HttpResponse(405, b"SOAP wants POST")
        try:
            header, body = read_envelope(request.body)
        except XmlError as err:
            return self._fault(400, "ter:WellFormed", f"not a SOAP envelope: {err}")
        operation = local(body.tag)
        self.requests.append(operation)
        allowed = DEVICE_OPERATIONS if request.path.endswith("device_service") else MEDIA_OPERATIONS
        if operation not in allowed:
            return self._fault(400, "ter:ActionNotSupported", f"{operation} is not supported here", "env:Receiver")
        if operation not in OPEN_OPERATIONS and self.credentials is not None:
            denied = self._authenticate(request, header)
            if denied is not None:
                return denied
        return self._answer(operation, body)

    def _authenticate(self, request: HttpRequest, header: object) -> HttpResponse | None:
        assert self.credentials is not None
        expected = self.credentials
        if Fault.WRONG_PASSWORD in self.faults:
            expected = Credentials(expected.username, "changed-" + uuid.uuid4().hex)
        token = read_username_token(header) if "wsse" in self.auth_modes else None  # type: ignore[arg-type]
        if token is not None:
            fresh = self._remember_nonce(token.nonce.hex())
            if fresh and verify_username_token(token, expected.username, expected.password, self._now()):
                return None
            return self._fault(400, "ter:NotAuthorized", "Sender not authorized")
        authorization = request.headers.get("authorization")
        if "digest" in self.auth_modes and check_digest(
            authorization, expected, realm=REALM, method="POST", nonce_ok=set(self._digest_nonces)
        ):
            return None
        nonce = uuid.uuid4().hex
        self._digest_nonces = [*self._digest_nonces[-63:], nonce]
        response = self._fault(401, "ter:NotAuthorized", "Sender not authorized")
        if "digest" in self.auth_modes:
            response.headers["WWW-Authenticate"] = digest_challenge(REALM, nonce)
        return response

    def _remember_nonce(self, nonce: str) -> bool:
        now = time.monotonic()
        while self._nonces and next(iter(self._nonces.values())) < now - 600:
            self._nonces.popitem(last=False)
        if nonce in self._nonces:
            return False
        self._nonces[nonce] = now
        return True

    def _answer(self, operation: str, body: object) -> HttpResponse:
        token = ""
        for element in body.iter():  # type: ignore[attr-defined]
            if local(element.tag) == "ProfileToken":
                token = (element.text or "").strip()
        profile = next((p for p in self.profiles if p.token == token), None)
        if operation == "GetSystemDateAndTime":
            xml = resp.system_date_and_time(self._now())
        elif operation == "GetCapabilities":
            xml = resp.capabilities(self.device_url, self.media_url)
        elif operation == "GetServices":
            xml = resp.services(self.device_url, self.media_url)
        elif operation == "GetDeviceInformation":
            xml = resp.device_information(self.identity)
        elif operation == "GetProfiles":
            xml = resp.profiles(self.profiles)
        elif profile is None:
            return self._fault(400, "ter:InvalidArgVal", f"no profile {token!r}")
        elif operation == "GetStreamUri":
            xml = resp.media_uri("GetStreamUri", self.rtsp.url(profile.rtsp_path))
        else:
            xml = resp.media_uri("GetSnapshotUri", f"http://{self.host}:{self.port}/onvif/snapshot?profile={token}")
        return HttpResponse(200, envelope(xml), CONTENT_TYPE)

    def _fault(self, status: int, subcode: str, reason: str, code: str = "env:Sender") -> HttpResponse:
        return HttpResponse(status, envelope(fault_body(subcode, reason, code)), CONTENT_TYPE)

    async def _snapshot(self, request: HttpRequest) -> HttpResponse:
        if self.credentials is not None:
            expected = self.credentials
            if Fault.WRONG_PASSWORD in self.faults:
                expected = Credentials(expected.username, "changed-" + uuid.uuid4().hex)
            if not check_digest(
                request.headers.get("authorization"),
                expected,
                realm=REALM,
                method=request.method,
                nonce_ok=set(self._digest_nonces),
            ):
                nonce = uuid.uuid4().hex
                self._digest_nonces = [*self._digest_nonces[-63:], nonce]
                return HttpResponse(
                    401, b"login required", headers={"WWW-Authenticate": digest_challenge(REALM, nonce)}
                )
        token = request.query.get("profile", ["main"])[0]
        source = self._sources.get(token)
        if source is None:
            return HttpResponse(404, b"no such profile")
        ok, jpeg = await asyncio.to_thread(cv2.imencode, ".jpg", source(time.monotonic()))
        return HttpResponse(200, jpeg.tobytes() if ok else b"", "image/jpeg")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """``python -m simulators camera-onvif`` options."""
    add_common_arguments(parser, default_port=8080)
    parser.add_argument("--rtsp-port", type=int, default=8555, help="port of the RTSP server the URIs point at")
    parser.add_argument("--discovery-port", type=int, default=0, help="unicast WS-Discovery port (0: any)")
    parser.add_argument("--no-multicast", action="store_true", help="do not join 239.255.255.250:3702")
    parser.add_argument("--name", default="cityedge-onvif-sim", help="device name (discovery scope)")
    parser.add_argument("--clock-offset", type=float, default=0.0, help="seconds the device clock is off")


def run(args: argparse.Namespace) -> int:
    """Run an ONVIF camera until SIGINT/SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    faults = FaultSwitch()
    camera = OnvifCamera(
        width=args.width,
        height=args.height,
        fps=args.fps,
        name=args.name,
        host=args.host,
        port=args.port,
        rtsp_port=args.rtsp_port,
        discovery_port=args.discovery_port,
        multicast=not args.no_multicast,
        credentials=credentials_from(args),
        clock_offset_s=args.clock_offset,
        faults=faults,
    )
    with contextlib.suppress(KeyboardInterrupt):
        return serve_until_signalled(camera.start, camera.stop, faults, args)
    return 0
