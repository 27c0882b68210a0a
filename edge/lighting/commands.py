"""The lighting service's commands: set_level, override, clear_override (zones) and set_schedules (``lighting``)."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from edge.contract.lighting import (
    CONTROLLER_DEVICE,
    ClearOverrideArgs,
    OverrideArgs,
    SetLevelArgs,
    SetSchedulesArgs,
)
from edge.contract.payloads import Command
from edge.errors import CommandFailed, CommandRejected
from edge.lighting.overrides import Override
from edge.lighting.zone import Settled, ZoneController, shown, utcnow
from edge.services.base import CommandOutcome, parse_args

if TYPE_CHECKING:
    from edge.lighting.service import LightingService

ZONE_ACTIONS = ["set_level", "override", "clear_override"]
CONTROLLER_ACTIONS = ["set_schedules"]


def validate(svc: LightingService, device: str, command: Command) -> None:
    """Refuse bad arguments before the command is accepted."""
    if device == CONTROLLER_DEVICE:
        doc = parse_args(SetSchedulesArgs, command)
        unknown = sorted(set(doc.schedule.zones) - set(svc.zones))
        if unknown:
            raise CommandRejected(
                "invalid_args",
                f"schedule names zone(s) {', '.join(unknown)} that node {svc.ctx.node_id} does not have "
                f"(it has {', '.join(sorted(svc.zones))})",
            )
        return
    zone = svc.zones[device]
    if command.action == "set_level":
        parse_args(SetLevelArgs, command)
    elif command.action == "override":
        parse_args(OverrideArgs, command)
    elif command.action == "clear_override":
        args = parse_args(ClearOverrideArgs, command)
        stack = svc.book.stack(zone.id, utcnow())
        if args.override_id is not None and all(o.id != args.override_id for o in stack):
            raise CommandRejected("unknown_override", f"{zone.id} holds no override {args.override_id}")
        if args.override_id is None and not any(o.active(utcnow()) for o in stack):
            raise CommandRejected("no_override", f"no override is in force on {zone.id}")


async def execute(svc: LightingService, device: str, command: Command) -> CommandOutcome:
    """Carry out an accepted command."""
    if device == CONTROLLER_DEVICE:
        return _set_schedules(svc, command)
    zone = svc.zones[device]
    now = utcnow()
    if command.action == "set_level":
        level_args = parse_args(SetLevelArgs, command)
        if command.mode == "test":
            return _test(svc, zone, f"{level_args.level}%")
        svc.book.set_manual(
            zone.id,
            level_args.level,
            now,
            override_id=command.command_id,
            issued_by=command.issued_by,
            duration_s=level_args.duration_s,
        )
        settled = await zone.settle(
            tag=command.command_id, fade_ms=level_args.fade_ms, force=True, command_id=command.command_id
        )
        return _outcome(svc, zone, settled, level_args.level, "level")
    if command.action == "override":
        args = parse_args(OverrideArgs, command)
        if command.mode == "test":
            return _test(svc, zone, f"{args.level}% for {args.duration_s} s (override)")
        override = Override(
            id=command.command_id,
            zone=zone.id,
            level=args.level,
            priority=args.priority,
            starts_at=now,
            expires_at=now + dt.timedelta(seconds=args.duration_s),
            reason=args.reason,
            issued_by=command.issued_by,
            kind="incident",
            approval=command.approval,
        )
        # a zone that follows no schedule and was never set returns to what its luminaires show now
        svc.book.note_level(zone.id, zone.commanded if zone.commanded is not None else zone.summary().lowest)
        svc.book.add_override(override)
        svc.emit(
            zone.id,
            "lighting.override_started",
            {
                "override_id": override.id,
                "level": override.level,
                "priority": override.priority,
                "expires_at": override.expires_at.isoformat(),
                "reason": override.reason,
                "issued_by": override.issued_by,
                "approval": override.approval.model_dump(mode="json") if override.approval else None,
            },
        )
        settled = await zone.settle(
            tag=command.command_id, fade_ms=args.fade_ms, force=True, command_id=command.command_id
        )
        return _outcome(svc, zone, settled, args.level, "override")
    if command.action == "clear_override":
        clear = parse_args(ClearOverrideArgs, command)
        if command.mode == "test":
            return _test(svc, zone, "its override cleared")
        removed = svc.book.remove_override(zone.id, clear.override_id, now)
        if removed is None:
            raise CommandFailed("no_override", f"no override to clear on {zone.id} (it may just have expired)")
        svc.emit(
            zone.id,
            "lighting.override_ended",
            {"override_id": removed.id, "reason": "cleared", "cleared_by": command.issued_by},
        )
        settled = await zone.settle(tag=command.command_id, force=True, command_id=command.command_id)
        return _outcome(svc, zone, settled, None, "clear")
    raise CommandRejected("unknown_action", f"{device} does not accept {command.action}")


def _test(svc: LightingService, zone: ZoneController, what: str) -> CommandOutcome:
    return CommandOutcome(
        code="test",
        message=f"test only: {len(zone.luminaires)} luminaires of {zone.id} would go to {what}",
        state_after=svc.zone_state_dict(zone),
    )


def _outcome(
    svc: LightingService, zone: ZoneController, settled: Settled | None, asked: int | None, what: str
) -> CommandOutcome:
    state = svc.zone_state_dict(zone, with_levels=True)
    if settled is None:
        return CommandOutcome(message=f"{zone.id} has no level to follow: nothing sent", state_after=state)
    level = settled.target.level
    result = settled.result
    missing = [lum for lum in zone.luminaires if not zone.hw_of[lum].at_level(lum, level)]
    if result is not None and result.errors and not result.reached:
        code, message = result.errors[0]
        raise CommandFailed(code, f"{zone.id}: {message}", state_after=state)
    if missing:
        retries = svc.settings.reconcile.retries
        raise CommandFailed(
            "not_confirmed",
            f"{len(missing)} of {len(zone.luminaires)} luminaires in {zone.id} did not confirm {level}% "
            f"(after {retries} re-send{'s' if retries != 1 else ''}): {shown(missing)}",
            state_after=state,
        )
    held = settled.target.override
    if asked is not None and level != asked and held is not None:
        message = (
            f"{zone.id} stays at {level}%: held by {held.kind} override {held.id} ({held.reason}) until "
            f"{held.expires_at.isoformat(timespec='seconds')}; {asked}% applies after it"
        )
    elif what == "clear":
        count = len(zone.luminaires)
        message = f"override cleared: {count} luminaires of {zone.id} back to {level}% ({settled.target.source})"
    else:
        until = f" until {held.expires_at.isoformat(timespec='seconds')}" if held is not None else ""
        message = f"{len(zone.luminaires)} luminaires of {zone.id} at {level}%{until}"
    return CommandOutcome(message=message, state_after=state)


def _set_schedules(svc: LightingService, command: Command) -> CommandOutcome:
    args = parse_args(SetSchedulesArgs, command)
    if command.mode == "test":
        return CommandOutcome(code="test", message=f"test only: schedule for {len(args.schedule.zones)} zone(s) valid")
    svc.book.replace_schedule(args.schedule, command.issued_by, utcnow())
    svc.emit(
        CONTROLLER_DEVICE,
        "lighting.schedule_replaced",
        {"by": command.issued_by, "zones": sorted(args.schedule.zones), "profiles": sorted(args.schedule.profiles)},
    )
    svc.schedule_changed()
    state: dict[str, Any] = svc.controller_state_dict()
    return CommandOutcome(
        message=f"schedule replaced on {svc.ctx.node_id}: {len(args.schedule.zones)} zone(s) follow it",
        state_after=state,
    )
