"""The stages import only downward, and no module takes part in an import cycle (ARCHITECTURE §2).

core < inputs < plan < models < checks < export < report < pipeline < cli. Every import counts,
including the lazy ones inside functions: a lazy import hides a cycle, it does not remove it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "d3_engine"
STAGES = ["core", "inputs", "plan", "models", "checks", "export", "report", "pipeline", "cli"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def stage_of(module: str) -> int:
    """The stage's rank; the root package (version constants, lazy public API) ranks below core."""
    parts = module.split(".")
    if len(parts) == 1:
        return -1
    return STAGES.index(parts[1])


def imports_of(path: Path) -> set[str]:
    """Every d3_engine module this file imports, anywhere in it (module level or inside functions)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("d3_engine")}
        elif isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("d3_engine"):
            for alias in node.names:
                candidate = f"{node.module}.{alias.name}"
                found.add(candidate if module_path(candidate) else node.module)
    return found


def module_path(module: str) -> Path | None:
    base = PACKAGE.parent.joinpath(*module.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in sorted(PACKAGE.rglob("*.py"))}


def test_every_module_sits_in_a_known_stage() -> None:
    for module in graph():
        parts = module.split(".")
        assert len(parts) == 1 or parts[1] in STAGES, f"{module} is outside the stages {STAGES}"


def test_imports_only_go_downward() -> None:
    upward = [
        f"{importer} (stage {STAGES[stage_of(importer)]}) imports {imported}"
        for importer, targets in graph().items()
        for imported in sorted(targets)
        if stage_of(imported) > stage_of(importer)
    ]
    assert upward == []


def test_the_root_package_imports_no_stage_eagerly() -> None:
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    eager = [node for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom)]
    assert all(not (isinstance(n, ast.ImportFrom) and (n.module or "").startswith("d3_engine")) for n in eager)


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if nxt not in edges or nxt == node:
                continue
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state and (cycle := visit(node)):
            return cycle
    return None


def test_no_import_cycles() -> None:
    edges = {m: {t for t in targets if t != m and not m.startswith(t + ".")} for m, targets in graph().items()}
    assert find_cycle(edges) is None, " → ".join(find_cycle(edges) or [])


@pytest.mark.parametrize(
    ("edges", "expected"),
    [
        ({"a": {"b"}, "b": {"a"}}, ["a", "b", "a"]),
        ({"a": {"b"}, "b": {"c"}, "c": set()}, None),
    ],
)
def test_the_cycle_finder_finds_cycles(edges: dict[str, set[str]], expected: list[str] | None) -> None:
    assert find_cycle(edges) == expected
