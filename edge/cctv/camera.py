"""One camera on the edge: resolves its source (ONVIF → RTSP), runs its worker process, publishes its health as
device state, and turns its conditions into alerts (with the latest picture attached)."""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pydantic import SecretStr, ValidationError

from drivers.camera.errors import CameraAuthFailed, CameraError
from drivers.camera.redact import redact, register_secret
from drivers.camera.urls import parse_source
from edge.cctv.onvif_resolve import resolve_onvif
from edge.contract.cctv import CAMERA, CameraHealth, Condition, LinkState, live_topic
from edge.contract.payloads import Alert, DeviceDescription, Severity, describe_validation_error
from edge.services.base import ServiceContext
from edge.video.backoff import Backoff
from edge.video.camera_config import CameraConfig
from edge.video.sink import SinkFactory
from edge.video.worker import CameraWorker
from edge.video.worker_health import ConditionChange
from edge.video.worker_process import LiveSpec

log = logging.getLogger("edge.cctv")

SEVERITY = {
    Condition.STALL: Severity.MAJOR,
    Condition.OFFLINE: Severity.MAJOR,
    Condition.AUTH_FAILED: Severity.MAJOR,
    Condition.DECODE_ERRORS: Severity.MINOR,
}
MAX_SNAPSHOT_BYTES = 256 * 1024


@dataclass(frozen=True)
class CameraSpec:
    """What a camera is, wherever it came from (config file or ``add_camera``)."""

    id: str
    url: str
    username: str | None = None
    password: str | None = None
    profile: str | None = None
    label: str = ""
    location: str | None = None
    stall_timeout_s: float | None = None
    origin: str = "config"

    def __repr__(self) -> str:
        return f"CameraSpec(id={self.id!r}, url={redact(self.url)!r}, origin={self.origin!r})"


def worker_config(spec: CameraSpec, url: str) -> CameraConfig:
    """The worker's configuration for ``spec`` streaming from ``url``; raises ValueError naming the problem."""
    try:
        return CameraConfig(
            id=spec.id,
            url=url,
            username=spec.username,
            password=SecretStr(spec.password) if spec.password is not None else None,
            label=spec.label,
            location=spec.location,
            stall_timeout_s=spec.stall_timeout_s,
        )
    except ValidationError as err:
        raise ValueError(describe_validation_error(err)) from err


class ManagedCamera:
    """Runs on the edge's event loop; the worker's callbacks are handed to it thread-safely."""

    def __init__(
        self,
        spec: CameraSpec,
        ctx: ServiceContext,
        live: LiveSpec | None,
        live_endpoint: str | None,
        sink_factory: SinkFactory,
        state_interval_s: float,
        on_described: Callable[[DeviceDescription], None],
    ) -> None:
        self.spec, self.ctx, self.live, self.live_endpoint = spec, ctx, live, live_endpoint
        self.on_described = on_described
        self.sink_factory, self.state_interval_s = sink_factory, state_interval_s
        register_secret(spec.password)
        self.worker: CameraWorker | None = None
        self.onvif: dict[str, Any] | None = None
        self.health = CameraHealth(state=LinkState.STARTING)
        self._published_at = 0.0
        self._published: tuple[Any, ...] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    @property
    def id(self) -> str:
        """Device id."""
        return self.spec.id

    def description(self) -> DeviceDescription:
        """The camera device for the node's birth message: no credentials anywhere in it."""
        source = parse_source(self.spec.url)
        capabilities: dict[str, Any] = {"source": redact(source.address), "source_kind": source.scheme}
        if self.live_endpoint:
            capabilities["live"] = {"endpoint": self.live_endpoint, "topic": live_topic(self.id).decode().rstrip("\0")}
        if self.onvif:
            capabilities["onvif"] = self.onvif
        return DeviceDescription(
            id=self.id,
            kind=CAMERA,
            label=self.spec.label or self.id,
            location=self.spec.location,
            capabilities=capabilities,
        )

    def start(self) -> None:
        """Begin attaching the camera (in the background: an unreachable camera never blocks the node)."""
        self._loop = asyncio.get_running_loop()
        self._publish(force=True)
        self._task = asyncio.create_task(self._attach(), name=f"camera-{self.id}")

    async def stop(self) -> None:
        """Stop attaching and the worker process."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self.worker is not None:
            await asyncio.to_thread(self.worker.stop)
            self.worker = None

    async def _attach(self) -> None:
        url = self.spec.url
        if parse_source(url).scheme == "onvif":
            url = await self._resolve_onvif()
        try:
            config = worker_config(self.spec, url)
        except ValueError as err:
            log.error("camera %s cannot start: %s", self.id, redact(str(err)))
            self.health = CameraHealth(state=LinkState.STOPPED, last_error=redact(str(err)))
            self._publish(force=True)
            return
        self.worker = CameraWorker(
            config,
            self.sink_factory,
            on_condition=self._threadsafe(self._on_condition),
            on_health=self._threadsafe(self._on_health),
            live=self.live,
        )
        await asyncio.to_thread(self.worker.start)

    async def _resolve_onvif(self) -> str:
        """The RTSP URL of the chosen profile; keeps trying (raising offline/auth alerts) until it gets one."""
        backoff = Backoff(1.0, 60.0)
        condition: Condition | None = None
        while True:
            try:
                found = await resolve_onvif(self.spec.url, self.spec.username, self.spec.password, self.spec.profile)
            except CameraError as err:
                new = Condition.AUTH_FAILED if isinstance(err, CameraAuthFailed) else Condition.OFFLINE
                if new != condition:
                    if condition is not None:
                        self._alert(condition, False, "")
                    self._alert(new, True, f"ONVIF device: {err}")
                    condition = new
                self.health = CameraHealth(state=LinkState.BACKOFF, conditions=[new], last_error=str(err))
                self._publish(force=True)
                await asyncio.sleep(backoff.next_delay())
                continue
            if condition is not None:
                self._alert(condition, False, "ONVIF device answers")
            self.onvif = {"profile": found.profile, "profile_name": found.profile_name, "model": found.model}
            self.on_described(self.description())
            return found.stream_uri

    def _threadsafe(self, fn: Any) -> Any:
        loop = self._loop
        assert loop is not None

        def call(arg: Any) -> None:
            if not loop.is_closed():
                loop.call_soon_threadsafe(fn, arg)

        return call

    def _on_health(self, health: CameraHealth) -> None:
        self.health = health
        self._publish()

    def _publish(self, force: bool = False) -> None:
        h = self.health
        key = (h.state, tuple(h.conditions), h.width, h.height, h.codec, h.last_error)
        now = time.monotonic()
        if force or key != self._published or now - self._published_at >= self.state_interval_s:
            self._published, self._published_at = key, now
            self.ctx.publish_state(self.id, CAMERA, h.model_dump(mode="json"))

    def _on_condition(self, change: ConditionChange) -> None:
        self._alert(change.condition, change.active, change.message)
        if self.worker is not None:
            self.health = self.worker.health()
            self._publish(force=True)

    def _alert(self, condition: Condition, active: bool, message: str) -> None:
        if not active:
            self.ctx.clear_alert(self.id, condition.value, message or "recovered")
            return
        snapshot = None
        thumb = self.worker.thumbnail if self.worker is not None else None
        if thumb is not None and len(thumb[0]) <= MAX_SNAPSHOT_BYTES:
            snapshot = base64.b64encode(thumb[0]).decode()
        name = self.spec.label or self.id
        alert = Alert(
            alert_id=condition.value,
            type=condition.value,
            severity=SEVERITY[condition],
            message=redact(f"camera {name}: {message}")[:500],
            raised_at=datetime.now(UTC),
            location=self.spec.location,
            data={"camera": self.id, "condition": condition.value, "snapshot_taken_at": thumb[1] if thumb else None},
            snapshot_jpeg=snapshot,
        )
        self.ctx.raise_alert(self.id, alert)
