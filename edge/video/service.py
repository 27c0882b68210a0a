"""The video service: analytics and recording as consumers of the cameras' frame rings, and the clip server.

Per camera in ``[video]`` a worker process (:mod:`edge.video.video_worker`) reads the ring; its findings become
events and alerts (with a JPEG snapshot) on the camera's device through the outbox, and its clips are announced
with ``cctv.clip_recorded``. The camera devices themselves belong to the camera (ingest) service; this one owns
the node's ``clips`` device, whose capabilities advertise the clip server, and which takes ``accept_view``.
"""

from __future__ import annotations

import asyncio
import multiprocessing as mp
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from multiprocessing.connection import Connection, wait
from typing import Any

from pydantic import Field

from edge.contract.clips import CLIP_DELETED, CLIP_FAILED, CLIP_RECORDED, CLIP_STORE, CLIPS_DEVICE
from edge.contract.payloads import Alert, Command, ContractModel, DeviceDescription, Severity
from edge.errors import CommandRejected
from edge.services.base import CommandOutcome, EdgeService, Progress, ServiceContext, parse_args
from edge.video.clip_server import ClipServer
from edge.video.clip_store import ClipStore
from edge.video.settings import VideoCamera, VideoSettings
from edge.video.video_worker import parse_clip, run_worker

ACCEPT_VIEW = "accept_view"
ALERT_TYPES = {
    "covered": "camera_covered",
    "defocused": "camera_defocused",
    "moved": "camera_moved",
    "frozen": "camera_frozen",
}
RECORDING_REFUSED = "recording_refused"
SNAPSHOT_LIMIT = 350_000


class AcceptViewArgs(ContractModel):
    """``accept_view``: take a camera's current picture as its new reference (after an intended move)."""

    camera: str = Field(min_length=1, max_length=64, description="Camera id.")


@dataclass
class _Worker:
    camera: VideoCamera
    process: mp.process.BaseProcess
    conn: Connection
    health: dict[str, Any] = field(default_factory=dict)
    restarts: int = 0
    ready: bool = False
    exited: bool = False


class VideoService(EdgeService):
    """Runs one analytics/recording worker process per configured camera."""

    name = "video"

    def __init__(self, ctx: ServiceContext, settings: VideoSettings) -> None:
        super().__init__(ctx)
        self.settings = settings
        self.clips_dir = settings.clips_dir or ctx.data_dir / "clips"
        self.store = ClipStore(self.clips_dir)
        self.server = ClipServer(self.store, settings.clip_server, settings.advertise)
        self.workers: dict[str, _Worker] = {}
        self._mp = mp.get_context("spawn")
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._reader = threading.Thread(target=self._read, name="video-workers", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._restarts: dict[str, asyncio.TimerHandle] = {}

    def devices(self) -> list[DeviceDescription]:
        return [
            DeviceDescription(
                id=CLIPS_DEVICE,
                kind=CLIP_STORE,
                label="Recorded clips",
                commands=[ACCEPT_VIEW],
                capabilities={"endpoint": self.server.endpoint, "cameras": [c.id for c in self.settings.cameras]},
            )
        ]

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self.server.start()
        for camera in self.settings.cameras:
            self._spawn(camera)
        self._reader.start()

    def _spawn(self, camera: VideoCamera) -> None:
        self._restarts.pop(camera.id, None)
        if self._stopping.is_set():
            return
        parent, child = self._mp.Pipe()
        process = self._mp.Process(
            target=run_worker,
            args=(child, camera.model_dump_json(), self.settings.model_dump_json(), str(self.clips_dir)),
            name=f"video-{camera.id}",
            daemon=True,
        )
        process.start()
        child.close()
        old = self.workers.get(camera.id)
        with self._lock:
            self.workers[camera.id] = _Worker(camera, process, parent, restarts=old.restarts + 1 if old else 0)

    async def stop(self) -> None:
        self._stopping.set()
        for handle in self._restarts.values():
            handle.cancel()
        with self._lock:
            workers = list(self.workers.values())
        for worker in workers:
            try:
                worker.conn.send("stop")
            except OSError:
                pass
        await asyncio.to_thread(self._join, workers)
        if self._reader.is_alive():
            await asyncio.to_thread(self._reader.join, 5)
        self.server.stop()

    @staticmethod
    def _join(workers: list[_Worker]) -> None:
        for worker in workers:
            worker.process.join(30)  # a recorder finishing its clip may take a few seconds
            if worker.process.is_alive():
                worker.process.terminate()
                worker.process.join(5)
            if worker.process.is_alive():
                worker.process.kill()
                worker.process.join()
            worker.conn.close()

    # worker messages --------------------------------------------------------------------------------------------
    def _read(self) -> None:
        """Wait on every worker's pipe; hand messages to the event loop."""
        while not self._stopping.is_set() or any(w.process.is_alive() for w in list(self.workers.values())):
            with self._lock:
                conns = {w.conn: w.camera.id for w in self.workers.values() if not w.conn.closed and not w.exited}
            if not conns:
                if self._stopping.wait(0.2):
                    return
                continue
            try:
                ready = wait(list(conns), timeout=0.2)
            except OSError:
                continue
            for conn in ready:
                assert isinstance(conn, Connection)
                camera = conns[conn]
                try:
                    message = conn.recv()
                except (EOFError, OSError):
                    with self._lock:
                        for worker in self.workers.values():
                            if worker.conn is conn:
                                worker.exited = True  # not waited on again; the loop restarts the camera
                    self._call(self._exited, camera, conn)
                    continue
                self._call(self._handle, camera, message)

    def _call(self, fn: Any, *args: Any) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(fn, *args)

    def _exited(self, camera: str, conn: Connection) -> None:
        worker = self.workers.get(camera)
        if worker is None or worker.conn is not conn or camera in self._restarts:
            return
        conn.close()
        if self._stopping.is_set():
            return
        self.log.error("video worker of camera %s stopped unexpectedly; restarting", camera)
        assert self._loop is not None
        self._restarts[camera] = self._loop.call_later(self.settings.restart_backoff_s, self._spawn, worker.camera)

    def _handle(self, camera: str, message: tuple[Any, ...]) -> None:
        kind = message[0]
        worker = self.workers.get(camera)
        if kind == "ready" and worker is not None:
            worker.ready = True
            self.log.info("video worker of camera %s ready", camera)
        elif kind == "health" and worker is not None:
            worker.health = message[1]
        elif kind == "finding":
            self._finding(camera, message[1])
        elif kind == "clip":
            info = parse_clip(message[1])
            self.ctx.emit_event(camera, CLIP_RECORDED, info.model_dump(mode="json"))
            self.ctx.clear_alert(camera, RECORDING_REFUSED, "a clip was recorded")
        elif kind == "clip_error":
            _, clip_id, error, headroom = message
            self.ctx.emit_event(camera, CLIP_FAILED, {"clip_id": clip_id, "error": error}, Severity.MINOR)
            if headroom:
                self.ctx.raise_alert(camera, self._alert(camera, RECORDING_REFUSED, RECORDING_REFUSED, error))
        elif kind == "clip_deleted":
            info = parse_clip(message[1])
            self.ctx.emit_event(camera, CLIP_DELETED, {"clip_id": info.clip_id, "reason": message[2]})

    def _finding(self, camera: str, f: dict[str, Any]) -> None:
        data = dict(f["data"])
        if f["clip_id"]:
            data["clip_id"] = f["clip_id"]
        if f["kind"] == "alert_raised":
            since = data.get("since_ts") or data.get("entered_ts") or f["ts"]
            snapshot = f["snapshot_b64"] if f["snapshot_b64"] and len(f["snapshot_b64"]) <= SNAPSHOT_LIMIT else None
            alert = self._alert(camera, f["alert_id"], ALERT_TYPES.get(f["type"], f["type"]), f["message"])
            alert = alert.model_copy(
                update={"raised_at": datetime.fromtimestamp(since, UTC), "data": data, "snapshot_jpeg": snapshot}
            )
            self.ctx.raise_alert(camera, alert)
        elif f["kind"] == "alert_cleared":
            self.ctx.clear_alert(camera, f["alert_id"], f["message"])
        else:
            self.ctx.emit_event(camera, f"cctv.{f['type']}", data, Severity(f["severity"]))

    def _alert(self, camera: str, alert_id: str, type_: str, message: str) -> Alert:
        worker = self.workers.get(camera)
        location = worker.camera.location if worker else None
        return Alert(
            alert_id=alert_id,
            type=type_,
            severity=Severity.MAJOR,
            message=message[:500],
            raised_at=datetime.now(UTC),
            location=location,
        )

    # commands ---------------------------------------------------------------------------------------------------
    def validate(self, device: str, command: Command) -> None:
        args = parse_args(AcceptViewArgs, command)
        if args.camera not in self.workers:
            raise CommandRejected("unknown_camera", f"camera {args.camera} is not analysed on this node")

    async def execute(self, device: str, command: Command, progress: Progress) -> CommandOutcome:
        args = parse_args(AcceptViewArgs, command)
        worker = self.workers.get(args.camera)
        if worker is None:
            raise CommandRejected("unknown_camera", f"camera {args.camera} is not analysed on this node")
        if command.mode == "test":
            return CommandOutcome(f"camera {args.camera}: the reference view would be renewed (test)")
        worker.conn.send("rebaseline")
        return CommandOutcome(f"camera {args.camera}: the next healthy picture becomes the reference view")

    def health(self) -> dict[str, Any]:
        return {
            "status": "ok" if all(w.process.is_alive() for w in self.workers.values()) else "degraded",
            "cameras": {
                cid: {**w.health, "alive": w.process.is_alive(), "restarts": w.restarts}
                for cid, w in self.workers.items()
            },
            "clips_served": self.server.served,
        }
