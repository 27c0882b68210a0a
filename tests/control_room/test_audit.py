"""The audit chain: every row linked to the one before; an edited or deleted row is found."""

from __future__ import annotations

from sqlalchemy import delete, update

from control_room.audit import Actor, record, verify_chain
from control_room.store.db import Store
from control_room.store.models import AuditRow


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
