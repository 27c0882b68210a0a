"""The audit chain: every row linked to the one before; an edited or deleted row is found."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from control_room.audit import Actor, record, row_hash, verify_chain
from control_room.audit_anchor import AuditAnchor
from control_room.store.db import Store
from control_room.store.models import Alert, AuditRow


def fill(store: Store, n: int) -> None:
    for i in range(n):
        with store.session() as s:
            record(
                s,
                Actor("alice", "operator", "10.0.0.1"),
                "command.set_level",
                f"zone-{i}",
                {"level": i, "password": "x"},
            )


def test_chain_verifies_and_masks_secrets(database_url: str) -> None:
    store = Store(database_url)
    store.migrate()
    fill(store, 5)
    with store.session() as s:
        assert verify_chain(s) == {"ok": True, "rows": 5, "first_bad": None}
        row = s.get(AuditRow, 1)
        assert row is not None and row.params["password"] == "***"
    store.close()


def test_edited_row_is_detected(database_url: str) -> None:
    store = Store(database_url)
    store.migrate()
    fill(store, 6)
    with store.session() as s:
        s.execute(update(AuditRow).where(AuditRow.id == 3).values(params={"level": 99}))
    with store.session() as s:
        assert verify_chain(s) == {"ok": False, "rows": 3, "first_bad": 3}
    store.close()


def test_deleted_row_is_detected(database_url: str) -> None:
    store = Store(database_url)
    store.migrate()
    fill(store, 6)
    with store.session() as s:
        s.execute(delete(AuditRow).where(AuditRow.id == 4))
    with store.session() as s:
        result = verify_chain(s)
        assert result["ok"] is False and result["first_bad"] == 5
    store.close()


def test_concurrent_writers_do_not_fork_the_chain(database_url: str) -> None:
    import threading

    store = Store(database_url)
    store.migrate()
    threads = [threading.Thread(target=fill, args=(store, 10)) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with store.session() as s:
        assert verify_chain(s) == {"ok": True, "rows": 40, "first_bad": None}
    store.close()


def test_deleted_newest_rows_are_caught_by_the_anchor(database_url: str, tmp_path: Path) -> None:
    store = Store(database_url)
    store.migrate()
    fill(store, 6)
    anchor = AuditAnchor(tmp_path / "anchor.json", store)
    anchor.advance()
    kept = anchor.read()
    assert kept is not None and kept.last_id == 6
    with store.session() as s:
        s.execute(delete(AuditRow).where(AuditRow.id >= 5))
    fill(store, 2)  # the control room goes on writing after the hole: the chain alone still looks whole
    with store.session() as s:
        assert verify_chain(s)["ok"] is True
        assert verify_chain(s, (kept.last_id, kept.hash)) == {"ok": False, "rows": 6, "first_bad": 6}
    anchor.advance()
    anchor.advance()
    assert anchor.read() == kept  # it does not move past the hole
    with store.session() as s:
        raised = s.execute(select(Alert).where(Alert.type == "audit_tampered")).scalars().all()
        assert len(raised) == 1 and raised[0].priority == 1 and raised[0].count == 1
    store.close()


def test_rewritten_newest_row_is_caught_by_the_anchor(database_url: str, tmp_path: Path) -> None:
    store = Store(database_url)
    store.migrate()
    fill(store, 3)
    anchor = AuditAnchor(tmp_path / "anchor.json", store)
    anchor.advance()
    kept = anchor.read()
    assert kept is not None
    with store.session() as s:  # whoever knows the algorithm recomputes the edited row's hash
        row = s.get(AuditRow, 3)
        assert row is not None
        row.params = {"level": 0}
        row.hash = row_hash(row.prev_hash, row.ts, row.actor, row.role, row.action, row.target, row.params,
                            row.result, row.source_ip)  # fmt: skip
    with store.session() as s:
        assert verify_chain(s)["ok"] is True
        assert verify_chain(s, (kept.last_id, kept.hash)) == {"ok": False, "rows": 3, "first_bad": 3}
    store.close()


def test_anchor_of_another_store_is_ignored(database_url: str, tmp_path: Path) -> None:
    store = Store(database_url)
    store.migrate()
    fill(store, 1)
    path = tmp_path / "anchor.json"
    path.write_text('{"store": "elsewhere", "last_id": 99, "hash": "x"}')
    assert AuditAnchor(path, store).read() is None
    path.write_text("{not json")
    with pytest.raises(ValueError, match="unreadable"):
        AuditAnchor(path, store).read()
    store.close()
