"""Public address: zones, the message library, announcements with per-zone outcomes, cancel, all-clear.

Announcements go to the edge as ``announce`` commands (PA time-to-live 10 s: an edge that gets one later never
plays it). An announcement to every zone of a system (``sensitive``: the "All City" group, or every zone listed)
is not sent: it waits for a supervisor's approval (two-person rule, :mod:`control_room.approvals`), live or test.
Cancel and all-clear never wait for anyone.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from control_room.api.deps import Commander, ContextDep, CurrentUser, Reader, SessionDep
from control_room.approval_views import AwaitingApproval
from control_room.errors import BrokerUnavailable
from control_room.pa import lookup
from control_room.pa.announce import PA_TTL_S, plan_announcement
from control_room.pa.views import (
    ActionRequest,
    AnnouncementAccepted,
    AnnouncementPublic,
    AnnouncementRequest,
    CommandsIssued,
    PaMessagePublic,
    PaSystemPublic,
    PaZonePublic,
    SystemTestRequest,
    TextCheckRequest,
    TextCheckResult,
)
from control_room.store.models import Command, Device
from edge.contract.pa import PA_ZONE, check_announcement_text

router = APIRouter(prefix="/api/v1/pa", tags=["pa"])


def _issue(
    ctx: ContextDep, s: SessionDep, user: CurrentUser, dev: Device, action: str, args: dict[str, Any], mode: str
) -> Command:
    s.commit()  # end this request's read transaction first: issuing writes in a session of its own
    try:
        return ctx.commands.issue(user.actor, dev.node_id, dev.id, action, args, PA_TTL_S, mode)
    except BrokerUnavailable as err:
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, str(err)) from err


@router.get("/systems", summary="PA head-ends and their controller links")
def list_systems(user: Reader, s: SessionDep) -> list[PaSystemPublic]:
    """Each PA system: link, mode, faults, announcements in progress, schedules."""
    out = []
    for dev in lookup.systems(s):
        st: dict[str, Any] = dev.state or {}
        out.append(
            PaSystemPublic(
                node_id=dev.node_id,
                id=dev.id,
                label=dev.label,
                connection=st.get("connection"),
                reason=st.get("reason", ""),
                mode=st.get("mode"),
                groups=dev.capabilities.get("groups", {}),
                faults=st.get("faults", []),
                active=[a["id"] for a in st.get("active", [])],
                next_system_test=st.get("next_system_test"),
                schedules=st.get("schedules", {}),
            )
        )
    return out


@router.get("/zones", summary="Loudspeaker zones")
def list_zones(user: Reader, s: SessionDep) -> list[PaZonePublic]:
    """Every zone: idle, busy (with which announcement), in fault, and what is queued for it."""
    rows = s.execute(select(Device).where(Device.kind == PA_ZONE).order_by(Device.node_id, Device.id)).scalars()
    out = []
    for dev in rows:
        st: dict[str, Any] = dev.state or {}
        out.append(
            PaZonePublic(
                node_id=dev.node_id,
                system=str(dev.capabilities.get("system", "")),
                id=dev.id,
                zone=int(dev.capabilities.get("zone", 0)),
                name=dev.label,
                state=st.get("state", "unknown"),
                busy_with=st.get("busy_with"),
                priority=st.get("priority"),
                queued=st.get("queued", []),
                faults=st.get("faults", []),
                state_ts=dev.state_ts,
            )
        )
    return out


@router.get("/messages", summary="The pre-recorded message library")
def list_messages(user: Reader, s: SessionDep) -> list[PaMessagePublic]:
    """Messages held in each controller, by slot."""
    return [
        PaMessagePublic(node_id=dev.node_id, system=dev.id, **m)
        for dev in lookup.systems(s)
        for m in dev.capabilities.get("messages", [])
    ]


@router.post("/text-check", summary="Check announcement text")
def text_check(body: TextCheckRequest, user: Reader, s: SessionDep) -> TextCheckResult:
    """Whether the text can be spoken: no control characters, no markup, within the length limit."""
    limits = [int(d.capabilities.get("max_text_chars", 400)) for d in lookup.systems(s)]
    limit = min(limits) if limits else 400
    try:
        return TextCheckResult(ok=True, text=check_announcement_text(body.text, limit), max_chars=limit)
    except ValueError as err:
        return TextCheckResult(ok=False, problem=str(err), max_chars=limit)


@router.post(
    "/announcements",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Make an announcement (answers at once)",
    responses={202: {"description": "Queued; or, to every zone of a system, stored awaiting a supervisor's approval."}},
)
def announce(
    body: AnnouncementRequest, user: Commander, ctx: ContextDep, s: SessionDep
) -> AnnouncementAccepted | AwaitingApproval:
    """Send ``announce`` to the PA system's edge; follow the announcement at ``/announcements/{id}``.

    An announcement to every zone of the system (live or test) is not sent: the answer is ``{"id": null, "state":
    "awaiting_approval", "approval": {…}}`` and a supervisor other than the requester approves it at
    ``/api/v1/approvals/{approval.id}/approve`` (the announcement id is then in ``approval.command_ids``)."""
    plan = plan_announcement(s, body)
    if plan.sensitive:
        sensitive = plan.sensitive_plan()
        s.commit()
        return AwaitingApproval(approval=ctx.approvals.request(user.actor, sensitive))
    dev = plan.dev
    cmd = _issue(ctx, s, user, dev, "announce", plan.args, body.mode)
    return AnnouncementAccepted(
        id=cmd.id,
        state="queued",
        mode=cmd.mode,
        node_id=dev.node_id,
        system=dev.id,
        zones=plan.zones,
        expires_at=cmd.expires_at,
        sensitive=False,
    )


@router.get("/announcements", summary="Recent announcements")
def list_announcements(
    user: Reader,
    s: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many, newest first.")] = 50,
) -> list[AnnouncementPublic]:
    """Newest first, each with its per-zone outcomes."""
    rows = s.execute(
        select(Command).where(Command.action == "announce").order_by(Command.issued_at.desc()).limit(limit)
    ).scalars()
    return [lookup.announcement_view(s, cmd) for cmd in rows]


@router.get("/announcements/{announcement_id}", summary="An announcement and its per-zone outcomes")
def get_announcement(announcement_id: str, user: Reader, s: SessionDep) -> AnnouncementPublic:
    """``state`` overall and per zone, with the time of every change."""
    cmd = s.get(Command, announcement_id)
    if cmd is None or cmd.action != "announce":
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no announcement {announcement_id}")
    return lookup.announcement_view(s, cmd)


@router.post(
    "/announcements/{announcement_id}/cancel", status_code=status.HTTP_202_ACCEPTED, summary="Cancel an announcement"
)
def cancel(
    announcement_id: str, user: Commander, ctx: ContextDep, s: SessionDep, body: ActionRequest | None = None
) -> CommandsIssued:
    """Stop it now: zones still waiting are dropped, zones playing are aborted. Never needs an approval."""
    body = body or ActionRequest()
    cmd = s.get(Command, announcement_id)
    if cmd is None or cmd.action != "announce" or cmd.device_id is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no announcement {announcement_id}")
    view = lookup.announcement_view(s, cmd)
    if view.state not in ("queued", "playing"):
        raise HTTPException(status.HTTP_409_CONFLICT, f"announcement {announcement_id} is already {view.state}")
    dev = s.get(Device, (cmd.node_id, cmd.device_id))
    if dev is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"PA system {cmd.device_id} is gone")
    args = {"announcement_id": announcement_id, **({"reason": body.reason} if body.reason else {})}
    issued = _issue(ctx, s, user, dev, "cancel", args, body.mode)
    return CommandsIssued(command_ids=[issued.id], announcement_id=announcement_id)


@router.post("/all-clear", status_code=status.HTTP_202_ACCEPTED, summary="All clear: cancel everything")
def all_clear(user: Commander, ctx: ContextDep, s: SessionDep, body: ActionRequest | None = None) -> CommandsIssued:
    """Cancel every announcement on every PA system (or the one named) and reset emergency mode. Never needs an
    approval: it is always one action away."""
    body = body or ActionRequest()
    targets = [lookup.system(s, body.system)] if body.system else lookup.systems(s)
    if not targets:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no PA system has reported yet")
    args = {"reason": body.reason} if body.reason else {}
    return CommandsIssued(command_ids=[_issue(ctx, s, user, d, "all_clear", args, body.mode).id for d in targets])


@router.post("/system-test", status_code=status.HTTP_202_ACCEPTED, summary="Run the system test")
def system_test(body: SystemTestRequest, user: Commander, ctx: ContextDep, s: SessionDep) -> CommandsIssued:
    """Quiet by default (line supervision only); the edge refuses it sooner than its minimum interval."""
    dev = lookup.system(s, body.system)
    args = {"audible": body.audible} if body.audible is not None else {}
    return CommandsIssued(command_ids=[_issue(ctx, s, user, dev, "system_test", args, body.mode).id])
