"""Cameras added at run time (``add_camera``), kept in the node's data directory so they survive a restart.

The file holds the cameras' passwords (the node needs them to reconnect): it is created with mode 0600 and
replaced atomically; nothing from it is logged.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from pydantic import ValidationError

from edge.contract.cctv import AddCameraArgs

log = logging.getLogger(__name__)


class CameraStore:
    """``data_dir/cctv-cameras.json``: a JSON list of ``add_camera`` arguments."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> list[AddCameraArgs]:
        """The stored cameras; an unreadable entry is skipped and logged (by id only)."""
        if not self.path.exists():
            return []
        try:
            raw = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            log.error("cannot read %s (%s); cameras added at run time are not restored", self.path, type(err).__name__)
            return []
        out = []
        for item in raw if isinstance(raw, list) else []:
            try:
                out.append(AddCameraArgs.model_validate(item))
            except ValidationError:
                log.error(
                    "skipped an unreadable camera entry %r in %s",
                    item.get("id") if isinstance(item, dict) else "?",
                    self.path,
                )
        return out

    def save(self, cameras: list[AddCameraArgs]) -> None:
        """Replace the file atomically (mode 0600)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump([c.model_dump(mode="json") for c in cameras], f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
