"""Small JSON documents the lighting service keeps on the edge's disk (schedules, overrides, energy).

Each is written whole to a temporary file, flushed to disk and renamed over the old one, so a crash or power cut
leaves either the old or the new document, never half of one.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


class JsonDocument:
    """One JSON document at ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any] | None:
        """The stored document, or ``None`` if there is none. An unreadable one is kept aside and logged."""
        try:
            raw = self.path.read_text()
        except FileNotFoundError:
            return None
        except OSError as err:
            log.error("cannot read %s: %s", self.path, err.strerror)
            return None
        try:
            doc = json.loads(raw)
            if not isinstance(doc, dict):
                raise ValueError(f"top level is {type(doc).__name__}, not an object")
        except ValueError as err:
            aside = self.path.with_suffix(self.path.suffix + ".bad")
            os.replace(self.path, aside)
            log.error("%s is not a valid document (%s); moved it to %s and started afresh", self.path, err, aside)
            return None
        return doc

    def save(self, doc: dict[str, Any]) -> None:
        """Replace the document atomically and durably."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(self.path.suffix + ".tmp")
        data = json.dumps(doc, separators=(",", ":"), default=str).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)
        dir_fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)
