"""At-most-once execution: every command id is recorded on disk, with the answers given, until it expires."""

from __future__ import annotations

import json
import sqlite3
import time

from edge.contract.payloads import CommandResponse


class CommandLedger:
    """Remembers command ids and their responses until ``expires_at`` (plus a margin)."""

    def __init__(self, conn: sqlite3.Connection, margin_s: float = 60.0) -> None:
        self._conn = conn
        self.margin_s = margin_s

    def seen(self, command_id: str) -> list[CommandResponse] | None:
        """The responses already given for this id, or None if it was never seen."""
        row = self._conn.execute("SELECT responses FROM commands WHERE command_id = ?", (command_id,)).fetchone()
        if row is None:
            return None
        return [CommandResponse.model_validate(r) for r in json.loads(row[0])]

    def record(self, command_id: str, expires_at: float) -> bool:
        """Claim an id before executing it (committed first). False if it was already claimed."""
        with self._conn:
            cur = self._conn.execute(
                "INSERT OR IGNORE INTO commands(command_id, expires_at, responses) VALUES (?, ?, '[]')",
                (command_id, expires_at + self.margin_s),
            )
        return cur.rowcount == 1

    def add_response(self, response: CommandResponse) -> None:
        """Append a response to the id's record."""
        with self._conn:
            row = self._conn.execute(
                "SELECT responses FROM commands WHERE command_id = ?", (response.command_id,)
            ).fetchone()
            if row is None:
                return
            answers = json.loads(row[0])
            answers.append(response.model_dump(mode="json"))
            self._conn.execute(
                "UPDATE commands SET responses = ? WHERE command_id = ?", (json.dumps(answers), response.command_id)
            )

    def purge(self, now: float | None = None) -> int:
        """Forget ids whose expiry (plus margin) has passed."""
        with self._conn:
            cur = self._conn.execute("DELETE FROM commands WHERE expires_at < ?", (now or time.time(),))
        return cur.rowcount
