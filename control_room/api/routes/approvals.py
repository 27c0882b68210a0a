"""Sensitive actions waiting for a second person (two-person rule): list, approve, reject, cancel.

Approve and reject need the role ``supervisor`` itself (an admin manages accounts; it does not approve
broadcasts) and someone other than the requester. Cancel: the requester or a supervisor.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, HTTPException, Query, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from control_room.api.deps import Commander, ContextDep, CurrentUser, Reader, SessionDep, require
from control_room.approval_views import ApprovalPublic
from control_room.approvals import (
    ApprovalConflict,
    ApprovalError,
    ApprovalForbidden,
    ApprovalGone,
    ApprovalNotFound,
)
from control_room.security.roles import Perm
from control_room.store.models import ApprovalRow

router = APIRouter(prefix="/api/v1/approvals", tags=["approvals"])

Approver = Annotated[CurrentUser, Depends(require(Perm.APPROVE))]

_STATUS: dict[type[ApprovalError], int] = {
    ApprovalNotFound: status.HTTP_404_NOT_FOUND,
    ApprovalForbidden: status.HTTP_403_FORBIDDEN,
    ApprovalConflict: status.HTTP_409_CONFLICT,
    ApprovalGone: status.HTTP_410_GONE,
}


class RejectRequest(BaseModel):
    """Why the action is refused."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500, description="Why, for the requester and the record.")


class CancelRequest(BaseModel):
    """Why the request is withdrawn."""

    model_config = ConfigDict(extra="forbid")
    reason: str = Field(default="", max_length=500, description="Why, for the record.")


def _http(err: ApprovalError) -> HTTPException:
    return HTTPException(_STATUS.get(type(err), status.HTTP_409_CONFLICT), str(err))


@router.get("", summary="Sensitive actions and their approvals")
def list_approvals(
    user: Reader,
    ctx: ContextDep,
    s: SessionDep,
    state: Annotated[
        Literal["pending", "approved", "rejected", "expired", "cancelled"] | None,
        Query(description="Only this state."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=500, description="At most this many, newest first.")] = 100,
) -> list[ApprovalPublic]:
    """Newest first. Requests past their time are shown ``expired`` (never ``pending``)."""
    ctx.approvals.expire_due()
    query = select(ApprovalRow).order_by(ApprovalRow.requested_at.desc()).limit(limit)
    if state is not None:
        query = query.where(ApprovalRow.state == state)
    return [ApprovalPublic.model_validate(r) for r in s.execute(query).scalars()]


@router.get("/{approval_id}", summary="One approval request")
def get_approval(approval_id: str, user: Reader, ctx: ContextDep, s: SessionDep) -> ApprovalPublic:
    """What was asked, by whom, until when, and what became of it."""
    ctx.approvals.expire_due()
    row = s.get(ApprovalRow, approval_id)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no approval request {approval_id}")
    return ApprovalPublic.model_validate(row)


@router.post("/{approval_id}/approve", summary="Approve: the action is sent at once")
def approve(approval_id: str, user: Approver, ctx: ContextDep) -> ApprovalPublic:
    """Only a supervisor who did not ask for it, while it is pending (409 once decided, 410 once expired). The
    commands go out now, exactly as the request would have sent them, each carrying the approval; follow them
    through ``command_ids``. 503 when the broker is unreachable (the commands are then marked failed)."""
    try:
        decision = ctx.approvals.approve(user.actor, approval_id)
    except ApprovalError as err:
        raise _http(err) from err
    if decision.unsent:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"approved, but {len(decision.unsent)} of {len(decision.approval['command_ids'])} command(s) could not "
            f"be sent ({decision.problem}); they are marked failed: make a new request",
        )
    return ApprovalPublic.model_validate(decision.approval)


@router.post("/{approval_id}/reject", summary="Reject: nothing is sent")
def reject(approval_id: str, body: RejectRequest, user: Approver, ctx: ContextDep) -> ApprovalPublic:
    """Only a supervisor who did not ask for it, while it is pending."""
    try:
        return ApprovalPublic.model_validate(ctx.approvals.reject(user.actor, approval_id, body.reason))
    except ApprovalError as err:
        raise _http(err) from err


@router.post("/{approval_id}/cancel", summary="Withdraw a request: nothing is sent")
def cancel(approval_id: str, user: Commander, ctx: ContextDep, body: CancelRequest | None = None) -> ApprovalPublic:
    """The requester, or a supervisor, while it is pending."""
    reason = body.reason if body else ""
    try:
        return ApprovalPublic.model_validate(ctx.approvals.cancel(user.actor, approval_id, reason))
    except ApprovalError as err:
        raise _http(err) from err
