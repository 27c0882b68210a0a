"""Accounts: one per person. Only an admin creates and changes them; everyone may see themself and change their
own password."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request, status
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from control_room import login_throttle
from control_room.accounts import UserChanges, create_user, set_own_password, update_user
from control_room.api.deps import ContextDep, SessionDep, UserAdmin, UserDep, client_ip
from control_room.audit import record
from control_room.errors import Conflict, NotFound
from control_room.login_throttle import ThrottlePolicy
from control_room.security.passwords import password_problem, verify_password
from control_room.security.roles import Role
from control_room.store.models import User

router = APIRouter(prefix="/api/v1/users", tags=["users"])
UserId = Annotated[int, Path(ge=1, le=2**31 - 1, description="Account id.")]


class UserCreate(BaseModel):
    """A new account."""

    model_config = ConfigDict(extra="forbid")
    username: str = Field(pattern=r"^[a-z][a-z0-9._-]{1,63}$", description="Personal login name (lower case).")
    password: str = Field(min_length=1, max_length=256, description="At least 12 characters; never returned.")
    role: Role = Field(description="viewer, operator, supervisor, engineer or admin.")
    full_name: str = Field(default="", max_length=200, description="The person's name.")


class UserUpdate(BaseModel):
    """An admin's change to an account; fields left out stay as they are."""

    model_config = ConfigDict(extra="forbid")
    role: Role | None = Field(default=None, description="New role; applies to the next request of the account.")
    disabled: bool | None = Field(default=None, description="true: the account can no longer log in; sessions end.")
    full_name: str | None = Field(default=None, max_length=200, description="The person's name.")
    password: str | None = Field(
        default=None, min_length=1, max_length=256, description="Password reset (at least 12 characters); sessions end."
    )
    unlock: bool = Field(default=False, description="true: lift a lock-out after failed logins.")


class PasswordChange(BaseModel):
    """The caller's own password change."""

    model_config = ConfigDict(extra="forbid")
    current_password: str = Field(min_length=1, max_length=256, description="The password in use now.")
    new_password: str = Field(min_length=1, max_length=256, description="At least 12 characters.")


class PasswordChanged(BaseModel):
    """The password is changed."""

    sessions_ended: int = Field(description="Other sessions of the account that were ended (this one stays).")


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


@router.get("/me", summary="The caller's own account")
def me(user: UserDep, s: SessionDep) -> UserPublic:
    """The account behind the bearer token (any role)."""
    account = s.get(User, user.id)
    if account is None:  # deleted between authentication and now
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no such account")
    return UserPublic.model_validate(account)


@router.post(
    "/me/password",
    summary="Change one's own password",
    responses={403: {"description": "Current password wrong."}, 429: {"description": "Throttled; see Retry-After."}},
)
def change_password(body: PasswordChange, user: UserDep, ctx: ContextDep, request: Request) -> PasswordChanged:
    """Any role. Wrong current passwords count as failed logins (same throttle); other sessions of the account end."""
    problem = password_problem(body.new_password, user.username)
    if problem:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, problem)
    ip = client_ip(request)
    policy = ThrottlePolicy.from_settings(ctx.settings)
    with ctx.store.session() as s:
        wait = login_throttle.admit(s, policy, user.username, ip, datetime.now(UTC))
        if wait is not None:
            record(s, user.actor, "user.password", f"user:{user.id}", {"retry_after_s": wait}, "throttled")
        account = s.get(User, user.id)
        current_hash = account.password_hash if account else None
    if wait is not None:
        raise HTTPException(
            status.HTTP_429_TOO_MANY_REQUESTS,
            f"too many failed attempts: try again in {wait} s",
            headers={"Retry-After": str(wait)},
        )
    ok = verify_password(current_hash, body.current_password)
    with ctx.store.session() as s:
        now = datetime.now(UTC)
        account = s.get(User, user.id)
        if not ok or account is None:
            login_throttle.failed(s, policy, user.username, ip, now)
            record(s, user.actor, "user.password", f"user:{user.id}", {}, "denied: current password wrong")
            ended = None
        else:
            login_throttle.succeeded(s, user.username, ip, now)
            ended = set_own_password(s, user.actor, account, body.new_password, user.session_id)
    if ended is None:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "current password is wrong")
    return PasswordChanged(sessions_ended=ended)


@router.get("/{user_id}", summary="One account")
def get_user(user_id: UserId, user: UserAdmin, s: SessionDep) -> UserPublic:
    """An account by id (admins)."""
    account = s.get(User, user_id)
    if account is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no user {user_id}")
    return UserPublic.model_validate(account)


@router.patch(
    "/{user_id}",
    summary="Change an account",
    responses={404: {"description": "No such account."}, 409: {"description": "Would leave no enabled admin."}},
)
def patch_user(user_id: UserId, body: UserUpdate, user: UserAdmin, s: SessionDep) -> UserPublic:
    """Role, disabled, name, password reset, unlock (admins). Audited with before and after; never the password."""
    changes = UserChanges(body.role, body.disabled, body.full_name, body.password, body.unlock)
    try:
        updated = update_user(s, user.actor, user_id, changes, datetime.now(UTC))
    except NotFound as err:
        raise HTTPException(status.HTTP_404_NOT_FOUND, str(err)) from err
    except Conflict as err:
        raise HTTPException(status.HTTP_409_CONFLICT, str(err)) from err
    except ValueError as err:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, str(err)) from err
    return UserPublic.model_validate(updated)
