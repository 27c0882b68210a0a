"""Control-room settings, read from the environment (``CITYEDGE_*``) by the app factory — never at import time."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from control_room.errors import SettingsError
from edge.contract.payloads import describe_validation_error


class Settings(BaseSettings):
    """Everything the control room needs to run."""

    model_config = SettingsConfigDict(env_prefix="CITYEDGE_", extra="forbid")

    data_dir: Path = Field(default=Path(".cityedge"), description="Where the SQLite store and secrets live.")
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default sqlite:///DATA_DIR/control-room.db. PostgreSQL: postgresql+psycopg://…",
    )
    mqtt_url: str = Field(default="mqtt://127.0.0.1:1883", description="JCCR broker, mqtt://host:port.")
    mqtt_username: str | None = Field(default=None, description="MQTT username.")
    mqtt_password: SecretStr | None = Field(default=None, description="MQTT password.")
    host_id: str = Field(
        default="jccr", pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$", description="This control room's id on MQTT."
    )
    http_host: str = Field(default="127.0.0.1", description="Address the HTTP server binds.")
    http_port: int = Field(default=8080, ge=0, le=65535, description="HTTP port.")
    jwt_secret: SecretStr | None = Field(
        default=None, description="HMAC key for access tokens; default: generated once into DATA_DIR/jwt-secret."
    )
    token_ttl_s: int = Field(default=900, ge=60, le=86400, description="Access-token lifetime in seconds.")
    command_grace_s: float = Field(
        default=10.0, ge=0, description="After expires_at + this, a command with no terminal stage becomes unknown."
    )
    admin_password: SecretStr | None = Field(
        default=None, description="Password of the first account, 'admin'; generated and printed once when unset."
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(default="info", description="Log level.")
    ws_queue: int = Field(default=10_000, ge=10, description="Messages buffered per WebSocket client before it is cut.")
    evidence_key: SecretStr | None = Field(
        default=None, description="Key for the HMAC in the seal of exported evidence packages; none: SHA-256 only."
    )
    session_ttl_s: int = Field(
        default=12 * 3600, ge=300, le=7 * 86400, description="A console session ends this long after login (a shift)."
    )
    session_idle_s: int = Field(
        default=1800, ge=60, le=86400, description="A console session ends after this long without a request."
    )
    session_recheck_s: float = Field(
        default=15.0, gt=0, le=300, description="How often an open console WebSocket re-checks its session."
    )
    session_cookie_secure: bool | None = Field(
        default=None, description="Mark the session cookie Secure: true, false, or unset = when the request is https."
    )
    approval_timeout_s: float = Field(
        default=300.0,
        gt=0,
        le=86400,
        description="A sensitive action (two-person rule) not approved within this many seconds expires unsent.",
    )
    refresh_ttl_s: int = Field(
        default=43_200,
        ge=300,
        le=30 * 86_400,
        description="Lifetime of a login session (its refresh tokens); rotation does not extend it. Default 12 h.",
    )
    login_window_s: int = Field(
        default=900, ge=10, le=86_400, description="Window in which failed logins are counted (per account/address)."
    )
    login_max_failures_account: int = Field(
        default=5, ge=1, le=1000, description="Failed logins on one account within the window before it is locked."
    )
    login_max_failures_address: int = Field(
        default=20, ge=1, le=10_000, description="Failed logins from one address within the window before it is locked."
    )
    login_lockout_s: int = Field(
        default=300, ge=1, le=86_400, description="First lock-out in seconds; each further lock-out doubles it."
    )
    login_lockout_max_s: int = Field(
        default=3600, ge=1, le=7 * 86_400, description="Longest lock-out in seconds (the doubling stops here)."
    )
    alert_escalation_s: float = Field(
        default=120.0, gt=0, description="An unacknowledged priority-1 alert older than this goes to supervisors."
    )
    audit_anchor_path: Path | None = Field(
        default=None,
        description="File holding the newest audit row's id and hash (catches deleted newest rows); "
        "default DATA_DIR/audit-anchor.json. Keep it where the database's users cannot write.",
    )

    def resolved_audit_anchor_path(self) -> Path:
        """Where the audit anchor is kept."""
        return self.audit_anchor_path or self.data_dir / "audit-anchor.json"

    def resolved_database_url(self) -> str:
        """The store URL, defaulting to SQLite in the data directory."""
        return self.database_url or f"sqlite:///{self.data_dir.resolve() / 'control-room.db'}"

    def resolved_jwt_secret(self) -> SecretStr:
        """The token key: configured, or read from (created once in) DATA_DIR/jwt-secret with mode 0600."""
        if self.jwt_secret is not None:
            if len(self.jwt_secret.get_secret_value()) < 32:
                raise SettingsError("CITYEDGE_JWT_SECRET must be at least 32 characters")
            return self.jwt_secret
        path = self.data_dir / "jwt-secret"
        if not path.exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(secrets.token_urlsafe(48))
        return SecretStr(path.read_text().strip())


def load_settings(**overrides: object) -> Settings:
    """Read settings from the environment, with explicit overrides; errors name the bad variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as err:
        raise SettingsError(f"control-room settings: {describe_validation_error(err)}") from err
