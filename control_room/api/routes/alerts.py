"""Alerts: list and read them; acknowledge, take or assign, add notes, close. Every change goes to the stream."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status
from fastapi import Path as PathParam
from pydantic import BaseModel, ConfigDict, Field, field_validator
from sqlalchemy import select
from sqlalchemy.orm import Session, defer

from control_room import alert_workflow as wf
from control_room.api.deps import ContextDep, CurrentUser, Reader, SessionDep, require
from control_room.errors import Conflict, NotFound
from control_room.security.roles import Perm
from control_room.store.models import Alert, AlertTimelineRow
from control_room.views import AlertDetail, AlertPublic, AlertTimelineEntry, alert_view

router = APIRouter(prefix="/api/v1/alerts", tags=["alerts"])
AlertHandler = Annotated[CurrentUser, Depends(require(Perm.ALERTS_ACK))]
AlertId = Annotated[int, PathParam(ge=1, le=2**63 - 1, description="Alert id.")]
NOTE_MAX = 2000
PLAIN = r"^[^\x00-\x1f\x7f]*$"


class AlertState(StrEnum):
    """Workflow states."""

    NEW = "new"
    ACKNOWLEDGED = "acknowledged"
    IN_PROGRESS = "in_progress"
    CLOSED = "closed"


def _clean_text(value: str) -> str:
    """Trimmed text without control characters (line breaks and tabs allowed)."""
    value = value.strip()
    if not value:
        raise ValueError("must not be blank")
    bad = [c for c in value if unicodedata.category(c) == "Cc" and c not in "\n\t"]
    if bad:
        raise ValueError(f"must not contain control characters (found U+{ord(bad[0]):04X})")
    return value


class NoteBody(BaseModel):
    """A note on an alert."""

    model_config = ConfigDict(extra="forbid")
    text: str = Field(min_length=1, max_length=NOTE_MAX, description="The note, 1-2000 characters, no control codes.")

    _clean = field_validator("text")(_clean_text)


class OptionalNote(BaseModel):
    """An optional note going with an acknowledgement or a close."""

    model_config = ConfigDict(extra="forbid")
    note: str | None = Field(default=None, max_length=NOTE_MAX, description="Optional note, at most 2000 characters.")

    @field_validator("note")
    @classmethod
    def _clean(cls, value: str | None) -> str | None:
        return None if value is None or not value.strip() else _clean_text(value)


class AssignBody(BaseModel):
    """Who owns the alert."""

    model_config = ConfigDict(extra="forbid")
    owner: str | None = Field(
        max_length=64,
        pattern=PLAIN,
        description="Username of the new owner (yourself to take it), or null to release it.",
    )


@router.get("", summary="Alerts")
def list_alerts(
    user: Reader,
    s: SessionDep,
    state: Annotated[list[AlertState] | None, Query(description="Only these states (repeatable).")] = None,
    active: Annotated[bool | None, Query(description="Only alerts whose condition is (not) present.")] = None,
    priority_max: Annotated[int | None, Query(ge=1, le=5, description="Only priority 1 up to this.")] = None,
    owner: Annotated[
        str | None, Query(max_length=64, pattern=PLAIN, description="Only alerts owned by this user.")
    ] = None,
    include_closed: Annotated[bool, Query(description="Include closed alerts.")] = False,
    limit: Annotated[int, Query(ge=1, le=5000, description="At most this many.")] = 500,
) -> list[AlertPublic]:
    """Alerts by priority (1 first), then the most recently raised. Closed ones only when asked for."""
    # the pictures stay in the store: only whether there is one is read
    q = (
        select(Alert, Alert.snapshot_jpeg.is_not(None))
        .options(defer(Alert.snapshot_jpeg))
        .order_by(Alert.priority, Alert.last_raised_at.desc(), Alert.id.desc())
        .limit(limit)
    )
    if state:
        q = q.where(Alert.state.in_([st.value for st in state]))
    elif not include_closed:
        q = q.where(Alert.state != AlertState.CLOSED.value)
    if active is not None:
        q = q.where(Alert.active.is_(active))
    if priority_max is not None:
        q = q.where(Alert.priority <= priority_max)
    if owner:
        q = q.where(Alert.owner == owner)
    return [_summary(alert, bool(has_snapshot)) for alert, has_snapshot in s.execute(q)]


def _summary(alert: Alert, has_snapshot: bool) -> AlertPublic:
    fields = {name: getattr(alert, name) for name in AlertPublic.model_fields if name != "has_snapshot"}
    return AlertPublic.model_validate({**fields, "has_snapshot": has_snapshot})


def _detail(s: Session, alert: Alert) -> AlertDetail:
    rows = s.execute(
        select(AlertTimelineRow).where(AlertTimelineRow.alert_id == alert.id).order_by(AlertTimelineRow.id)
    ).scalars()
    timeline = [AlertTimelineEntry.model_validate(r) for r in rows]
    return AlertDetail(
        **AlertPublic.model_validate(alert).model_dump(),
        timeline=timeline,
        notes=[e for e in timeline if e.kind == "note"],
    )


@router.get("/{alert_id}", summary="One alert with its timeline")
def get_alert(alert_id: AlertId, user: Reader, s: SessionDep) -> AlertDetail:
    """The alert, its timeline (oldest first) and its notes."""
    alert = s.get(Alert, alert_id)
    if alert is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no alert {alert_id}")
    return _detail(s, alert)


def _apply(ctx: ContextDep, s: Session, change: Callable[[], Alert]) -> AlertPublic:
    """Run a workflow step, commit, publish the alert on the stream; workflow errors become 404/403/409/422."""
    try:
        alert = change()
    except NotFound as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    except wf.NotAllowed as err:
        raise HTTPException(status.HTTP_403_FORBIDDEN, str(err)) from err
    except wf.BadOwner as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    except Conflict as err:
        raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from err
    s.commit()
    view = alert_view(alert)
    ctx.hub.publish_threadsafe("alert", view)
    return AlertPublic.model_validate(view)


@router.post("/{alert_id}/ack", summary="Acknowledge an alert")
def ack(
    alert_id: AlertId, user: AlertHandler, ctx: ContextDep, s: SessionDep, body: OptionalNote | None = None
) -> AlertPublic:
    """``new`` → ``acknowledged`` (stops escalation). Acknowledging again changes nothing. 409 once closed."""
    note = body.note if body else None
    return _apply(ctx, s, lambda: wf.acknowledge(s, user.actor, alert_id, note))


@router.post("/{alert_id}/assign", summary="Take or assign an alert")
def assign(alert_id: AlertId, body: AssignBody, user: AlertHandler, ctx: ContextDep, s: SessionDep) -> AlertPublic:
    """Owner set → ``in_progress``; null → back to ``acknowledged``. Operators may take an unowned alert (owner =
    themselves); assigning to someone else or taking over someone else's needs a supervisor. Unknown, disabled or
    viewer accounts are refused (422)."""
    return _apply(ctx, s, lambda: wf.assign(s, user.actor, alert_id, body.owner))


@router.post("/{alert_id}/notes", summary="Add a note to an alert")
def add_note(alert_id: AlertId, body: NoteBody, user: AlertHandler, ctx: ContextDep, s: SessionDep) -> AlertPublic:
    """Append a note to the timeline (closed alerts too)."""
    return _apply(ctx, s, lambda: wf.add_note(s, user.actor, alert_id, body.text))


@router.post("/{alert_id}/close", summary="Close an alert")
def close(
    alert_id: AlertId, user: AlertHandler, ctx: ContextDep, s: SessionDep, body: OptionalNote | None = None
) -> AlertPublic:
    """Its owner or a supervisor closes it, once the condition has cleared (409 while it is still active)."""
    note = body.note if body else None
    return _apply(ctx, s, lambda: wf.close(s, user.actor, alert_id, note))
