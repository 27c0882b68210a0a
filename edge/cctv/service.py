"""The CCTV edge service: the node's cameras (from the config file and from ``add_camera``) and the live proxy.

Devices: one ``camera`` per camera (state: :class:`edge.contract.cctv.CameraHealth`; alerts: the four
conditions) and the ``cameras`` manager, whose ``add_camera`` attaches a camera (or replaces one added earlier)
without a restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from drivers.camera.errors import CameraAuthFailed, CameraError
from drivers.camera.redact import redact
from drivers.camera.urls import parse_source
from edge.cctv.camera import CameraSpec, ManagedCamera, worker_config
from edge.cctv.camera_store import CameraStore
from edge.cctv.live_proxy import LiveProxy
from edge.cctv.onvif_resolve import resolve_onvif
from edge.config import CameraEntry, CctvSettings
from edge.contract.cctv import ADD_CAMERA, CAMERA_MANAGER, CAMERAS_DEVICE, AddCameraArgs, LinkState
from edge.contract.payloads import Command, DeviceDescription
from edge.errors import CommandFailed, CommandRejected, ConfigError
from edge.services.base import CommandOutcome, EdgeService, Progress, ServiceContext, parse_args
from edge.video.sink import NullSink, SinkFactory
from edge.video.worker_process import LiveSpec

STORE_FILE = "cctv-cameras.json"


def spec_from_entry(entry: CameraEntry) -> CameraSpec:
    """A camera of the config file, its password read from where the config says."""
    password = entry.password.resolve().get_secret_value() if entry.password else None
    return CameraSpec(
        id=entry.id,
        url=entry.url,
        username=entry.username,
        password=password,
        profile=entry.profile,
        label=entry.label,
        location=entry.location,
        stall_timeout_s=entry.stall_timeout_s,
        origin="config",
    )


def spec_from_args(args: AddCameraArgs) -> CameraSpec:
    """A camera added with ``add_camera``."""
    return CameraSpec(
        id=args.id,
        url=args.url,
        username=args.username,
        password=args.password,
        profile=args.profile,
        label=args.label,
        location=args.location,
        origin="api",
    )


class CctvService(EdgeService):
    """Owns the node's cameras and their live view."""

    name = "cctv"

    def __init__(
        self,
        ctx: ServiceContext,
        settings: CctvSettings,
        sink_factory: SinkFactory = NullSink,
        sink_for: Callable[[str], SinkFactory] | None = None,
    ) -> None:
        super().__init__(ctx)
        logging.getLogger("httpx").setLevel(logging.WARNING)  # one INFO line per ONVIF request is noise
        self.settings = settings
        self.sink_factory = sink_factory
        self.sink_for = sink_for
        """Per-camera sinks (the frame rings of the cameras the video service analyses), else ``sink_factory``."""
        self.store = CameraStore(ctx.data_dir / STORE_FILE)
        self.added: dict[str, AddCameraArgs] = {a.id: a for a in self.store.load()}
        self.config_ids = {c.id for c in settings.cameras}
        self.proxy: LiveProxy | None = None
        self.cameras: dict[str, ManagedCamera] = {}
        self._specs: dict[str, CameraSpec] = {}
        for entry in settings.cameras:
            try:
                self._specs[entry.id] = spec_from_entry(entry)
            except ConfigError as err:
                self.log.error("camera %s is not started: %s", entry.id, err)
        for args in self.added.values():
            if args.id in self.config_ids:
                self.log.error("camera %s added at run time clashes with the config file; the config wins", args.id)
            else:
                self._specs[args.id] = spec_from_args(args)

    # devices -------------------------------------------------------------------------------------------------
    def devices(self) -> list[DeviceDescription]:
        manager = DeviceDescription(
            id=CAMERAS_DEVICE,
            kind=CAMERA_MANAGER,
            label="Cameras",
            commands=[ADD_CAMERA],
            capabilities={"schemes": ["rtsp", "rtsps", "http", "https", "onvif", "file"]},
        )
        return [manager, *(self._camera(spec).description() for spec in self._specs.values())]

    def _camera(self, spec: CameraSpec) -> ManagedCamera:
        camera = self.cameras.get(spec.id)
        if camera is None or camera.spec is not spec:
            live = self.settings.live
            camera = ManagedCamera(
                spec,
                self.ctx,
                LiveSpec(self.proxy.worker_endpoint, live.max_fps, live.max_width, live.quality)
                if self.proxy
                else None,
                self.proxy.endpoint if self.proxy else None,
                self.sink_for(spec.id) if self.sink_for else self.sink_factory,
                self.settings.state_interval_s,
                on_described=lambda d: self.ctx.add_device(self, d),
            )
            self.cameras[spec.id] = camera
        return camera

    # lifecycle -----------------------------------------------------------------------------------------------
    async def start(self) -> None:
        live = self.settings.live
        self.proxy = LiveProxy(live.bind, live.advertise)
        self.proxy.start()
        self.cameras.clear()  # rebuilt with the live endpoints now known
        for spec in self._specs.values():
            camera = self._camera(spec)
            self.ctx.add_device(self, camera.description())
            camera.start()

    async def stop(self) -> None:
        await asyncio.gather(*(c.stop() for c in self.cameras.values()), return_exceptions=True)
        if self.proxy is not None:
            self.proxy.stop()
            self.proxy = None

    def health(self) -> dict[str, Any]:
        states = [c.health for c in self.cameras.values()]
        streaming = sum(1 for h in states if h.state is LinkState.STREAMING)
        problems = sum(1 for h in states if h.conditions)
        return {
            "status": "ok" if not problems else "degraded",
            "cameras": len(states),
            "streaming": streaming,
            "with_conditions": problems,
            "live_endpoint": self.proxy.endpoint if self.proxy else None,
        }

    # commands ------------------------------------------------------------------------------------------------
    def validate(self, device: str, command: Command) -> None:
        if device != CAMERAS_DEVICE or command.action != ADD_CAMERA:
            raise CommandRejected("unknown_action", f"{device} does not accept {command.action}")
        args = parse_args(AddCameraArgs, command)
        if args.id in self.config_ids or args.id == CAMERAS_DEVICE:
            raise CommandRejected("id_taken", f"camera id {args.id} belongs to the node's config file")
        if parse_source(args.url).scheme != "onvif":
            try:
                worker_config(spec_from_args(args), args.url)
            except (ValueError, CameraError) as err:
                raise CommandRejected("invalid_args", f"add_camera: {redact(str(err))}") from err

    async def execute(self, device: str, command: Command, progress: Progress) -> CommandOutcome:
        self.validate(device, command)
        args = parse_args(AddCameraArgs, command)
        spec = spec_from_args(args)
        source = redact(parse_source(args.url).address)
        if parse_source(args.url).scheme == "onvif":
            progress("resolving", "asking the ONVIF device for its stream")
            try:
                found = await resolve_onvif(args.url, args.username, args.password, args.profile)
            except CameraError as err:
                code = "camera_auth_failed" if isinstance(err, CameraAuthFailed) else "camera_unreachable"
                raise CommandFailed(code, f"add_camera {args.id}: {err}") from err
            source = f"{source} (profile {found.profile}: {redact(found.stream_uri)})"
        if command.mode == "test":
            return CommandOutcome(f"camera {args.id} at {source} would be attached (test mode: nothing changed)")
        old = self.cameras.pop(args.id, None)
        if old is not None:
            await old.stop()
        self.added[args.id] = args
        self.store.save(list(self.added.values()))
        self._specs[args.id] = spec
        camera = self._camera(spec)
        self.ctx.add_device(self, camera.description())
        camera.start()
        self.ctx.emit_event(
            CAMERAS_DEVICE, "camera.added", {"camera": args.id, "source": source, "by": command.issued_by}
        )
        verb = "replaced" if old is not None else "attached"
        return CommandOutcome(f"camera {args.id} {verb}: {source}", state_after={"camera": args.id, "source": source})
