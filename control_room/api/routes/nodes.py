"""Edge nodes and their devices."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from control_room.api.deps import ContextDep, CurrentUser, Reader, SessionDep, require
from control_room.errors import BrokerUnavailable
from control_room.security.roles import Perm
from control_room.store.models import Device, Node
from control_room.views import DevicePublic, NodePublic

router = APIRouter(prefix="/api/v1", tags=["nodes"])


@router.get("/nodes", summary="List edge nodes")
def list_nodes(user: Reader, s: SessionDep) -> list[NodePublic]:
    """Every node seen on the broker, with ``online``."""
    return [NodePublic.model_validate(n) for n in s.execute(select(Node).order_by(Node.id)).scalars()]


@router.get("/nodes/{node_id}", summary="One edge node")
def get_node(node_id: str, user: Reader, s: SessionDep) -> NodePublic:
    """A node by id."""
    node = s.get(Node, node_id)
    if node is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no node {node_id}")
    return NodePublic.model_validate(node)


@router.get("/devices", summary="List devices")
def list_devices(
    user: Reader,
    s: SessionDep,
    node: Annotated[str | None, Query(max_length=64, description="Only this node's devices.")] = None,
    kind: Annotated[str | None, Query(max_length=64, description="Only devices of this kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=20_000, description="At most this many.")] = 5000,
) -> list[DevicePublic]:
    """Devices with their latest state; ``id`` is unique per node."""
    q = select(Device).order_by(Device.node_id, Device.id).limit(limit)
    if node:
        q = q.where(Device.node_id == node)
    if kind:
        q = q.where(Device.kind == kind)
    return [DevicePublic.model_validate(d) for d in s.execute(q).scalars()]


@router.get("/devices/{node_id}/{device_id}", summary="One device")
def get_device(node_id: str, device_id: str, user: Reader, s: SessionDep) -> DevicePublic:
    """A device by node and id."""
    dev = s.get(Device, (node_id, device_id))
    if dev is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device_id} on {node_id}")
    return DevicePublic.model_validate(dev)


class DeviceCommandRequest(BaseModel):
    """A command for any action a device announced in its node's birth message (engineers' tool)."""

    model_config = ConfigDict(extra="forbid")
    action: str = Field(min_length=1, max_length=64, description="One of the device's accepted actions.")
    args: dict[str, Any] = Field(default_factory=dict, description="Action arguments; the edge validates them.")
    mode: Literal["live", "test"] = Field(default="live", description="test: validated, not carried out.")
    ttl_s: float = Field(default=10, ge=1, le=300, description="Seconds before the edge must refuse it.")


class CommandIssued(BaseModel):
    """A command on its way."""

    command_id: str = Field(description="Follow it at /api/v1/commands/{command_id}.")
    stage: str = Field(description="Current stage.")


Engineer = Annotated[CurrentUser, Depends(require(Perm.DEVICES_MANAGE))]


@router.post(
    "/devices/{node_id}/{device_id}/commands", status_code=status.HTTP_202_ACCEPTED, summary="Send a device command"
)
def device_command(
    node_id: str, device_id: str, body: DeviceCommandRequest, user: Engineer, ctx: ContextDep, s: SessionDep
) -> CommandIssued:
    """Engineers' generic command path; operators use the domain endpoints (lighting, PA, cameras)."""
    dev = s.get(Device, (node_id, device_id))
    if dev is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no device {device_id} on {node_id}")
    if body.action not in dev.commands:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            f"{device_id} accepts {', '.join(dev.commands) or 'no commands'}, not {body.action}",
        )
    try:
        cmd = ctx.commands.issue(user.actor, node_id, device_id, body.action, body.args, body.ttl_s, body.mode)
    except BrokerUnavailable as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from err
    return CommandIssued(command_id=cmd.id, stage=cmd.stage)
