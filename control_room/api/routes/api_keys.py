"""Integrator API keys: an admin creates one (shown once), lists them and revokes them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Path, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from control_room.api.deps import CurrentUser, SessionDep, require
from control_room.api_keys import create_key, revoke_key
from control_room.errors import Conflict, NotFound
from control_room.security.api_scopes import KEY_PREFIX, Scope
from control_room.security.roles import Perm
from control_room.store.models import ApiKey

router = APIRouter(prefix="/api/v1/api-keys", tags=["api-keys"])
KeyAdmin = Annotated[CurrentUser, Depends(require(Perm.API_KEYS_MANAGE))]
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="API key id.")]


class ApiKeyCreate(BaseModel):
    """A new integrator key."""

    model_config = ConfigDict(extra="forbid")
    name: str = Field(
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,56}$",
        description="Who uses it (the audit log shows apikey:<name>); unique.",
    )
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope), description="What the key may read.")


class ApiKeyPublic(BaseModel):
    """A key, without its secret."""

    model_config = ConfigDict(from_attributes=True)
    id: int = Field(description="Key id.")
    name: str = Field(description="Who uses it.")
    prefix: str = Field(description="How the key starts (ce_<id>_), to recognise it.")
    scopes: list[str] = Field(description="What the key may read.")
    created_at: datetime = Field(description="When created.")
    created_by: str = Field(description="Admin who created it.")
    revoked_at: datetime | None = Field(description="When revoked; a revoked key answers 401.")
    revoked_by: str | None = Field(description="Admin who revoked it.")
    last_used_at: datetime | None = Field(description="Last use (recorded at most once a minute).")


class ApiKeyCreated(ApiKeyPublic):
    """A new key, with the key itself: shown this once, never again."""

    key: str = Field(description="The key; send it as Authorization: Bearer … or X-API-Key. Shown only now.")


def _public(row: ApiKey) -> ApiKeyPublic:
    return ApiKeyPublic.model_validate(_fields(row))


def _fields(row: ApiKey) -> dict[str, object]:
    return {
        "id": row.id,
        "name": row.name,
        "prefix": f"{KEY_PREFIX}{row.id}_",
        "scopes": list(row.scopes),
        "created_at": row.created_at,
        "created_by": row.created_by,
        "revoked_at": row.revoked_at,
        "revoked_by": row.revoked_by,
        "last_used_at": row.last_used_at,
    }


@router.get("", summary="List API keys")
def list_keys(user: KeyAdmin, s: SessionDep) -> list[ApiKeyPublic]:
    """Every key, revoked ones included (admins)."""
    return [_public(row) for row in s.execute(select(ApiKey).order_by(ApiKey.id)).scalars()]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an API key")
def add_key(body: ApiKeyCreate, user: KeyAdmin, s: SessionDep) -> ApiKeyCreated:
    """A read-only key with scopes; the answer holds the key, which is stored only as a hash (admins)."""
    try:
        row, key = create_key(s, user.actor, body.name, body.scopes, datetime.now(UTC))
    except Conflict as err:
        raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from err
    return ApiKeyCreated.model_validate({**_fields(row), "key": key})


@router.delete("/{key_id}", summary="Revoke an API key")
def delete_key(key_id: KeyId, user: KeyAdmin, s: SessionDep) -> ApiKeyPublic:
    """Revoke at once (the row stays, for the record); revoking twice changes nothing (admins)."""
    try:
        row = revoke_key(s, user.actor, key_id, datetime.now(UTC))
    except NotFound as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    return _public(row)
