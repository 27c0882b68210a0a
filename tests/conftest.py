"""Shared fixtures: a private mosquitto per test (never port 1883), database URLs, leak checks."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

from edge.stack.mosquitto import Mosquitto, MosquittoSettings

# The machine running the suite is shared: a slow example is load, not a bug. Failures stay reproducible.
settings.register_profile("cityedge", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("cityedge")

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@pytest.fixture
def mosquitto(tmp_path: Path) -> Iterator[Mosquitto]:
    """A real mosquitto on a random free loopback port, with persistence, stopped after the test."""
    broker = Mosquitto(MosquittoSettings(data_dir=tmp_path / "mosquitto"))
    assert broker.port != 1883
    broker.start()
    try:
        yield broker
    finally:
        broker.stop()


@pytest.fixture
def artifacts_dir(request: pytest.FixtureRequest) -> Path:
    """A folder under test-artifacts/ for this test's screenshots, WAVs and logs."""
    path = ARTIFACTS / request.node.name.replace("/", "_")
    path.mkdir(parents=True, exist_ok=True)
    return path


def database_urls(tmp_path: Path) -> list[str]:
    """SQLite always; PostgreSQL too when CITYEDGE_TEST_DATABASE_URL is set."""
    urls = [f"sqlite:///{tmp_path / 'store.db'}"]
    if os.environ.get("CITYEDGE_TEST_DATABASE_URL"):
        urls.append(os.environ["CITYEDGE_TEST_DATABASE_URL"])
    return urls


_BACKENDS = ["sqlite"] + (["postgresql"] if os.environ.get("CITYEDGE_TEST_DATABASE_URL") else [])


@pytest.fixture(params=_BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty store: a SQLite file, or (when configured) a private schema in PostgreSQL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    import sqlalchemy as sa

    base = os.environ["CITYEDGE_TEST_DATABASE_URL"]
    schema = f"t_{os.getpid()}_{threading.get_ident() % 100000}_{time.monotonic_ns() % 10**9}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(autouse=True)
def no_leaked_threads() -> Iterator[None]:
    """Fail a test that leaves threads of its own running (clean shutdown is part of every feature)."""
    before = set(threading.enumerate())
    yield
    deadline = time.monotonic() + 5.0
    while True:
        leaked = [
            t
            for t in threading.enumerate()
            if t not in before and t.is_alive() and not t.name.startswith(("asyncio_", "ThreadPoolExecutor"))
        ]
        if not leaked or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"
