"""Public representation of approval requests (two-person rule): API responses and ``approval`` stream messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from control_room.store.models import ApprovalRow


class ApprovalPublic(BaseModel):
    """A sensitive action and where its approval stands (API responses and ``approval`` stream messages)."""

    model_config = ConfigDict(from_attributes=True)

    id: str = Field(description="Approval request id.")
    action: str = Field(description="pa.announce_all or lighting.override_all.")
    summary: str = Field(description="One sentence: what would be sent, LIVE or TEST first.")
    params: dict[str, Any] = Field(description="The validated request body.")
    targets: dict[str, Any] = Field(description="What it reaches: PA system and zones, or the lighting zones.")
    mode: str = Field(description="live or test (a test request is approved like a live one; the edge plays nothing).")
    requested_by: str = Field(description="Who asked for it.")
    requested_at: datetime = Field(description="When.")
    expires_at: datetime = Field(description="Nothing is sent if it is not approved by then.")
    state: str = Field(description="pending, approved, rejected, expired or cancelled.")
    decided_by: str | None = Field(description="Who approved, rejected or cancelled it (control-room: expiry).")
    decided_at: datetime | None = Field(description="When.")
    reason: str = Field(description="Why it was rejected or cancelled.")
    command_ids: list[str] = Field(description="Commands sent on approval (follow them at /api/v1/commands/{id}).")


def approval_view(row: ApprovalRow) -> dict[str, Any]:
    """JSON-ready approval."""
    return ApprovalPublic.model_validate(row).model_dump(mode="json")


class AwaitingApproval(BaseModel):
    """202 answer to a sensitive request: nothing was sent; it waits for a supervisor's approval."""

    id: None = Field(default=None, description="No command yet: null until approved (see approval.command_ids).")
    state: Literal["awaiting_approval"] = Field(default="awaiting_approval", description="awaiting_approval.")
    approval: ApprovalPublic = Field(description="The approval request; approve it at /api/v1/approvals/{id}/approve.")
