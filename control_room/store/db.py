"""Engine, sessions and migrations of the store."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


LOCK_TIMEOUT_S = 30.0


def make_engine(url: str) -> Engine:
    """An engine for ``url``.

    SQLite gets WAL (readers never block the writer), foreign keys and a 30 s busy timeout. pysqlite's own
    transaction handling is kept on purpose: it begins a transaction at the first write, so a request that reads,
    then writes, never holds a stale read snapshot that SQLite would refuse to upgrade, and a request may open a
    second session (e.g. to issue a command) while its own is open. (A process-wide lock serialising every
    transaction was tried and reverted: a handler's session plus the command service's session deadlocked.)
    """
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": LOCK_TIMEOUT_S})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn: Any, _record: Any) -> None:
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    return engine


def alembic_config(url: str) -> Config:
    """An Alembic config pointing at our migrations and ``url`` (no alembic.ini needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (every branch head)."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


class Store:
    """The engine and a session factory."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def migrate(self) -> None:
        """Apply pending migrations."""
        migrate(self.engine)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        with self.sessions() as s:
            try:
                yield s
                s.commit()
            except BaseException:
                s.rollback()
                raise

    def close(self) -> None:
        """Dispose of pooled connections."""
        self.engine.dispose()
