"""The outbox: every event and command response is committed to SQLite before it is published.

Rows leave the outbox only after the broker's PUBACK. While the broker is unreachable rows accumulate; on
reconnect they are published oldest first (urgent rows — alarms and command responses — first), flagged
``replayed``. When the outbox is full, the oldest non-urgent rows are dropped, counted and reported: never silently.
"""

from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from edge.errors import OutboxError
from edge.statedb import read_counter

EventBuilder = Callable[[int], str]
"""Renders an event's JSON once its sequence number is known."""


@dataclass(frozen=True, slots=True)
class OutboxRow:
    """One message waiting for (or past) delivery."""

    id: int
    kind: str
    topic: str
    payload: str
    urgent: bool
    seq: int | None
    birth_seq: int

    def payload_for_publish(self, current_birth_seq: int, force_replayed: bool = False) -> bytes:
        """The bytes to publish: events created under an earlier connection (or process) say ``replayed: true``."""
        if self.kind == "event" and (force_replayed or self.birth_seq != current_birth_seq):
            doc = json.loads(self.payload)
            doc["replayed"] = True
            return json.dumps(doc, separators=(",", ":")).encode()
        return self.payload.encode()


class Outbox:
    """SQLite-backed queue of outgoing messages. Not thread-safe: use it from the edge's event loop only."""

    def __init__(self, conn: sqlite3.Connection, max_rows: int = 1_000_000, keep_delivered: int = 100_000) -> None:
        self._conn = conn
        self.max_rows = max_rows
        self.keep_delivered = keep_delivered
        self.dropped = 0
        # Rows are published in id order within each class (urgent, then normal); a cursor per class remembers
        # how far this process has handed rows to the broker, so finding the next batch is an index range scan.
        self._cursor = {True: 0, False: 0}
        self._last_seq = read_counter(conn, "event_seq")
        self._pending = self._count_pending()

    def _count_pending(self) -> int:
        (n,) = self._conn.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").fetchone()
        return int(n)

    @property
    def depth(self) -> int:
        """Rows not yet acknowledged by the broker."""
        return self._pending

    @property
    def last_seq(self) -> int:
        """The last event sequence number handed out."""
        return self._last_seq

    def add_event(self, topic: str, build_payload: EventBuilder, urgent: bool, birth_seq: int) -> int:
        """Assign the next ``seq``, let ``build_payload(seq)`` render the event JSON, commit it; return the seq."""
        try:
            with self._conn:
                seq = self._last_seq + 1
                self._conn.execute(
                    "INSERT INTO meta(key, value) VALUES ('event_seq', ?) "
                    "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                    (seq,),
                )
                self._conn.execute(
                    "INSERT INTO outbox(kind, topic, payload, urgent, seq, birth_seq, created_at) "
                    "VALUES ('event', ?, ?, ?, ?, ?, ?)",
                    (topic, build_payload(seq), int(urgent), seq, birth_seq, time.time()),
                )
        except sqlite3.Error as err:
            raise OutboxError(f"cannot write event to outbox: {err}") from err
        self._last_seq = seq
        self._pending += 1
        self._enforce_limit()
        return seq

    def add_response(self, topic: str, payload: str, birth_seq: int) -> None:
        """Commit a command response (urgent: it overtakes a backlog of events)."""
        try:
            with self._conn:
                self._conn.execute(
                    "INSERT INTO outbox(kind, topic, payload, urgent, seq, birth_seq, created_at) "
                    "VALUES ('response', ?, ?, 1, NULL, ?, ?)",
                    (topic, payload, birth_seq, time.time()),
                )
        except sqlite3.Error as err:
            raise OutboxError(f"cannot write response to outbox: {err}") from err
        self._pending += 1

    def next_batch(self, limit: int) -> list[OutboxRow]:
        """Up to ``limit`` undelivered rows not yet handed out by this process: urgent first, then oldest."""
        out: list[OutboxRow] = []
        for urgent in (True, False):
            if len(out) >= limit:
                break
            rows = self._conn.execute(
                "SELECT id, kind, topic, payload, urgent, seq, birth_seq FROM outbox "
                "WHERE urgent = ? AND id > ? AND delivered_at IS NULL ORDER BY id LIMIT ?",
                (int(urgent), self._cursor[urgent], limit - len(out)),
            ).fetchall()
            out += [OutboxRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows]
        return out

    def handed_out(self, rows: list[OutboxRow]) -> None:
        """These rows are now with the MQTT client (it re-sends them itself after a reconnect)."""
        for row in rows:
            self._cursor[row.urgent] = max(self._cursor[row.urgent], row.id)

    def mark_delivered(self, row_ids: list[int]) -> None:
        """The broker acknowledged these rows."""
        if not row_ids:
            return
        now = time.time()
        with self._conn:
            cur = self._conn.executemany(
                "UPDATE outbox SET delivered_at = ? WHERE id = ? AND delivered_at IS NULL", [(now, i) for i in row_ids]
            )
        self._pending = max(0, self._pending - cur.rowcount)

    def delivered_since(self, seq: int, limit: int = 10_000) -> list[OutboxRow]:
        """Delivered events with ``seq >= seq`` still kept, for a control room's replay request."""
        rows = self._conn.execute(
            "SELECT id, kind, topic, payload, urgent, seq, birth_seq FROM outbox "
            "WHERE kind = 'event' AND seq >= ? AND delivered_at IS NOT NULL ORDER BY seq LIMIT ?",
            (seq, limit),
        ).fetchall()
        return [OutboxRow(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6]) for r in rows]

    def purge_delivered(self) -> int:
        """Forget delivered rows beyond ``keep_delivered`` (oldest first). Returns how many were removed."""
        with self._conn:
            cur = self._conn.execute(
                "DELETE FROM outbox WHERE delivered_at IS NOT NULL AND id NOT IN "
                "(SELECT id FROM outbox WHERE delivered_at IS NOT NULL ORDER BY id DESC LIMIT ?)",
                (self.keep_delivered,),
            )
        return cur.rowcount

    def _enforce_limit(self) -> None:
        excess = self._pending - self.max_rows
        if excess <= 0:
            return
        with self._conn:
            cur = self._conn.execute(
                "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE delivered_at IS NULL AND urgent = 0 "
                "ORDER BY id LIMIT ?)",
                (excess,),
            )
        self.dropped += cur.rowcount
        self._pending -= cur.rowcount
