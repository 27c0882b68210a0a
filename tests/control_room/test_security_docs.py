"""docs/security.md's roles table says what roles.py does."""

from __future__ import annotations

from pathlib import Path

from control_room.security.roles import PERMISSIONS, Perm, Role

DOC = Path(__file__).resolve().parents[2] / "docs" / "security.md"


def test_roles_table_matches_the_code() -> None:
    rows = [line for line in DOC.read_text().splitlines() if line.startswith("| `") and line.count("|") == 7]
    table = {}
    for line in rows:
        cells = [c.strip() for c in line.strip("|").split("|")]
        table[cells[0].strip("`")] = {role for role, mark in zip(Role, cells[1:], strict=True) if mark == "✓"}
    expected = {perm.value: {role for role in Role if perm in PERMISSIONS[role]} for perm in Perm}
    assert table == expected
