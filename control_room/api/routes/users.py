"""Accounts: one per person. Only an admin creates them."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, HTTPException, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from control_room.accounts import create_user
from control_room.api.deps import SessionDep, UserAdmin
from control_room.errors import Conflict
from control_room.security.roles import Role
from control_room.store.models import User

router = APIRouter(prefix="/api/v1/users", tags=["users"])


class UserCreate(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[a-z][a-z0-9._-]{1,63}$", description="Personal login name (lower case).")
    password: str = Field(min_length=1, max_length=256, description="At least 12 characters; never returned.")
    role: Role = Field(description="viewer, operator, supervisor, engineer or admin.")
    full_name: str = Field(default="", max_length=200, description="The person's name.")


class UserPublic(BaseModel):
    """An account, without its password hash."""

    model_config = ConfigDict(from_attributes=True)
    id: int = Field(description="Account id.")
    username: str = Field(description="Login name.")
    full_name: str = Field(description="The person's name.")
    role: str = Field(description="Role.")
    disabled: bool = Field(description="Disabled accounts cannot log in.")
    created_at: datetime = Field(description="When created.")
    created_by: str | None = Field(description="Who created it.")
    last_login_at: datetime | None = Field(description="Last successful login.")


@router.get("", summary="List accounts")
def list_users(user: UserAdmin, s: SessionDep) -> list[UserPublic]:
    """Every account."""
    return [UserPublic.model_validate(u) for u in s.execute(select(User).order_by(User.id)).scalars()]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create an account")
def add_user(body: UserCreate, user: UserAdmin, s: SessionDep) -> UserPublic:
    """Create a personal account (no shared logins)."""
    try:
        created = create_user(s, user.actor, body.username, body.password, body.role, body.full_name)
    except Conflict as err:
        raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from err
    except ValueError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    return UserPublic.model_validate(created)
