"""Reading the audit log: filters, pages newest first, and streamed CSV/JSON exports."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from control_room.store.db import Store
from control_room.store.models import AuditRow

EXPORT_PAGE = 500
EXPORT_COLUMNS = ["id", "ts", "actor", "role", "action", "target", "params", "result", "source_ip", "prev_hash", "hash"]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class AuditFilter:
    """Which rows: by actor, action (``alert.*`` matches a prefix), target, and time."""

    actor: str | None = None
    action: str | None = None
    target: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    def apply(self, q: Select[Any]) -> Select[Any]:
        """``q`` narrowed to the matching rows."""
        if self.actor:
            q = q.where(func.lower(AuditRow.actor) == self.actor.lower())
        if self.action:
            if self.action.endswith("*"):
                q = q.where(AuditRow.action.startswith(self.action[:-1], autoescape=True))
            else:
                q = q.where(AuditRow.action == self.action)
        if self.target:
            q = q.where(AuditRow.target == self.target)
        if self.since:
            q = q.where(AuditRow.ts >= self.since)
        if self.until:
            q = q.where(AuditRow.ts < self.until)
        return q

    def describe(self) -> dict[str, Any]:
        """The filters set, for the audit row of an export."""
        return {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in asdict(self).items() if v}


def page(s: Session, flt: AuditFilter, limit: int, before_id: int | None = None) -> list[AuditRow]:
    """Up to ``limit`` matching rows, newest first, older than ``before_id`` when given."""
    q = flt.apply(select(AuditRow)).order_by(AuditRow.id.desc()).limit(limit)
    if before_id is not None:
        q = q.where(AuditRow.id < before_id)
    return list(s.execute(q).scalars())


def row_dict(row: AuditRow) -> dict[str, Any]:
    """A row as JSON-ready values, export columns only."""
    return {
        "id": row.id,
        "ts": row.ts.astimezone(UTC).isoformat(timespec="microseconds"),
        "actor": row.actor,
        "role": row.role,
        "action": row.action,
        "target": row.target,
        "params": row.params,
        "result": row.result,
        "source_ip": row.source_ip,
        "prev_hash": row.prev_hash,
        "hash": row.hash,
    }


def _rows(store: Store, flt: AuditFilter, limit: int | None) -> Iterator[dict[str, Any]]:
    """Matching rows oldest first, read a page per short transaction (never holding the store for the download);
    rows written after the export started are left out."""
    with store.session() as s:
        ceiling = s.execute(select(func.max(AuditRow.id))).scalar() or 0
    after, sent = 0, 0
    while limit is None or sent < limit:
        size = EXPORT_PAGE if limit is None else min(EXPORT_PAGE, limit - sent)
        with store.session() as s:
            q = flt.apply(select(AuditRow)).where(AuditRow.id > after, AuditRow.id <= ceiling)
            rows = [row_dict(r) for r in s.execute(q.order_by(AuditRow.id).limit(size)).scalars()]
        if not rows:
            return
        yield from rows
        sent += len(rows)
        after = rows[-1]["id"]


def _cell(value: Any) -> str:
    """A CSV cell: JSON for structures; text a spreadsheet would run as a formula is prefixed with a quote."""
    if value is None:
        return ""
    text = json.dumps(value, sort_keys=True, separators=(",", ":")) if isinstance(value, dict | list) else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def export_csv(store: Store, flt: AuditFilter, limit: int | None) -> Iterator[str]:
    """CSV with a header line, oldest row first."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(EXPORT_COLUMNS)
    for row in _rows(store, flt, limit):
        writer.writerow([_cell(row[c]) for c in EXPORT_COLUMNS])
        if buf.tell() > 64 * 1024:
            yield buf.getvalue()
            buf.seek(0)
            buf.truncate()
    yield buf.getvalue()


def export_json(store: Store, flt: AuditFilter, limit: int | None) -> Iterator[str]:
    """One JSON array of row objects, oldest row first."""
    yield "["
    first = True
    for row in _rows(store, flt, limit):
        yield ("" if first else ",") + "\n" + json.dumps(row, sort_keys=True, separators=(",", ":"))
        first = False
    yield "\n]\n"
