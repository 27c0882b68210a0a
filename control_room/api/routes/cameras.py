"""Cameras: list with health, attach one to an edge node, a snapshot, and the live view (MJPEG) relayed from
the edge over ZeroMQ only while someone watches. Every view is written to the audit log."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Path, Response, status
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from control_room.api.deps import ContextDep, CurrentUser, Reader, SessionDep, require
from control_room.audit import record
from control_room.errors import BrokerUnavailable
from control_room.security.roles import Perm
from control_room.store.models import Alert, Device
from edge.contract.cctv import ADD_CAMERA, CAMERA, CAMERA_MANAGER, CAMERAS_DEVICE, AddCameraArgs, CameraHealth
from edge.contract.payloads import Id, describe_validation_error

router = APIRouter(prefix="/api/v1/cameras", tags=["cameras"])

ADD_CAMERA_TTL_S = 30
SNAPSHOT_TIMEOUT_S = 5.0
LIVE_IDLE_TIMEOUT_S = 10.0
BOUNDARY = "cityedgeframe"


class CameraPublic(BaseModel):
    """A camera and its health."""

    id: str = Field(description="Camera device id (unique on its node).")
    node_id: str = Field(description="Edge node that ingests it.")
    label: str = Field(description="Name.")
    location: str | None = Field(description="Location label.")
    source: str | None = Field(description="Stream address, without credentials.")
    source_kind: str | None = Field(description="rtsp, rtsps, http, https, onvif or file.")
    onvif: dict[str, Any] | None = Field(description="ONVIF profile and model, for ONVIF cameras.")
    live: bool = Field(description="Whether the edge offers a live view.")
    health: CameraHealth | None = Field(description="Latest health reported by the edge.")
    state_ts: datetime | None = Field(description="When the health was observed.")


class CameraCreate(BaseModel):
    """Attach a camera to an edge node (or replace one attached earlier with the same id)."""

    model_config = ConfigDict(extra="forbid", hide_input_in_errors=True)
    node_id: Id = Field(description="Edge node that will ingest the camera.")
    id: Id = Field(description="Camera id, unique on the node.")
    url: str = Field(
        description="rtsp://, rtsps://, http(s):// (MJPEG), onvif://host:port or a file path, no credentials."
    )
    username: str | None = Field(default=None, max_length=200, description="Login name at the camera.")
    password: SecretStr | None = Field(
        default=None, description="Password at the camera: sent to the edge only, never stored or returned here."
    )
    profile: str | None = Field(default=None, max_length=64, description="ONVIF profile token (default: the first).")
    label: str = Field(default="", max_length=200, description="Name shown to operators.")
    location: str | None = Field(default=None, max_length=200, description="Location label.")
    mode: Literal["live", "test"] = Field(default="live", description="test: the edge checks it and changes nothing.")


class CameraCommandAccepted(BaseModel):
    """The add_camera command on its way; follow it at /api/v1/commands/{command_id} or on the stream."""

    command_id: str = Field(description="Id of the command.")
    stage: str = Field(description="Current stage.")
    node_id: str = Field(description="Target node.")
    expires_at: datetime = Field(description="Not executed after this.")


Engineer = Annotated[CurrentUser, Depends(require(Perm.DEVICES_MANAGE))]


def _view(dev: Device) -> CameraPublic:
    caps: dict[str, Any] = dev.capabilities or {}
    try:
        health = CameraHealth.model_validate(dev.state) if dev.state else None
    except ValidationError:
        health = None
    return CameraPublic(
        id=dev.id,
        node_id=dev.node_id,
        label=dev.label,
        location=dev.location,
        source=caps.get("source"),
        source_kind=caps.get("source_kind"),
        onvif=caps.get("onvif"),
        live=bool(caps.get("live")),
        health=health,
        state_ts=dev.state_ts,
    )


def _camera(s: Session, camera: str) -> Device:
    matches = list(s.execute(select(Device).where(Device.kind == CAMERA, Device.id == camera)).scalars())
    if not matches:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no camera {camera}")
    if len(matches) > 1:
        raise HTTPException(status.HTTP_409_CONFLICT, f"camera id {camera} is claimed by several nodes")
    return matches[0]


def _live_endpoint(dev: Device) -> str:
    live = (dev.capabilities or {}).get("live") or {}
    endpoint = live.get("endpoint") if isinstance(live, dict) else None
    if not isinstance(endpoint, str):
        raise HTTPException(status.HTTP_409_CONFLICT, f"camera {dev.id}: its edge offers no live view")
    return endpoint


@router.get("", summary="Cameras with their health")
def list_cameras(user: Reader, s: SessionDep) -> list[CameraPublic]:
    """Every camera the edge nodes announced, with health (fps, last frame age, conditions ...)."""
    rows = s.execute(select(Device).where(Device.kind == CAMERA).order_by(Device.node_id, Device.id)).scalars()
    return [_view(d) for d in rows]


@router.post("", status_code=status.HTTP_202_ACCEPTED, summary="Attach a camera to an edge node")
def add_camera(body: CameraCreate, user: Engineer, ctx: ContextDep, s: SessionDep) -> CameraCommandAccepted:
    """Send ``add_camera`` to the node's camera manager. The password goes to the edge and nowhere else: the
    stored command, its audit row and every response show it masked."""
    manager = s.get(Device, (body.node_id, CAMERAS_DEVICE))
    if manager is None or manager.kind != CAMERA_MANAGER:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"node {body.node_id} has no CCTV service")
    try:
        args = AddCameraArgs(
            id=body.id,
            url=body.url,
            username=body.username,
            password=body.password.get_secret_value() if body.password else None,
            profile=body.profile,
            label=body.label,
            location=body.location,
        )
    except ValidationError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, describe_validation_error(err)) from err
    try:
        cmd = ctx.commands.issue(
            user.actor,
            body.node_id,
            CAMERAS_DEVICE,
            ADD_CAMERA,
            args.model_dump(exclude_none=True),
            ADD_CAMERA_TTL_S,
            body.mode,
        )
    except BrokerUnavailable as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from err
    return CameraCommandAccepted(command_id=cmd.id, stage=cmd.stage, node_id=cmd.node_id, expires_at=cmd.expires_at)


@router.get("/{camera}/snapshot.jpg", summary="A current picture", response_class=Response)
async def snapshot(camera: str, user: Reader, ctx: ContextDep) -> Response:
    """The camera's next live frame as a JPEG (the edge encodes it because we asked; 504 if none comes)."""
    with ctx.store.session() as s:
        dev = _camera(s, camera)
        endpoint = _live_endpoint(dev)
        record(s, user.actor, "camera.snapshot", f"{dev.node_id}/{dev.id}")
    async with ctx.live.watch(endpoint, camera) as watcher:
        frame = await watcher.next_frame(SNAPSHOT_TIMEOUT_S)
    if frame is None:
        raise HTTPException(
            status.HTTP_504_GATEWAY_TIMEOUT, f"camera {camera}: no picture within {SNAPSHOT_TIMEOUT_S:g} s"
        )
    return Response(frame.jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.get("/{camera}/live.mjpeg", summary="Live view (MJPEG)", response_class=StreamingResponse)
async def live(camera: str, user: Reader, ctx: ContextDep) -> StreamingResponse:
    """``multipart/x-mixed-replace`` JPEGs for as long as the client reads; the edge publishes only meanwhile."""
    with ctx.store.session() as s:
        dev = _camera(s, camera)
        endpoint = _live_endpoint(dev)
        record(s, user.actor, "camera.live_view", f"{dev.node_id}/{dev.id}")

    async def parts() -> AsyncIterator[bytes]:
        async with ctx.live.watch(endpoint, camera) as watcher:
            while True:
                frame = await watcher.next_frame(LIVE_IDLE_TIMEOUT_S)
                if frame is None:
                    return  # the camera went quiet: end the response; the browser may retry
                head = f"--{BOUNDARY}\r\nContent-Type: image/jpeg\r\nContent-Length: {len(frame.jpeg)}\r\n\r\n"
                yield head.encode() + frame.jpeg + b"\r\n"

    return StreamingResponse(
        parts(), media_type=f"multipart/x-mixed-replace; boundary={BOUNDARY}", headers={"Cache-Control": "no-store"}
    )


alert_router = APIRouter(prefix="/api/v1/alerts", tags=["cameras"])


@alert_router.get("/{alert_id}/snapshot.jpg", summary="The picture attached to an alert", response_class=Response)
def alert_snapshot(
    alert_id: Annotated[int, Path(ge=1, le=2**63 - 1, description="Alert id.")], user: Reader, s: SessionDep
) -> Response:
    """The JPEG a camera alert carried (the camera's last picture before the condition); 404 if it has none."""
    alert = s.get(Alert, alert_id)
    if alert is None or not alert.snapshot_jpeg:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"alert {alert_id} has no picture")
    record(s, user.actor, "alert.snapshot", f"alert:{alert_id}", {"device": f"{alert.node_id}/{alert.device_id}"})
    try:
        jpeg = base64.b64decode(alert.snapshot_jpeg, validate=True)
    except binascii.Error as err:
        raise HTTPException(
            status.HTTP_500_INTERNAL_SERVER_ERROR, f"alert {alert_id}: stored picture unreadable"
        ) from err
    return Response(jpeg, media_type="image/jpeg", headers={"Cache-Control": "no-store"})
