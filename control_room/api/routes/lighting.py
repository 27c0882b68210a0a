"""Lighting: zones (commanded vs reported, overrides, schedule, faults), luminaires, schedules and energy.

Every change is a command to the zone's edge node (audited by ``CommandService.issue``); the edge answers with
stages on the stream. An override of every zone at once (zone ``all``) is a sensitive action: it is stored and
sent only when a supervisor other than the requester approves it (two-person rule, :mod:`control_room.approvals`).
Ending an override (DELETE) never waits for anyone.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from control_room.api.deps import Commander, ContextDep, CurrentUser, Reader, SessionDep
from control_room.approval_views import AwaitingApproval
from control_room.context import AppContext
from control_room.errors import BrokerUnavailable
from control_room.lighting.energy import MAX_DAYS, EnergyPublic, energy_report
from control_room.lighting.overrides import ALL_ZONES, LIGHTING_TTL_S, OverrideRequest, plan_override_all
from control_room.lighting.schedules import UnknownZones, split_by_node
from control_room.lighting.views import (
    CommandAccepted,
    LuminairePublic,
    NodeSchedule,
    OverrideAccepted,
    OverridesCleared,
    SchedulesReplaced,
    ZonePublic,
    luminaire_view,
    schedule_view,
    zone_view,
)
from control_room.sensitive import LIGHTING_OVERRIDE_ALL, PlanInvalid
from control_room.store.models import ApprovalRow, Command, Device
from edge.contract.lighting import (
    LIGHTING_CONTROLLER,
    LIGHTING_ZONE,
    LUMINAIRE,
    MAX_HOLD_S,
    ClearOverrideArgs,
    SetLevelArgs,
    SetSchedulesArgs,
)
from edge.contract.lighting_schedule import ScheduleConfig

router = APIRouter(prefix="/api/v1/lighting", tags=["lighting"])


class LevelRequest(BaseModel):
    """Desired level of a zone."""

    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=0, le=100, description="Level in percent.")
    duration_s: int | None = Field(default=None, ge=1, le=MAX_HOLD_S, description="Hold, then return.")
    fade_ms: int = Field(default=0, ge=0, le=60_000, description="Fade time.")
    mode: Literal["live", "test"] = Field(default="live", description="test: the edge validates but changes nothing.")


def _zone(s: Session, zone: str) -> Device:
    matches = list(s.execute(select(Device).where(Device.kind == LIGHTING_ZONE, Device.id == zone)).scalars())
    if not matches:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no lighting zone {zone}")
    if len(matches) > 1:
        raise HTTPException(status.HTTP_409_CONFLICT, f"zone id {zone} is claimed by several nodes")
    return matches[0]


def _issue(
    ctx: AppContext, s: Session, user: CurrentUser, dev: Device, action: str, args: dict[str, Any], mode: str = "live"
) -> Command:
    s.commit()  # end this request's read transaction first: issuing writes in a session of its own
    try:
        return ctx.commands.issue(user.actor, dev.node_id, dev.id, action, args, LIGHTING_TTL_S, mode)
    except BrokerUnavailable as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from err


def _accepted(cmd: Command) -> CommandAccepted:
    return CommandAccepted(command_id=cmd.id, stage=cmd.stage, node_id=cmd.node_id, expires_at=cmd.expires_at)


@router.get("/zones", summary="Lighting zones")
def list_zones(user: Reader, s: SessionDep) -> list[ZonePublic]:
    """Every zone: commanded vs reported level, the override in force (null when none), schedule and faults."""
    rows = s.execute(select(Device).where(Device.kind == LIGHTING_ZONE).order_by(Device.id)).scalars()
    return [zone_view(d) for d in rows]


@router.post("/zones/{zone}/level", status_code=status.HTTP_202_ACCEPTED, summary="Set a zone's level")
def set_level(zone: str, body: LevelRequest, user: Commander, ctx: ContextDep, s: SessionDep) -> CommandAccepted:
    """Send ``set_level``. Without ``duration_s`` the level holds until the zone's schedule next changes."""
    dev = _zone(s, zone)
    args = SetLevelArgs(level=body.level, duration_s=body.duration_s, fade_ms=body.fade_ms)
    return _accepted(_issue(ctx, s, user, dev, "set_level", args.model_dump(exclude_none=True), body.mode))


@router.post(
    "/zones/{zone}/override",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Override a zone's level",
    responses={202: {"description": "On its way; or, for zone 'all', stored awaiting a supervisor's approval."}},
)
def override(
    zone: str, body: OverrideRequest, user: Commander, ctx: ContextDep, s: SessionDep
) -> OverrideAccepted | AwaitingApproval:
    """Hold the zone at ``level`` for ``duration_s``; it returns to its schedule by itself at expiry. Overrides
    stack by priority. Zone ``all`` (or ``*``: every zone, live or test) is not sent: the answer is ``{"id": null,
    "state": "awaiting_approval", "approval": {…}}`` and a supervisor other than the requester approves it at
    ``/api/v1/approvals/{approval.id}/approve``, which sends one override per zone."""
    if zone in ALL_ZONES:
        try:
            plan = plan_override_all(s, body)
        except PlanInvalid as err:
            raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from err
        s.commit()
        return AwaitingApproval(approval=ctx.approvals.request(user.actor, plan))
    dev = _zone(s, zone)
    cmd = _issue(ctx, s, user, dev, "override", body.args().model_dump(), body.mode)
    return OverrideAccepted(
        command_id=cmd.id, stage=cmd.stage, node_id=cmd.node_id, expires_at=cmd.expires_at, override_id=cmd.id
    )


@router.delete("/zones/{zone}/override", status_code=status.HTTP_202_ACCEPTED, summary="End an override")
def clear_override(
    zone: str,
    user: Commander,
    ctx: ContextDep,
    s: SessionDep,
    override_id: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Which override; default: the one in force.")
    ] = None,
    mode: Annotated[Literal["live", "test"], Query(description="test: validated, nothing changes.")] = "live",
    approval_id: Annotated[
        str | None, Query(min_length=1, max_length=64, description="Zone 'all': only the overrides of this approval.")
    ] = None,
) -> CommandAccepted | OverridesCleared:
    """End an override early; the zone returns to the next override down or to its schedule. Never needs an
    approval. Zone ``all`` ends the all-zones override(s) (those that carry an approval; or only those of
    ``approval_id``) in every zone that still holds one, answering ``{commands, zones}``."""
    if zone in ALL_ZONES:
        if override_id is not None:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "override_id names one zone's override: use approval_id"
            )
        return _clear_all(ctx, s, user, mode, approval_id)
    dev = _zone(s, zone)
    view = zone_view(dev)
    held = {o.id for o in view.overrides}
    if override_id is None and view.override is None:
        raise HTTPException(status.HTTP_409_CONFLICT, f"no override is in force on {zone}")
    if override_id is not None and dev.state is not None and override_id not in held:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"{zone} holds no override {override_id}")
    args = ClearOverrideArgs(override_id=override_id)
    return _accepted(_issue(ctx, s, user, dev, "clear_override", args.model_dump(exclude_none=True), mode))


def _clear_all(ctx: AppContext, s: Session, user: CurrentUser, mode: str, approval_id: str | None) -> OverridesCleared:
    """``clear_override`` on every zone holding an override from an all-zones approval (or from that one)."""
    wanted: set[str] | None = None
    if approval_id is not None:
        approval = s.get(ApprovalRow, approval_id)
        if approval is None or approval.action != LIGHTING_OVERRIDE_ALL:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no all-zones lighting override approval {approval_id}")
        wanted = set(approval.command_ids)
    todo: list[tuple[Device, str]] = []
    for dev in s.execute(select(Device).where(Device.kind == LIGHTING_ZONE).order_by(Device.id)).scalars():
        for held in zone_view(dev).overrides:
            if held.approval is not None and (wanted is None or held.id in wanted):
                todo.append((dev, held.id))
    if not todo:
        which = f"of approval {approval_id}" if approval_id else "from an all-zones approval"
        raise HTTPException(status.HTTP_409_CONFLICT, f"no zone holds an override {which}")
    sent = [
        _accepted(_issue(ctx, s, user, dev, "clear_override", ClearOverrideArgs(override_id=oid).model_dump(), mode))
        for dev, oid in todo
    ]
    return OverridesCleared(commands=sent, zones=[dev.id for dev, _ in todo])


@router.get("/schedules", summary="Lighting schedules")
def get_schedules(user: Reader, s: SessionDep) -> list[NodeSchedule]:
    """The schedule document each lighting node runs (from its TOML, or as last replaced from here)."""
    rows = s.execute(select(Device).where(Device.kind == LIGHTING_CONTROLLER).order_by(Device.node_id)).scalars()
    return [schedule_view(d) for d in rows]


@router.put("/schedules", status_code=status.HTTP_202_ACCEPTED, summary="Replace the lighting schedules")
def put_schedules(body: ScheduleConfig, user: Commander, ctx: ContextDep, s: SessionDep) -> SchedulesReplaced:
    """Send each lighting node the profiles and calendars and its own zones' assignments (``set_schedules``).
    The edge keeps the document on its disk; zones not named follow no schedule any more."""
    controllers = list(s.execute(select(Device).where(Device.kind == LIGHTING_CONTROLLER)).scalars())
    if not controllers:
        raise HTTPException(status.HTTP_409_CONFLICT, "no lighting node is known yet")
    zones_of: dict[str, set[str]] = {d.node_id: set() for d in controllers}
    for zone in s.execute(select(Device).where(Device.kind == LIGHTING_ZONE)).scalars():
        zones_of.setdefault(zone.node_id, set()).add(zone.id)
    zones_of = {n: z for n, z in zones_of.items() if n in {d.node_id for d in controllers}}
    try:
        parts = split_by_node(body, zones_of)
    except UnknownZones as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    sent = []
    for dev in sorted(controllers, key=lambda d: d.node_id):
        args = SetSchedulesArgs(schedule=parts[dev.node_id])
        sent.append(_accepted(_issue(ctx, s, user, dev, "set_schedules", args.model_dump(mode="json"))))
    return SchedulesReplaced(commands=sent)


@router.get("/luminaires", summary="Luminaires")
def list_luminaires(
    user: Reader,
    s: SessionDep,
    fault: Annotated[bool | None, Query(description="true: only luminaires with a fault or offline.")] = None,
    zone: Annotated[str | None, Query(max_length=64, description="Only this zone.")] = None,
    hardware: Annotated[Literal["mqtt", "dali"] | None, Query(description="Only this hardware kind.")] = None,
    limit: Annotated[int, Query(ge=1, le=20_000, description="At most this many.")] = 20_000,
) -> list[LuminairePublic]:
    """Street-light nodes and DALI gear with their latest state."""
    rows = s.execute(select(Device).where(Device.kind == LUMINAIRE).order_by(Device.node_id, Device.id)).scalars()
    out = []
    for dev in rows:
        view = luminaire_view(dev)
        if fault is not None and bool(view.faults) != fault:
            continue
        if (zone and view.zone != zone) or (hardware and view.hardware != hardware):
            continue
        out.append(view)
        if len(out) >= limit:
            break
    return out


@router.get("/energy", summary="Energy per zone and day", response_model_by_alias=True)
def get_energy(
    user: Reader,
    s: SessionDep,
    from_day: Annotated[
        dt.date | None, Query(alias="from", description="First day, YYYY-MM-DD (default: 6 days ago).")
    ] = None,
    to_day: Annotated[dt.date | None, Query(alias="to", description="Last day, YYYY-MM-DD (default: today).")] = None,
) -> EnergyPublic:
    """kWh per zone and local day: measured by street-light nodes, estimated for DALI gear (level x rated power)."""
    last = to_day or dt.datetime.now(dt.UTC).date()
    first = from_day or last - dt.timedelta(days=6)
    if first > last:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"'from' ({first}) is after 'to' ({last})")
    if (last - first).days >= MAX_DAYS:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"at most {MAX_DAYS} days at a time")
    return energy_report(s, first, last)
