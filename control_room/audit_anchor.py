"""The audit anchor: the newest audit row's id and hash, kept outside the store.

The hash chain shows an edited row and a row deleted from the middle, but not the newest rows deleted (the rest
is still a valid chain). So about once a second the control room reads the head of the chain and writes it to a
file (``audit_anchor_path``, by default DATA_DIR/audit-anchor.json) — put it where the database's users cannot
write — and logs it whenever it moves. Verification then requires that row to be present and unchanged.

Limits: rows deleted within the second after they were written, before the anchor moved, go unnoticed; whoever
can write the anchor file can rewind it too. If the anchored row disappears, the anchor stays where it is (so
verification keeps failing) and a priority-1 alert is raised.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from control_room import alerts
from control_room.hub import Hub
from control_room.periodic import Periodic
from control_room.store.db import Store
from control_room.store.models import AuditRow
from control_room.views import alert_view
from edge.contract.payloads import Severity

log = logging.getLogger(__name__)

ALERT_KEY = "audit_chain"


@dataclass(frozen=True)
class Anchor:
    """A row of the audit log known to have been written."""

    last_id: int
    hash: str


class AuditAnchor:
    """Reads and advances the anchor file of one store."""

    def __init__(self, path: Path, store: Store, hub: Hub | None = None, interval_s: float = 1.0) -> None:
        self.path = path
        self.store = store
        self.hub = hub
        rendered = store.engine.url.render_as_string(hide_password=True)
        self.store_id = hashlib.sha256(rendered.encode()).hexdigest()[:16]
        self.thread = Periodic("control-room-audit-anchor", interval_s, self.advance)

    def start(self) -> None:
        """Advance the anchor about once per ``interval_s`` in a thread of its own."""
        self.thread.start()

    def stop(self) -> None:
        """Stop the thread, after one last advance (so rows written just before shutdown are anchored)."""
        self.thread.stop()
        try:
            self.advance()
        except Exception:
            log.exception("could not advance the audit anchor at shutdown")

    def read(self) -> Anchor | None:
        """The anchor of this store, if one was written."""
        try:
            doc = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as err:
            raise ValueError(f"audit anchor {self.path} is unreadable: {err}") from err
        if doc.get("store") != self.store_id:
            return None
        return Anchor(int(doc["last_id"]), str(doc["hash"]))

    def advance(self) -> None:
        """Move the anchor to the newest row, unless the anchored row is gone or altered (then raise an alert)."""
        alarm: dict[str, Any] | None = None
        with self.store.session() as s:
            current = self.read()
            if current is not None and not self._intact(s, current):
                alarm = self._alarm(s, current)
                head = None
            else:
                head = s.execute(select(AuditRow.id, AuditRow.hash).order_by(AuditRow.id.desc()).limit(1)).first()
        if alarm is not None and self.hub is not None:
            self.hub.publish_threadsafe("alert", alarm)
        if head is None or (current is not None and head.id <= current.last_id):
            return
        self._write(Anchor(head.id, head.hash))
        log.info("audit log head: row %d, hash %s", head.id, head.hash)

    @staticmethod
    def _intact(s: Session, anchor: Anchor) -> bool:
        stored = s.execute(select(AuditRow.hash).where(AuditRow.id == anchor.last_id)).scalar()
        return stored == anchor.hash

    @staticmethod
    def _alarm(s: Session, anchor: Anchor) -> dict[str, Any] | None:
        existing = alerts.open_alert(s, ALERT_KEY)
        if existing is not None and existing.active:
            return None
        message = f"the audit log no longer holds row {anchor.last_id} as it was written: rows were deleted or altered"
        log.error("%s", message)
        alert, _ = alerts.raise_alert(
            s, ALERT_KEY, "control_room", "audit_tampered", Severity.CRITICAL, message, data={"row": anchor.last_id}
        )
        return alert_view(alert)

    def _write(self, anchor: Anchor) -> None:
        doc: dict[str, Any] = {
            "store": self.store_id,
            "last_id": anchor.last_id,
            "hash": anchor.hash,
            "written_at": datetime.now(UTC).isoformat(),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(json.dumps(doc))
        os.replace(tmp, self.path)
