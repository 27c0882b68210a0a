"""The outbox on its own: sequence numbers, ordering, delivery marks, the drop policy, restarts."""

from __future__ import annotations

import json
from pathlib import Path

from edge.outbox import Outbox
from edge.statedb import next_counter, open_state_db


def event(seq: int) -> str:
    return json.dumps({"event_id": f"e{seq}", "seq": seq, "replayed": False})


def test_seq_is_monotonic_and_survives_reopen(tmp_path: Path) -> None:
    conn = open_state_db(tmp_path)
    box = Outbox(conn)
    assert [box.add_event("t", event, False, 1) for _ in range(3)] == [1, 2, 3]
    conn.close()
    box = Outbox(open_state_db(tmp_path))
    assert box.depth == 3
    assert box.add_event("t", event, False, 2) == 4


def test_urgent_rows_overtake_the_backlog(tmp_path: Path) -> None:
    box = Outbox(open_state_db(tmp_path))
    for _ in range(5):
        box.add_event("t", event, False, 1)
    box.add_event("alarm", event, True, 1)
    box.add_response("resp", '{"command_id": "c"}', 1)
    batch = box.next_batch(3)
    assert [r.topic for r in batch] == ["alarm", "resp", "t"]
    box.handed_out(batch)
    assert [r.seq for r in box.next_batch(10)] == [2, 3, 4, 5]
    box.add_event("alarm", event, True, 1)  # a new alarm overtakes the rest of the backlog
    assert box.next_batch(1)[0].topic == "alarm"


def test_delivered_rows_leave_the_queue_but_stay_for_replay(tmp_path: Path) -> None:
    box = Outbox(open_state_db(tmp_path), keep_delivered=2)
    for _ in range(4):
        box.add_event("t", event, False, 1)
    rows = box.next_batch(10)
    box.mark_delivered([r.id for r in rows])
    assert box.depth == 0
    assert [r.seq for r in box.delivered_since(2)] == [2, 3, 4]
    assert box.purge_delivered() == 2
    assert [r.seq for r in box.delivered_since(1)] == [3, 4]


def test_replayed_flag(tmp_path: Path) -> None:
    box = Outbox(open_state_db(tmp_path))
    box.add_event("t", event, False, birth_seq=5)
    row = box.next_batch(1)[0]
    assert json.loads(row.payload_for_publish(current_birth_seq=5))["replayed"] is False
    assert json.loads(row.payload_for_publish(current_birth_seq=6))["replayed"] is True
    assert json.loads(row.payload_for_publish(current_birth_seq=5, force_replayed=True))["replayed"] is True


def test_a_new_process_hands_out_undelivered_rows_again(tmp_path: Path) -> None:
    conn = open_state_db(tmp_path)
    box = Outbox(conn)
    for _ in range(3):
        box.add_event("t", event, False, 1)
    box.handed_out(box.next_batch(3))
    assert box.next_batch(3) == []
    box.mark_delivered([1])
    conn.close()
    assert [r.seq for r in Outbox(open_state_db(tmp_path)).next_batch(10)] == [2, 3]


def test_full_outbox_drops_oldest_non_urgent_and_counts(tmp_path: Path) -> None:
    box = Outbox(open_state_db(tmp_path), max_rows=100)
    box.add_event("alarm", event, True, 1)
    for _ in range(150):
        box.add_event("t", event, False, 1)
    assert box.depth == 100
    assert box.dropped == 51
    rows = box.next_batch(200)
    assert rows[0].topic == "alarm"
    assert [r.seq for r in rows[1:3]] == [53, 54]


def test_counters(tmp_path: Path) -> None:
    conn = open_state_db(tmp_path)
    assert [next_counter(conn, "boot") for _ in range(3)] == [1, 2, 3]
