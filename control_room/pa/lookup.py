"""Finding PA systems in the store and telling where an announcement stands.

An announcement's freshest picture is the ``pa`` device's retained state (active and recently finished
announcements); once its command is terminal, the ``state_after`` the edge sent is final; before the edge took
it, the command's stage says it is queued (or expired, rejected, unknown).
"""

from __future__ import annotations

from typing import Any

from fastapi import HTTPException, status
from sqlalchemy import select
from sqlalchemy.orm import Session

from control_room.pa.views import AnnouncementPublic, CommandBrief, ZoneOutcomePublic
from control_room.store.models import Command, Device
from edge.contract.pa import PA

_STAGE_STATES = {"pending": "queued", "sent": "queued", "accepted": "queued", "expired": "expired"}


def systems(s: Session) -> list[Device]:
    """Every PA head-end known."""
    return list(s.execute(select(Device).where(Device.kind == PA).order_by(Device.node_id, Device.id)).scalars())


def system(s: Session, name: str | None) -> Device:
    """The PA system named ``node/device`` or ``device`` (or the only one); 404/409 otherwise."""
    found = systems(s)
    if name is not None:
        found = [d for d in found if name in (d.id, f"{d.node_id}/{d.id}")]
        if not found:
            raise HTTPException(status.HTTP_404_NOT_FOUND, f"no PA system {name}")
    if not found:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no PA system has reported yet")
    if len(found) > 1:
        names = ", ".join(f"{d.node_id}/{d.id}" for d in found)
        raise HTTPException(status.HTTP_409_CONFLICT, f"several PA systems ({names}): say which with 'system'")
    return found[0]


def zone_numbers(dev: Device) -> list[int]:
    """The system's zone numbers (from its birth capabilities)."""
    return sorted(int(z["zone"]) for z in dev.capabilities.get("zones", []))


def resolve_zones(dev: Device, zones: list[int] | None, group: str | None) -> list[int]:
    """Zone numbers of a request, checked against the system (422 naming what is unknown)."""
    known = zone_numbers(dev)
    if group is not None:
        groups: dict[str, list[int]] = dev.capabilities.get("groups", {})
        if group not in groups:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, f"no zone group {group!r}; groups: {', '.join(sorted(groups))}"
            )
        return sorted(groups[group])
    assert zones is not None
    unknown = sorted(set(zones) - set(known))
    if unknown:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"zones {unknown} are not configured on {dev.id} (zones {known})"
        )
    return sorted(zones)


def _find(dev: Device | None, ann_id: str) -> dict[str, Any] | None:
    state = dev.state if dev is not None else None
    for item in [*(state or {}).get("active", []), *(state or {}).get("recent", [])]:
        if item.get("id") == ann_id:
            return dict(item)
    return None


def announcement_view(s: Session, cmd: Command) -> AnnouncementPublic:
    """Where an announcement stands, from the freshest source available."""
    dev = s.get(Device, (cmd.node_id, cmd.device_id)) if cmd.device_id else None
    final = (cmd.state_after or {}).get("announcement") if cmd.terminal else None
    live = final or _find(dev, cmd.id)
    args = cmd.args or {}
    zones_asked = args.get("zones") or (dev.capabilities.get("groups", {}).get(args.get("group"), []) if dev else [])
    sensitive = bool(dev is not None and zones_asked and sorted(zones_asked) == zone_numbers(dev))
    brief = CommandBrief(stage=cmd.stage, code=cmd.code, message=cmd.message, progress=cmd.progress)
    base = {
        "id": cmd.id,
        "mode": cmd.mode,
        "node_id": cmd.node_id,
        "system": cmd.device_id,
        "issued_by": cmd.issued_by,
        "issued_at": cmd.issued_at,
        "command": brief,
        "sensitive": sensitive,
        "approval": cmd.approval,
    }
    if live is not None:
        return AnnouncementPublic(
            **base,
            state=live["state"],
            priority=live.get("priority"),
            priority_class=live.get("priority_class"),
            content=live.get("content"),
            reason=live.get("reason", ""),
            zones={k: ZoneOutcomePublic.model_validate(v) for k, v in live.get("zones", {}).items()},
            history=live.get("history", []),
            calls=live.get("calls", []),
        )
    plan = (cmd.state_after or {}).get("plan") if cmd.mode == "test" else None
    if plan is not None:
        return _test_view(base, plan, cmd.message or "")
    if cmd.stage in _STAGE_STATES:
        state, reason = _STAGE_STATES[cmd.stage], cmd.message or ""
    elif cmd.stage == "unknown":
        state, reason = "unknown", cmd.message or "the edge gave no final answer"
    else:  # rejected, or failed before the edge took it
        state, reason = "failed", cmd.message or cmd.stage
    return AnnouncementPublic(
        **base,
        state=state,
        priority=None,
        priority_class=None,
        content=None,
        reason=reason,
        zones={str(z): ZoneOutcomePublic(zone=z, state=state, reason=reason) for z in zones_asked},
    )


def _test_view(base: dict[str, Any], plan: dict[str, Any], message: str) -> AnnouncementPublic:
    zones: dict[str, ZoneOutcomePublic] = {}
    for z in plan.get("play", []):
        zones[str(z)] = ZoneOutcomePublic(zone=z, state="completed", reason="test only: would play now")
    for z, loser in plan.get("preempt", {}).items():
        zones[str(z)] = ZoneOutcomePublic(zone=int(z), state="completed", reason=f"test only: would pre-empt {loser}")
    for z in plan.get("queue", []):
        zones[str(z)] = ZoneOutcomePublic(zone=z, state="queued", reason="test only: would wait for the zone")
    for z, why in plan.get("fail", {}).items():
        zones[str(z)] = ZoneOutcomePublic(zone=int(z), state="failed", reason=f"test only: {why}")
    return AnnouncementPublic(
        **base,
        state="completed",
        priority=None,
        priority_class=None,
        content=None,
        reason=message,
        zones=zones,
        plan=plan,
    )
