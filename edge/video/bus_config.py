"""Where the frame bus lives on this host: shared-memory folder, socket folder, names."""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, field_validator

CAMERA_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def default_runtime_dir() -> Path:
    """``$XDG_RUNTIME_DIR/cityedge`` when set, else ``/tmp/cityedge-<uid>`` (short: ipc paths have a limit)."""
    base = os.environ.get("XDG_RUNTIME_DIR")
    if base:
        return Path(base) / "cityedge"
    return Path(tempfile.gettempdir()) / f"cityedge-{os.getuid()}"


def check_camera_id(camera: str) -> str:
    """Return ``camera`` if it is a valid camera id (it becomes part of file and socket names)."""
    if not CAMERA_ID.match(camera):
        raise ValueError(f"camera id {camera!r} must match {CAMERA_ID.pattern}")
    return camera


class BusConfig(BaseModel):
    """Frame bus settings shared by a camera's producer and its consumers on one host."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    shm_dir: Path = Field(default=Path("/dev/shm"), description="tmpfs folder holding the rings (POSIX shm).")
    runtime_dir: Path = Field(
        default_factory=default_runtime_dir, description="Folder for the ZeroMQ ipc sockets that announce frames."
    )
    prefix: str = Field(
        default="cityedge",
        pattern=r"^[A-Za-z0-9_-]{1,32}$",
        description="Name prefix of this deployment's segments, so two stacks on one host do not collide.",
    )
    slots: int = Field(default=8, ge=2, le=64, description="Frames held per camera ring.")

    @field_validator("runtime_dir")
    @classmethod
    def _short_enough(cls, value: Path) -> Path:
        if len(str(value)) > 80:
            raise ValueError(f"runtime_dir {str(value)!r} is too long for ipc socket paths (80 characters at most)")
        return value

    def segment_glob(self, camera: str) -> str:
        """Glob of every ring segment of ``camera`` under :attr:`shm_dir`."""
        return f"{self.prefix}.{check_camera_id(camera)}.{'?' * 16}"

    def segment_name(self, camera: str, generation: int) -> str:
        """File name of one generation of ``camera``'s ring."""
        return f"{self.prefix}.{check_camera_id(camera)}.{generation:016x}"

    def endpoint(self, camera: str) -> str:
        """ZeroMQ endpoint on which ``camera``'s producer announces frames."""
        return f"ipc://{self.runtime_dir}/{self.prefix}.{check_camera_id(camera)}.frames"
