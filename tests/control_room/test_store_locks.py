"""Lock order in the SQLite store: a broker ack inside an ingest batch, and audit rows written by two threads,
must not wait for each other until SQLite's busy timeout (30 s)."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from control_room.app import build_context
from control_room.audit import Actor, record, verify_chain
from control_room.settings import Settings
from control_room.store.db import Store
from control_room.store.models import AuditRow, Command, Device
from edge.contract import topics
from edge.contract.payloads import DeviceState, NodeState
from tests.support.stack import wait_until

BOUND_S = 10  # far below the 30 s busy timeout a lock-order bug would cost


def test_broker_ack_inside_an_ingest_batch_marks_the_command_sent(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, mqtt_url="mqtt://127.0.0.1:1", database_url=f"sqlite:///{tmp_path}/s.db")
    ctx = build_context(settings)
    ctx.store.migrate()
    now = datetime.now(UTC)
    with ctx.store.session() as s:
        s.add(
            Command(
                id="c-1", node_id="n1", device_id="z1", action="set_level", args={}, mode="live", issued_by="a",
                issued_at=now, expires_at=now + timedelta(seconds=30), stage="pending", terminal=False, updated_at=now,
            )
        )  # fmt: skip
    ctx.commands._sent[7] = "c-1"
    # a node seen for the first time (its row is written at once) and then the ack, in one batch (queued before
    # the writer thread starts)
    node = NodeState(online=True, birth_seq=1_000_001, ts=now)
    ctx.ingest.submit(topics.node_state("n1"), node.model_dump_json().encode(), None)
    state = DeviceState(kind="lighting_zone", seq=1, birth_seq=1, state={"commanded": 5})
    ctx.ingest.submit(topics.device_state("n1", "z1"), state.model_dump_json().encode(), None)
    ctx.ingest.submit_puback(7)
    started = time.monotonic()
    ctx.ingest.start()
    try:

        def sent() -> bool:
            # a session closed at once: an abandoned one would hold SQLite's write lock until garbage-collected
            with ctx.store.session() as s:
                row = s.get(Command, "c-1")
                return row is not None and row.stage == "sent"

        wait_until(sent, BOUND_S, "command sent")
        assert time.monotonic() - started < BOUND_S
        with ctx.store.session() as s:
            assert s.get(Device, ("n1", "z1")).state == {"commanded": 5}
    finally:
        ctx.ingest.stop()
        ctx.store.close()


def test_audit_rows_from_two_writers_do_not_deadlock(tmp_path: Path) -> None:
    store = Store(f"sqlite:///{tmp_path}/s.db")
    store.migrate()
    holding = threading.Event()
    errors: list[BaseException] = []

    def other_writer() -> None:
        holding.wait(10)
        try:
            with store.session() as s:
                record(s, Actor("bob", "operator"), "command.set_level", "z2")
        except BaseException as err:
            errors.append(err)

    thread = threading.Thread(target=other_writer, name="test-audit-writer")
    thread.start()
    started = time.monotonic()
    with store.session() as s:
        s.add(Device(node_id="n", id="d", kind="k", label="", commands=[], capabilities={}, state_seq=0))
        s.flush()  # this transaction now holds SQLite's write lock (as the ingest thread's batch does)
        holding.set()
        time.sleep(0.3)  # let the other writer reach the audit chain first
        record(s, Actor("node:n", None), "command.stage", "c-1")
    thread.join(BOUND_S + 30)
    assert not errors, errors
    assert time.monotonic() - started < BOUND_S
    with store.session() as s:
        assert verify_chain(s)["ok"] and s.query(AuditRow).count() == 2
    store.close()
