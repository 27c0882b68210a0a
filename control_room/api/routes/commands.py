"""Commands and their stages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query, status
from sqlalchemy import select

from control_room.api.deps import Reader, SessionDep
from control_room.store.models import Command, CommandStageRow
from control_room.views import CommandDetail, CommandPublic, CommandStagePublic

router = APIRouter(prefix="/api/v1/commands", tags=["commands"])


@router.get("", summary="Recent commands")
def list_commands(
    user: Reader,
    s: SessionDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many, newest first.")] = 100,
) -> list[CommandPublic]:
    """Newest first."""
    rows = s.execute(select(Command).order_by(Command.issued_at.desc()).limit(limit)).scalars()
    return [CommandPublic.model_validate(r) for r in rows]


@router.get("/{command_id}", summary="A command with its stages")
def get_command(command_id: str, user: Reader, s: SessionDep) -> CommandDetail:
    """``stage`` is the latest; ``stages`` the history in arrival order."""
    row = s.get(Command, command_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no command {command_id}")
    stages = s.execute(
        select(CommandStageRow).where(CommandStageRow.command_id == command_id).order_by(CommandStageRow.id)
    ).scalars()
    detail = CommandDetail.model_validate(row)
    detail.stages = [CommandStagePublic.model_validate(st) for st in stages]
    return detail
