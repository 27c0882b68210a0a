"""Stored device events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from sqlalchemy import select

from control_room.api.deps import Reader, SessionDep
from control_room.store.models import Event
from control_room.views import EventPublic

router = APIRouter(prefix="/api/v1", tags=["events"])


@router.get("/events", summary="Device events")
def list_events(
    user: Reader,
    s: SessionDep,
    node: Annotated[str | None, Query(max_length=64, description="Only this node.")] = None,
    type: Annotated[str | None, Query(max_length=100, description="Only this event type.")] = None,
    after_id: Annotated[int, Query(ge=0, le=2**63 - 1, description="Only events stored after this id (paging).")] = 0,
    limit: Annotated[int, Query(ge=1, le=5000, description="At most this many.")] = 200,
) -> list[EventPublic]:
    """Events in store order; page with ``after_id``."""
    q = select(Event).where(Event.id > after_id).order_by(Event.id).limit(limit)
    if node:
        q = q.where(Event.node_id == node)
    if type:
        q = q.where(Event.type == type)
    return [EventPublic.model_validate(e) for e in s.execute(q).scalars()]
