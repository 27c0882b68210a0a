"""The dependency rule of ARCHITECTURE.md, checked on the source: who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OURS = {"edge", "drivers", "control_room", "simulators", "bench"}

# package -> predicate over an imported module name of ours that is allowed
ALLOWED = {
    "drivers": lambda mod: mod.split(".")[0] == "drivers",
    "edge": lambda mod: mod.split(".")[0] in {"edge", "drivers"},
    "control_room": lambda mod: (
        mod.split(".")[0] == "control_room" or mod == "edge.contract" or mod.startswith("edge.contract.")
    ),
    "simulators": lambda mod: mod.split(".")[0] in {"simulators", "drivers"},
    "bench": lambda mod: True,
}


def imported_modules(path: Path) -> list[tuple[int, str]]:
    """Absolute module names imported by a file (relative imports resolved against its package)."""
    tree = ast.parse(path.read_text(), filename=str(path))
    rel = path.relative_to(ROOT).with_suffix("")
    package = list(rel.parts[:-1])
    found: list[tuple[int, str]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, a.name) for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                mod = ".".join([*base, node.module] if node.module else base)
            else:
                mod = node.module or ""
            found.append((node.lineno, mod))
            # "from edge import contract" names the submodule it imports
            found.extend((node.lineno, f"{mod}.{a.name}") for a in node.names if mod == "edge")
    return found


def source_files(package: str) -> list[Path]:
    return sorted(p for p in (ROOT / package).rglob("*.py") if ".venv" not in p.parts)


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_dependency_rule(package: str) -> None:
    violations = []
    for path in source_files(package):
        for lineno, mod in imported_modules(path):
            if mod.split(".")[0] in OURS and not ALLOWED[package](mod):
                violations.append(f"{path.relative_to(ROOT)}:{lineno} imports {mod}")
    assert not violations, "dependency rule broken:\n" + "\n".join(violations)


def test_nothing_imports_control_room_but_tests_and_bench() -> None:
    offenders = []
    for package in ("edge", "drivers", "simulators"):
        for path in source_files(package):
            offenders += [f"{path}:{n}" for n, mod in imported_modules(path) if mod.startswith("control_room")]
    assert not offenders


def test_checker_catches_a_violation(tmp_path: Path) -> None:
    """The rule is not vacuous: a drivers module importing edge is reported."""
    bad = ROOT / "drivers" / "_layering_probe.py"
    bad.write_text("from edge.contract import topics\n")
    try:
        mods = [m for _, m in imported_modules(bad)]
        assert "edge.contract" in mods
        assert not ALLOWED["drivers"]("edge.contract")
    finally:
        bad.unlink()
