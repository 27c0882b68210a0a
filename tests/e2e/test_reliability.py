"""Nothing lost: committed events reach the store across broker restarts, edge crashes and lost sessions.

Each test writes what it saw (sent, stored, lost, duplicates, out-of-order, replayed) to test-artifacts/.
"""

from __future__ import annotations

import itertools
import json
import sqlite3
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from control_room.audit import Actor
from control_room.store.models import Event
from edge.stack.mosquitto import Mosquitto, MosquittoSettings
from tests.support.stack import ControlRoom, EdgeProcess, edge_config, wait_until

LOADGEN = "[loadgen]\n"


@dataclass
class Pipeline:
    broker: Mosquitto
    cr: ControlRoom
    edge: EdgeProcess
    edge_dir: Path
    stack: ExitStack

    def run_loadgen(self, count: int, rate: float) -> str:
        row = self.cr.ctx.commands.issue(
            Actor("tester"), "edge-1", "loadgen", "run", {"count": count, "rate": rate}, ttl_s=120
        )
        return row.id

    def stored(self) -> list[tuple[int, bool, int]]:
        """(seq, replayed, store id) of every stored loadgen event."""
        with self.cr.ctx.store.session() as s:
            rows = s.execute(
                select(Event.seq, Event.replayed, Event.id).where(Event.type == "loadgen.tick").order_by(Event.id)
            ).all()
        return [(r[0], r[1], r[2]) for r in rows]

    def committed(self) -> int:
        """Events the edge has committed to its outbox (its last seq)."""
        conn = sqlite3.connect(f"file:{self.edge_dir / 'edge-state.db'}?mode=ro", uri=True, timeout=10)
        try:
            row = conn.execute("SELECT value FROM meta WHERE key = 'event_seq'").fetchone()
            return int(row[0]) if row else 0
        finally:
            conn.close()

    def pending(self) -> int:
        conn = sqlite3.connect(f"file:{self.edge_dir / 'edge-state.db'}?mode=ro", uri=True, timeout=10)
        try:
            return int(conn.execute("SELECT COUNT(*) FROM outbox WHERE delivered_at IS NULL").fetchone()[0])
        finally:
            conn.close()


def report(pipe: Pipeline, sent: int, artifacts: Path, name: str) -> dict[str, Any]:
    rows = pipe.stored()
    seqs = [r[0] for r in rows]
    out_of_order = sum(1 for a, b in itertools.pairwise(seqs) if b < a)
    doc = {
        "sent": sent,
        "stored": len(set(seqs)),
        "lost": len(set(range(1, sent + 1)) - set(seqs)),
        "duplicate_rows": len(seqs) - len(set(seqs)),
        "duplicates_received_and_dropped": pipe.cr.ctx.ingest.duplicate_events,
        "out_of_order": out_of_order,
        "replayed": sum(1 for r in rows if r[1]),
    }
    (artifacts / f"{name}.json").write_text(json.dumps(doc, indent=2))
    print(name, doc)
    return doc


@pytest.fixture
def pipeline(tmp_path: Path) -> Iterator[Pipeline]:
    with ExitStack() as stack:
        broker = Mosquitto(MosquittoSettings(data_dir=tmp_path / "broker"))
        broker.start()
        stack.callback(broker.stop)
        cr = ControlRoom(tmp_path / "cr", broker.url).start()
        stack.callback(lambda: pipe.cr.stop())
        edge_dir = tmp_path / "edge"
        edge = EdgeProcess(edge_config("edge-1", edge_dir, broker.url, LOADGEN), tmp_path).start()
        stack.callback(lambda: pipe.edge.stop())
        pipe = Pipeline(broker, cr, edge, edge_dir, stack)
        with cr.client() as http:
            wait_until(lambda: http.get("/api/v1/devices/edge-1/loadgen").status_code == 200, 30, "edge online")
        yield pipe


def test_broker_restart_mid_stream_loses_nothing(pipeline: Pipeline, artifacts_dir: Path) -> None:
    n = 1500
    pipeline.run_loadgen(n, 250)
    wait_until(lambda: len(pipeline.stored()) >= 200, 30, "stream flowing")
    pipeline.broker.stop()
    wait_until(lambda: pipeline.pending() >= 200, 30, "events piling up in the edge outbox")
    pipeline.broker.start()
    wait_until(lambda: len({r[0] for r in pipeline.stored()}) >= n, 90, f"all {n} events stored")
    doc = report(pipeline, n, artifacts_dir, "broker_restart")
    assert doc["lost"] == 0 and doc["duplicate_rows"] == 0 and doc["stored"] == n
    assert doc["replayed"] > 0  # the backlog was flagged


def test_edge_crash_loses_no_committed_event(pipeline: Pipeline, artifacts_dir: Path) -> None:
    pipeline.run_loadgen(3000, 500)
    wait_until(lambda: len(pipeline.stored()) >= 300, 30, "stream flowing")
    pipeline.edge.kill()
    committed = pipeline.committed()
    assert committed >= 300
    pipeline.edge.start()
    wait_until(lambda: len({r[0] for r in pipeline.stored()}) >= committed, 90, f"{committed} committed events stored")
    doc = report(pipeline, committed, artifacts_dir, "edge_crash")
    assert doc["lost"] == 0 and doc["duplicate_rows"] == 0


def test_lost_session_gap_is_replayed_on_request(pipeline: Pipeline, tmp_path: Path, artifacts_dir: Path) -> None:
    """The control room's queued messages vanish (the broker restarts without persistence while the control room
    is down): the control room notices the hole in the sequence and asks the edge to replay it."""
    pipeline.broker.stop()
    pipeline.broker.settings.persistence = False
    pipeline.broker.start()
    with pipeline.cr.client() as http:
        wait_until(lambda: http.get("/api/v1/nodes/edge-1").json()["online"], 30, "edge back")
    pipeline.run_loadgen(300, 60)
    wait_until(lambda: len(pipeline.stored()) >= 30, 30, "stream flowing")
    pipeline.cr.stop()
    pipeline.broker.stop()  # the control room's session and its queue are gone with the broker's memory
    pipeline.broker.start()
    wait_until(lambda: pipeline.committed() >= 300 and pipeline.pending() == 0, 60, "edge published everything")
    missing_before = 300 - len(pipeline.stored())
    assert missing_before > 0
    pipeline.cr = ControlRoom(tmp_path / "cr", pipeline.broker.url).start()
    pipeline.run_loadgen(10, 100)  # new events reveal the hole
    wait_until(lambda: len({r[0] for r in pipeline.stored()}) >= 310, 60, "all 310 events stored")
    doc = report(pipeline, 310, artifacts_dir, "lost_session")
    assert doc["lost"] == 0 and doc["duplicate_rows"] == 0
    assert doc["replayed"] >= missing_before
    assert pipeline.cr.ctx.metrics.gap_replays._value.get() >= 1
