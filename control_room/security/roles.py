"""Roles and what each may do. Every route names the permission it needs."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """One role per account."""

    VIEWER = "viewer"
    OPERATOR = "operator"
    SUPERVISOR = "supervisor"
    ENGINEER = "engineer"
    ADMIN = "admin"


class Perm(StrEnum):
    """Permissions checked by routes."""

    READ = "read"
    COMMAND = "command"
    ALERTS_ACK = "alerts.ack"
    ALERTS_MANAGE = "alerts.manage"
    APPROVE = "approve"
    AUDIT_READ = "audit.read"
    DEVICES_MANAGE = "devices.manage"
    METRICS_READ = "metrics.read"
    USERS_MANAGE = "users.manage"
    API_KEYS_MANAGE = "apikeys.manage"


_OPERATOR = {Perm.READ, Perm.COMMAND, Perm.ALERTS_ACK}
PERMISSIONS: dict[Role, frozenset[Perm]] = {
    Role.VIEWER: frozenset({Perm.READ}),
    Role.OPERATOR: frozenset(_OPERATOR),
    Role.SUPERVISOR: frozenset(_OPERATOR | {Perm.ALERTS_MANAGE, Perm.APPROVE, Perm.AUDIT_READ}),
    Role.ENGINEER: frozenset({Perm.READ, Perm.COMMAND, Perm.DEVICES_MANAGE, Perm.METRICS_READ}),
    # The admin account exists from the first start, before anyone else: it may do everything.
    Role.ADMIN: frozenset(Perm),
}


def allowed(role: str, perm: Perm) -> bool:
    """Whether ``role`` carries ``perm``."""
    try:
        return perm in PERMISSIONS[Role(role)]
    except ValueError:
        return False
