"""The audit log for supervisors and admins: search, verify the hash chain, export as CSV or JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import StreamingResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from control_room.api.deps import ContextDep, CurrentUser, SessionDep, require
from control_room.audit import record, verify_chain
from control_room.audit_anchor import AuditAnchor
from control_room.audit_query import AuditFilter, export_csv, export_json, page
from control_room.security.roles import Perm

router = APIRouter(prefix="/api/v1/audit", tags=["audit"])
AuditReader = Annotated[CurrentUser, Depends(require(Perm.AUDIT_READ))]
PLAIN = r"^[^\x00-\x1f\x7f]*$"
MAX_ID = 2**63 - 1


class AuditPublic(BaseModel):
    """One audit row."""

    model_config = ConfigDict(from_attributes=True)
    id: int = Field(description="Row id (increasing; page with before_id).")
    ts: datetime = Field(description="When.")
    actor: str = Field(description="Username, node:<id>, control-room or system; 'anonymous' without a valid token.")
    role: str | None = Field(description="The actor's role at the time.")
    action: str = Field(description="What, e.g. alert.ack, command.set_level, auth.login, http.post.")
    target: str | None = Field(description="What it was done to, e.g. alert:12, a node/device, a path.")
    params: dict[str, Any] = Field(description="Parameters, secrets masked.")
    result: str = Field(description="ok, denied, unchanged, rejected, error …")
    source_ip: str | None = Field(description="Address of the caller.")
    hash: str = Field(description="SHA-256 linking this row to the one before.")


class VerifyResult(BaseModel):
    """Outcome of walking the hash chain."""

    ok: bool = Field(description="Every row fits the chain and the anchored newest row is present.")
    rows: int = Field(description="Rows checked.")
    first_bad: int | None = Field(description="Id of the first row that does not fit, or of the anchored row missing.")
    anchored_id: int | None = Field(description="Id of the newest row recorded outside the store, if any.")
    detail: str | None = Field(description="What is wrong, in a sentence.")


class ExportFormat(StrEnum):
    """Download formats."""

    CSV = "csv"
    JSON = "json"


def audit_filter(
    actor: Annotated[
        str | None, Query(max_length=64, pattern=PLAIN, description="Only this actor (case-insensitive).")
    ] = None,
    action: Annotated[
        str | None,
        Query(max_length=64, pattern=PLAIN, description="Only this action; a trailing * matches a prefix (alert.*)."),
    ] = None,
    target: Annotated[
        str | None, Query(max_length=300, pattern=PLAIN, description="Only this target, e.g. alert:12.")
    ] = None,
    since: Annotated[AwareDatetime | None, Query(description="From this time (ISO 8601 with zone).")] = None,
    until: Annotated[AwareDatetime | None, Query(description="Before this time (ISO 8601 with zone).")] = None,
) -> AuditFilter:
    """The filters shared by the list and the export."""
    return AuditFilter(actor, action, target, since, until)


FilterDep = Annotated[AuditFilter, Depends(audit_filter)]


@router.get("", summary="Search the audit log")
def list_audit(
    user: AuditReader,
    s: SessionDep,
    flt: FilterDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
    before_id: Annotated[
        int | None, Query(ge=1, le=MAX_ID, description="Only rows older than this id (next page).")
    ] = None,
) -> list[AuditPublic]:
    """Matching rows, newest first."""
    return [AuditPublic.model_validate(r) for r in page(s, flt, limit, before_id)]


@router.get("/verify", summary="Verify the audit log's hash chain")
def verify(user: AuditReader, ctx: ContextDep, s: SessionDep) -> VerifyResult:
    """Walk every row; detects an edited row, a deleted row and (with the anchor) deleted newest rows."""
    anchor_file = AuditAnchor(ctx.settings.resolved_audit_anchor_path(), ctx.store)
    try:
        anchor = anchor_file.read()
    except ValueError as err:
        result = verify_chain(s)
        return VerifyResult(**result, anchored_id=None, detail=f"{err}; the newest rows cannot be checked")
    result = verify_chain(s, (anchor.last_id, anchor.hash) if anchor else None)
    detail = None
    if not result["ok"]:
        if anchor is not None and result["first_bad"] == anchor.last_id:
            detail = f"row {anchor.last_id}, anchored outside the store, is missing or altered"
        else:
            detail = f"row {result['first_bad']} does not fit the chain: it or the row before it was edited or deleted"
    return VerifyResult(**result, anchored_id=anchor.last_id if anchor else None, detail=detail)


@router.get("/export", summary="Download the audit log as CSV or JSON", response_class=StreamingResponse)
def export(
    user: AuditReader,
    ctx: ContextDep,
    s: SessionDep,
    flt: FilterDep,
    format: Annotated[ExportFormat, Query(description="csv or json.")] = ExportFormat.CSV,
    limit: Annotated[int | None, Query(ge=1, le=10_000_000, description="At most this many rows.")] = None,
) -> StreamingResponse:
    """Matching rows oldest first (with prev_hash, so the file can be checked on its own); the export is audited."""
    record(s, user.actor, "audit.export", None, {"format": format.value, **flt.describe(), "limit": limit})
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if format is ExportFormat.CSV:
        body, media = export_csv(ctx.store, flt, limit), "text/csv; charset=utf-8"
    else:
        body, media = export_json(ctx.store, flt, limit), "application/json"
    return StreamingResponse(
        body,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="audit-{stamp}.{format.value}"',
            "Cache-Control": "no-store",
        },
    )
