"""The edge's on-disk state: one SQLite database in WAL mode holding the outbox and the command dedupe records."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from edge.errors import OutboxError

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,             -- 'event' | 'response'
    topic TEXT NOT NULL,
    payload TEXT NOT NULL,          -- JSON as first written; 'replayed' is set at publish time
    urgent INTEGER NOT NULL,        -- 1 for alarms and command responses: they overtake a backlog
    seq INTEGER,                    -- event sequence number (events only)
    birth_seq INTEGER NOT NULL,     -- connection counter when the row was written
    created_at REAL NOT NULL,
    delivered_at REAL
);
CREATE INDEX IF NOT EXISTS outbox_class ON outbox (urgent, id);
CREATE INDEX IF NOT EXISTS outbox_seq ON outbox (seq);
CREATE TABLE IF NOT EXISTS commands (
    command_id TEXT PRIMARY KEY,
    expires_at REAL NOT NULL,
    responses TEXT NOT NULL         -- JSON list of every stage answered so far
);
"""


def open_state_db(data_dir: Path, synchronous: str = "normal") -> sqlite3.Connection:
    """Open (creating) ``data_dir/edge-state.db`` in WAL mode. Used by one thread only: the edge's event loop."""
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(data_dir / "edge-state.db", isolation_level=None, check_same_thread=True)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(f"PRAGMA synchronous={'FULL' if synchronous == 'full' else 'NORMAL'}")
        conn.execute("PRAGMA busy_timeout=5000")
        conn.executescript(SCHEMA)
    except (sqlite3.Error, OSError) as err:
        raise OutboxError(f"cannot open edge state database in {data_dir}: {err}") from err
    return conn


def next_counter(conn: sqlite3.Connection, key: str) -> int:
    """Increment and return a persistent counter (committed before it is returned)."""
    with conn:
        conn.execute(
            "INSERT INTO meta(key, value) VALUES (?, 1) ON CONFLICT(key) DO UPDATE SET value = value + 1", (key,)
        )
        (value,) = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return int(value)


def read_counter(conn: sqlite3.Connection, key: str) -> int:
    """Current value of a persistent counter (0 if never set)."""
    row = conn.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return int(row[0]) if row else 0
