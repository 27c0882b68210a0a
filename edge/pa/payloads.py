"""Engine snapshots as contract payloads, and contract arguments as engine requests."""

from __future__ import annotations

from typing import Literal

from edge.contract.pa import (
    AnnounceArgs,
    AnnouncementPayload,
    PaFaultPayload,
    PaZoneState,
    TransitionPayload,
    ZoneOutcomePayload,
)
from edge.contract.payloads import Approval
from edge.pa.engine import AnnouncementEngine
from edge.pa.errors import PaRejected
from edge.pa.model import AnnouncementSnapshot, FaultSnapshot, PreemptPolicy, Request, Transition, ZoneSnapshot
from edge.pa.priorities import priority_class, resolve_priority


def _transitions(items: list[Transition]) -> list[TransitionPayload]:
    return [TransitionPayload(state=t.state.value, at=t.at.isoformat(), reason=t.reason) for t in items]


def announcement_payload(snap: AnnouncementSnapshot, mode: Literal["live", "test"] = "live") -> AnnouncementPayload:
    """An announcement snapshot on the contract."""
    return AnnouncementPayload(
        id=snap.id,
        state=snap.state.value,
        priority=snap.priority,
        priority_class=priority_class(snap.priority).value,
        content=snap.content,
        zones={
            str(n): ZoneOutcomePayload(
                zone=n, state=z.state.value, reason=z.reason, plays=z.plays, history=_transitions(z.history)
            )
            for n, z in sorted(snap.zones.items())
        },
        created_at=snap.created_at.isoformat(),
        history=_transitions(snap.history),
        label=snap.label,
        origin=snap.origin,
        reason=snap.reason,
        mode=mode,
        calls=[f"{c:04X}" for c in snap.call_ids],
        approval=snap.approval,
    )


def zone_state(snap: ZoneSnapshot) -> PaZoneState:
    """A zone snapshot on the contract."""
    if snap.faults or snap.controller == "F":
        state: Literal["idle", "busy", "fault", "unknown"] = "fault"
    elif snap.busy_with is not None or snap.controller.startswith("B"):
        state = "busy"
    elif snap.controller == "?":
        state = "unknown"
    else:
        state = "idle"
    return PaZoneState(
        zone=snap.zone,
        name=snap.name,
        state=state,
        busy_with=snap.busy_with,
        priority=snap.priority,
        queued=list(snap.queued),
        faults=list(snap.faults),
        controller=snap.controller,
    )


def fault_payload(snap: FaultSnapshot) -> PaFaultPayload:
    """A fault snapshot on the contract."""
    return PaFaultPayload(
        fault_id=snap.fault_id,
        kind=snap.kind,
        where=snap.where,
        description=snap.description,
        active=snap.active,
        zones=list(snap.zones),
    )


def request_of(
    args: AnnounceArgs, engine: AnnouncementEngine, announcement_id: str, origin: str, approval: Approval | None = None
) -> Request:
    """The engine request for ``announce`` arguments (validated by the engine; :class:`PaRejected` otherwise)."""
    try:
        priority = resolve_priority(args.priority)
    except ValueError as err:
        raise PaRejected("bad_priority", str(err)) from err
    return engine.validate(
        Request(
            zones=engine.resolve_zones(args.zones, args.group),
            priority=priority,
            message_ids=(args.message_id,) if args.message_id is not None else (),
            text=args.text,
            chime=args.chime,
            repeat=args.repeat,
            interval_s=args.interval_s,
            policy=PreemptPolicy(args.on_preempt) if args.on_preempt else None,
            max_wait_s=args.max_wait_s,
            label=args.label,
            origin=origin,
            announcement_id=announcement_id,
            approval=approval,
        )
    )
